// The variance study behind docs/statistics.md: where does the spread of a case's p50 come from on this machine?
// Runs a few representative cases many times through the real runner, in several configurations (repetition
// length, warm-up, placement), saves every result document, and prints the decomposition:
//   between-repetition CV of the p50  vs  the within-repetition sampling error of one p50 (from its histogram),
//   the first repetition of a transport vs the rest, lag-1 autocorrelation (drift inside a run),
//   the wall-clock cost of one repetition, and the precision one second of machine time buys.
// A measurement script, not a test: numbers depend on the machine and its load, which it prints.
//
// usage: node dist/bench/study/variance.js collect <dir> [--reps 20] [--transports pipe,unix-stream,shm,dbus-broker]
//        node dist/bench/study/variance.js analyze <dir>
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { collectHost } from '../host.js';
import { headerSize } from '../native.js';
import { DEFAULTS, parseRunOptions } from '../options.js';
import { probeAll } from '../probe.js';
import { caseLabel, SCHEMA_NAME, SCHEMA_VERSION, type CaseResult, type ResultDocument } from '../result.js';
import { Runner } from '../runner/runner.js';
import {
  distributionFromHdr,
  harrellDavis,
  hierarchicalBootstrapCI,
  bootstrapCI,
  mad,
  mean,
  median,
  mulberry32,
  randomIndex,
  relativeHalfWidth,
  resampledQuantile,
  stdev,
  trimmedMean,
} from '../statistics/index.js';
import { TRANSPORT_NAMES } from '../../transports/index.js';

interface Config {
  name: string;
  duration: number;
  warmup: number;
  placement: string;
  sizes: string;
}

const CONFIGS: Config[] = [
  { name: 'd60-w20', duration: 60, warmup: 20, placement: 'same-core,cross-core,unpinned', sizes: '64,64K' },
  { name: 'd20-w20', duration: 20, warmup: 20, placement: 'same-core,cross-core', sizes: '64,64K' },
  { name: 'd200-w20', duration: 200, warmup: 20, placement: 'same-core,cross-core', sizes: '64,64K' },
  { name: 'd60-w0', duration: 60, warmup: 0, placement: 'same-core,cross-core', sizes: '64,64K' },
  { name: 'd60-w100', duration: 60, warmup: 100, placement: 'same-core,cross-core', sizes: '64,64K' },
];

const INTERLEAVED: Config[] = [
  { name: 'i-d20-w20', duration: 20, warmup: 20, placement: 'same-core,cross-core', sizes: '64,64K' },
  { name: 'i-d60-w0', duration: 60, warmup: 0, placement: 'same-core,cross-core', sizes: '64,64K' },
  { name: 'i-d60-w20', duration: 60, warmup: 20, placement: 'same-core,cross-core', sizes: '64,64K' },
  { name: 'i-d150-w20', duration: 150, warmup: 20, placement: 'same-core,cross-core', sizes: '64,64K' },
];

function optionsFor(c: Config, list: string[], reps: number) {
  return parseRunOptions(
    {
      ...DEFAULTS,
      transports: list.join(','),
      workloads: 'rpc',
      sizes: c.sizes,
      placement: c.placement,
      repetitions: String(reps),
      minRepetitions: String(reps),
      ciTarget: '0',
      duration: String(c.duration),
      warmup: String(c.warmup),
    },
    TRANSPORT_NAMES,
    TRANSPORT_NAMES,
    headerSize(),
  );
}

function emptyDoc(runId: string, opts: object, list: string[]): ResultDocument {
  return {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    runId,
    startedAt: new Date().toISOString(),
    complete: false,
    argv: [],
    options: { ...opts },
    host: collectHost(),
    warnings: [],
    transports: list.map((name) => ({ name, available: true })),
    cases: [],
  };
}

/**
 * The configurations interleaved round by round (2 repetitions of every case per configuration per round), so
 * that the machine's load hits all of them alike; every repetition's wall-clock cost is recorded from the
 * runner's progress ticks.
 */
async function collectInterleaved(dir: string, rounds: number, transports: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const available = new Set((await probeAll()).filter((s) => s.available).map((s) => s.name));
  const list = transports.split(',').filter((t) => available.has(t));
  const docs = new Map<string, ResultDocument>();
  const costs = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const c of INTERLEAVED) {
      const opts = optionsFor(c, list, 2);
      const doc = emptyDoc(`variance-${c.name}`, opts, list);
      let last = performance.now();
      const ticks: number[] = costs.get(c.name) ?? [];
      await new Runner(opts, doc, new AbortController().signal, {
        onProgress: () => {
          const now = performance.now();
          ticks.push(now - last);
          last = now;
        },
      }).run();
      costs.set(c.name, ticks);
      const all = docs.get(c.name);
      if (!all) docs.set(c.name, doc);
      else
        for (const k of doc.cases) {
          const into = all.cases.find((x) => caseLabel(x.key) === caseLabel(k.key))!;
          into.repetitions.push(...k.repetitions.map((x, i) => ({ ...x, index: r * 2 + i })));
        }
    }
    process.stderr.write(`round ${r + 1}/${rounds}, load ${os.loadavg()[0]!.toFixed(2)}\n`);
  }
  for (const [name, doc] of docs) {
    const ticks = costs.get(name)!;
    (doc.options as Record<string, unknown>).studyRepMs = ticks;
    (doc.options as Record<string, unknown>).studyWallMs = ticks.reduce((a, b) => a + b, 0);
    doc.complete = true;
    await writeFile(join(dir, `${name}.json`), JSON.stringify(doc));
  }
}

async function collect(dir: string, reps: number, transports: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const available = new Set((await probeAll()).filter((s) => s.available).map((s) => s.name));
  const list = transports.split(',').filter((t) => available.has(t));
  for (const c of CONFIGS) {
    const opts = parseRunOptions(
      {
        ...DEFAULTS,
        transports: list.join(','),
        workloads: 'rpc',
        sizes: c.sizes,
        placement: c.placement,
        repetitions: String(reps),
        minRepetitions: String(reps),
        ciTarget: '0',
        duration: String(c.duration),
        warmup: String(c.warmup),
      },
      TRANSPORT_NAMES,
      TRANSPORT_NAMES,
      headerSize(),
    );
    const host = collectHost();
    const doc: ResultDocument = {
      schema: SCHEMA_NAME,
      schemaVersion: SCHEMA_VERSION,
      runId: `variance-${c.name}`,
      startedAt: new Date().toISOString(),
      complete: false,
      argv: [],
      options: { ...opts },
      host,
      warnings: [],
      transports: list.map((name) => ({ name, available: true })),
      cases: [],
    };
    const t0 = performance.now();
    await new Runner(opts, doc, new AbortController().signal).run();
    const wallMs = performance.now() - t0;
    doc.finishedAt = new Date().toISOString();
    doc.complete = true;
    (doc.options as Record<string, unknown>).studyWallMs = wallMs;
    (doc.options as Record<string, unknown>).studyLoadAfter = os.loadavg();
    await writeFile(join(dir, `${c.name}.json`), JSON.stringify(doc));
    process.stderr.write(`${c.name}: ${(wallMs / 1000).toFixed(1)} s, load ${os.loadavg()[0]!.toFixed(2)}\n`);
  }
}

function lag1(x: readonly number[]): number {
  const m = mean(x);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    den += (x[i]! - m) ** 2;
    if (i) num += (x[i]! - m) * (x[i - 1]! - m);
  }
  return den ? num / den : NaN;
}

/** Within-repetition relative SE of the p50: the sd of the p50 of a resample of the repetition's operations. */
function withinSe(c: CaseResult): number {
  const rand = mulberry32(7);
  const ses: number[] = [];
  for (const r of c.repetitions) {
    if (!r.latency.histogram) continue;
    const d = distributionFromHdr(r.latency.histogram);
    const draws = Array.from({ length: 200 }, () => resampledQuantile(d, 0.5, rand));
    ses.push(stdev(draws) / r.latency.p50);
  }
  return median(ses);
}

/**
 * Subsample n of the case's repetitions many times and build the 95% CI with each estimator; report the median
 * relative half-width and the coverage of the full-sample median (how often the interval contains it).
 */
function estimatorTrial(values: readonly number[], n: number, seed: number) {
  const truth = median(values);
  const rand = mulberry32(seed);
  const est = {
    median,
    'harrell-davis': (v: readonly number[]) => harrellDavis(v, 0.5),
    'trimmed-20': (v: readonly number[]) => trimmedMean(v, 0.2),
  };
  const out: Record<string, { hw: number[]; covered: number; trials: number }> = {};
  for (const k of Object.keys(est)) out[k] = { hw: [], covered: 0, trials: 0 };
  for (let t = 0; t < 60; t++) {
    const pick = Array.from({ length: n }, () => values[randomIndex(rand, values.length)]!);
    for (const [k, f] of Object.entries(est)) {
      const ci = bootstrapCI(pick, f, { resamples: 400, seed: t + 1 });
      out[k]!.hw.push(relativeHalfWidth(ci));
      out[k]!.trials++;
      if (ci.low <= truth && truth <= ci.high) out[k]!.covered++;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { hw: median(v.hw), coverage: v.covered / v.trials }]));
}

async function analyze(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const f of files) {
    const doc = JSON.parse(await readFile(join(dir, f), 'utf8')) as ResultDocument;
    const o = doc.options as Record<string, number>;
    const repsTotal = doc.cases.reduce((a, c) => a + c.repetitions.length, 0);
    const repMs = (o as unknown as { studyRepMs?: number[] }).studyRepMs;
    const perRep = repMs ? median(repMs) : (o.studyWallMs as number) / repsTotal;
    process.stdout.write(
      `\n## ${doc.runId}: duration ${o.durationMs} ms, warm-up ${o.warmupMs} ms; ${repsTotal} repetitions in ${((o.studyWallMs as number) / 1000).toFixed(1)} s = ${perRep.toFixed(0)} ms per repetition (${repMs ? 'median of the timed repetitions' : 'wall / repetitions'}); load ${doc.host.loadAverage[0]} before\n`,
    );
    process.stdout.write(
      'case | n | between CV | robust CV | within SE | first/rest | lag-1 | CI± median (flat) | CI± hierarchical | CI± for 1 s of repetitions\n',
    );
    const perSecond: number[] = [];
    for (const c of doc.cases) {
      if (c.state !== 'ok' || c.repetitions.length < 4) {
        process.stdout.write(`${caseLabel(c.key)} | ${c.state} ${c.reason ?? ''}\n`);
        continue;
      }
      const v = c.repetitions.map((r) => r.latency.p50);
      const cv = stdev(v) / mean(v);
      const first = v[0]! / median(v.slice(1));
      const flat = relativeHalfWidth(bootstrapCI(v, median, { resamples: 1000 }));
      const reps = c.repetitions.map((r) => ({
        value: r.latency.p50,
        distribution: r.latency.histogram ? distributionFromHdr(r.latency.histogram) : undefined,
      }));
      const hier = relativeHalfWidth(hierarchicalBootstrapCI(reps, median, { resamples: 1000 }));
      const rcv = mad(v) / median(v);
      // the half-width one second of this configuration's repetitions would give (1/√n scaling of the measured one)
      const pps = hier * Math.sqrt((v.length * perRep) / 1000);
      perSecond.push(pps);
      process.stdout.write(
        `${caseLabel(c.key)} | ${v.length} | ${pct(cv)} | ${pct(rcv)} | ${pct(withinSe(c))} | ${first.toFixed(3)} | ${lag1(v).toFixed(2)} | ${pct(flat)} | ${pct(hier)} | ${pct(pps)}\n`,
      );
    }
    process.stdout.write(`median over cases of the CI± one second of repetitions buys: ${pct(median(perSecond))}\n`);
    if (doc.runId.endsWith('-d60-w20')) {
      process.stdout.write('\nestimators on subsamples of n repetitions (median CI± / coverage of the full-sample median):\n');
      for (const n of [5, 8, 12]) {
        const agg: Record<string, { hw: number[]; cov: number[] }> = {};
        for (const c of doc.cases) {
          if (c.state !== 'ok' || c.repetitions.length < 10) continue;
          const r = estimatorTrial(
            c.repetitions.map((x) => x.latency.p50),
            n,
            n,
          );
          for (const [k, x] of Object.entries(r)) {
            agg[k] ??= { hw: [], cov: [] };
            agg[k]!.hw.push(x.hw);
            agg[k]!.cov.push(x.coverage);
          }
        }
        process.stdout.write(
          `n=${n}: ${Object.entries(agg)
            .map(([k, x]) => `${k} ±${pct(median(x.hw))} cov ${pct(mean(x.cov))}`)
            .join('; ')}\n`,
        );
      }
    }
  }
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '8' },
    reps: { type: 'string', default: '20' },
    transports: { type: 'string', default: 'pipe,unix-stream,shm,dbus-broker' },
  },
});
const [cmd, dir] = positionals;
if (cmd === 'collect' && dir) await collect(dir, Number(values.reps), values.transports!);
else if (cmd === 'interleaved' && dir) await collectInterleaved(dir, Number(values.rounds), values.transports!);
else if (cmd === 'analyze' && dir) await analyze(dir);
else {
  process.stderr.write('usage: variance collect|analyze <dir> [--reps N] [--transports list]\n');
  process.exitCode = 2;
}
