// `ipcbench gate` and `ipcbench calibrate`. Flags and exit codes only; the loop is gate-runner.ts, the verdict
// reports/gate.ts, the noise model reports/noise-model.ts.
// Exit codes (like compare): 0 no regression, 1 regression or a case broken by the candidate, 2 usage/input
// error, 130/143 interrupted (results so far kept).
import { Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, EXIT } from '../../common/errors.js';
import { headerSize } from '../native.js';
import { DEFAULTS, parseRunOptions, type RawRunFlags, type RunOptions } from '../options.js';
import { readResultFile, type ResultDocument } from '../result.js';
import { newRunDocument } from '../run-document.js';
import { Runner } from '../runner/runner.js';
import { ensureWritableDir, newRunId, ResultWriter } from '../writer.js';
import { caseDecided, gateCaseMetrics, gateExitCode, gateVerdicts, DEFAULT_GATE_OPTIONS, type GateOptions } from '../../reports/gate.js';
import { caseId } from '../../reports/model.js';
import { formatGate, GATE_FORMATS, type GateFormat } from '../../reports/gate-format.js';
import { toBencherMetricFormat, toGithubActionBenchmark } from '../../reports/export.js';
import { calibrateFromPairs } from '../../reports/noise-model.js';
import { METRICS } from '../metrics.js';
import { TRANSPORT_NAMES } from '../../transports/index.js';
import { runGateLoop, type GateSide } from './gate-runner.js';
import { parseSideSpec, sideTransport } from './spec.js';

/** What a gate measures unless told otherwise: RPC, 64 B and 4 KiB, both pinned placements (docs/ci.md). */
// Shorter repetitions than a run's: a gate's precision comes from the number of pairs (the p50 of a repetition is
// known to 0.0-0.2% same-core after 30 ms; the repetitions of one build differ by up to 20% from one peer start to
// the next), and --max-pairs 60 buys more of them (docs/statistics.md, "Gate quality").
const GATE_DEFAULTS = { workloads: 'rpc', sizes: '64,4K', placement: 'same-core,cross-core', duration: '30', warmup: '10' } as const;

function percent(v: string): number {
  const n = Number(v.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n >= 100) throw new UsageError(`bad percentage '${v}'`);
  return n / 100;
}

function count(v: string, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`bad ${what} '${v}': expected a whole number from ${min} to ${max}`);
  return n;
}

function onSignals(controller: AbortController): () => void {
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${sig}: stopping; the pairs measured so far are kept\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

interface GateFlags extends RawRunFlags {
  baseline: string;
  candidate: string;
  pairs: string;
  maxPairs: string;
  threshold: string;
  tailThreshold: string;
  alpha: string;
  metrics?: string;
  format: GateFormat;
  bmf?: string;
  ghBenchmark?: string;
  verbose?: boolean;
}

async function gateCommand(flags: GateFlags, cmd: Command, argv: string[]): Promise<number> {
  const t0 = performance.now();
  // gate's own defaults where the user did not choose
  const raw = { ...flags } as RawRunFlags;
  for (const [k, v] of Object.entries(GATE_DEFAULTS)) if (cmd.getOptionValueSource(k) === 'default') (raw as unknown as Record<string, string>)[k] = v;
  if (flags.transports) throw new UsageError('gate measures what --baseline and --candidate name; --transports does not apply');
  const minPairs = count(flags.pairs, '--pairs', 6, 1000);
  const maxPairs = Math.max(minPairs, count(flags.maxPairs, '--max-pairs', 6, 1000));
  const threshold = percent(flags.threshold);
  const tailThreshold = percent(flags.tailThreshold);
  const alpha = Number(flags.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`bad --alpha '${flags.alpha}'`);
  const metrics = flags.metrics ? flags.metrics.split(',').map((m) => m.trim()) : undefined;
  for (const m of metrics ?? []) if (!METRICS.some((x) => x.id === m)) throw new UsageError(`unknown metric '${m}'`);
  const gateOptions: GateOptions = { ...DEFAULT_GATE_OPTIONS, threshold, tailThreshold, alpha, ...(metrics ? { metrics } : {}) };
  const specs = { baseline: parseSideSpec(flags.baseline, '--baseline'), candidate: parseSideSpec(flags.candidate, '--candidate') };
  const a = sideTransport(specs.baseline, 'baseline');
  const b = sideTransport(specs.candidate, 'candidate');
  const opts = parseRunOptions({ ...raw, transports: undefined }, TRANSPORT_NAMES, TRANSPORT_NAMES, headerSize());
  await ensureWritableDir(opts.out);
  const runId = newRunId();
  const status = async (t: typeof a.transport) => {
    try {
      const p = await t.probe();
      return { name: t.name, available: p.available, ...(p.reason ? { reason: p.reason } : {}), ...(p.version ? { version: p.version } : {}) };
    } catch (err) {
      return { name: t.name, available: false, reason: `probe failed: ${(err as Error).message}` };
    }
  };
  const sides: [GateSide, GateSide] = [
    { transport: a.transport, env: a.env, status: await status(a.transport), doc: newRunDocument(`${runId}-baseline`, argv, opts, []) },
    { transport: b.transport, env: b.env, status: await status(b.transport), doc: newRunDocument(`${runId}-candidate`, argv, opts, []) },
  ];
  for (const s of sides) {
    s.doc.transports = [s.status];
    if (!s.status.available)
      throw new UsageError(
        `${s === sides[0] ? '--baseline' : '--candidate'} ${s === sides[0] ? flags.baseline : flags.candidate}: unavailable: ${s.status.reason}`,
      );
  }
  for (const w of sides[0].doc.warnings) process.stderr.write(`warning: ${w}\n`);
  const dir = join(opts.out, `gate-${runId}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const writers = sides.map((_s, i) => new ResultWriter(dir, i === 0 ? 'baseline' : 'candidate'));
  const save = () => Promise.all(sides.map((s, i) => writers[i]!.save(s.doc))).then(() => undefined);
  const controller = new AbortController();
  const off = onSignals(controller);
  let last = 0;
  let loop;
  try {
    loop = await runGateLoop(
      opts,
      sides,
      {
        minPairs,
        maxPairs,
        budgetMs: opts.budgetMs > 0 ? opts.budgetMs - 2000 : Infinity,
        startMs: t0,
        decide: (base, cand) => (caseDecided(gateCaseMetrics(base, cand, caseId(base.key, { withTransport: false }), '', gateOptions)) ? 'closed' : 'open'),
      },
      controller.signal,
      {
        onProgress: (done, total, label) => {
          if (opts.progress && Date.now() - last > 2000) {
            last = Date.now();
            process.stderr.write(`[${done}/${total}] ${label}\n`);
          }
        },
        log: (m) => process.stderr.write(`${m}\n`),
        onSave: save,
      },
    );
  } finally {
    off();
  }
  for (const s of sides) {
    s.doc.finishedAt = new Date().toISOString();
    s.doc.complete = !controller.signal.aborted;
    if (controller.signal.aborted) s.doc.interrupted = true;
  }
  await save();
  const verdict = gateVerdicts(sides[0].doc, sides[1].doc, { baseline: flags.baseline, candidate: flags.candidate }, gateOptions);
  if (loop.budgetExhausted) verdict.warnings.push(`the time budget (--budget ${(opts.budgetMs / 1000).toFixed(0)} s) ran out before every case was decided`);
  await writeFile(join(dir, 'gate.json'), formatGate(verdict, 'json'));
  if (flags.bmf) await writeFile(flags.bmf, JSON.stringify(toBencherMetricFormat(sides[1].doc), null, 2) + '\n');
  if (flags.ghBenchmark) await writeFile(flags.ghBenchmark, JSON.stringify(toGithubActionBenchmark(sides[1].doc), null, 2) + '\n');
  process.stdout.write(formatGate(verdict, flags.format, flags.verbose ?? false));
  process.stderr.write(`gate: ${((performance.now() - t0) / 1000).toFixed(1)} s; results in ${dir} (baseline.json, candidate.json, gate.json)\n`);
  if (controller.signal.aborted) return EXIT.interrupted;
  return gateExitCode(verdict);
}

interface CalibrateFlags extends RawRunFlags {
  pairs: string;
  from?: string[];
  noiseOut: string;
  level: string;
  plugin?: string[];
}

async function measure(opts: RunOptions, argv: string[], statuses: ResultDocument['transports'], label: string): Promise<ResultDocument> {
  const doc = newRunDocument(newRunId(), argv, opts, statuses);
  const writer = new ResultWriter(opts.out, doc.runId);
  const controller = new AbortController();
  const off = onSignals(controller);
  try {
    process.stderr.write(`${label}: measuring ${doc.runId}\n`);
    await new Runner(opts, doc, controller.signal, {
      onSave: async (d) => {
        await writer.save(d);
      },
      log: (m) => process.stderr.write(`${m}\n`),
    }).run();
  } finally {
    off();
  }
  doc.finishedAt = new Date().toISOString();
  doc.complete = !controller.signal.aborted;
  await writer.save(doc);
  if (controller.signal.aborted) throw Object.assign(new Error('interrupted'), { interrupted: true });
  return doc;
}

async function calibrateCommand(flags: CalibrateFlags, argv: string[]): Promise<number> {
  const level = Number(flags.level);
  if (!(level > 0.5 && level < 1)) throw new UsageError(`bad --level '${flags.level}': a probability such as 0.99`);
  const pairs: [ResultDocument, ResultDocument][] = [];
  if (flags.from?.length) {
    if (flags.from.length < 4 || flags.from.length % 2) throw new UsageError('--from takes an even number (at least 4) of A/A result files: a1 b1 a2 b2 ...');
    const docs: ResultDocument[] = [];
    for (const f of flags.from) docs.push(await readResultFile(f));
    for (let i = 0; i < docs.length; i += 2) pairs.push([docs[i]!, docs[i + 1]!]);
  } else {
    const k = count(flags.pairs, '--pairs', 2, 100);
    const { probeAll } = await import('../probe.js');
    const { loadPluginTransport, parsePluginArg } = await import('../plugin-transport.js');
    const plugins = (flags.plugin ?? []).map((x) => loadPluginTransport(parsePluginArg(x).file, parsePluginArg(x).name).name);
    const raw = plugins.length ? { ...flags, transports: [...plugins, ...(flags.transports ? [flags.transports] : [])].join(',') } : flags;
    const defaults = (await probeAll()).filter((s) => s.available).map((s) => s.name);
    const opts = parseRunOptions(raw, TRANSPORT_NAMES, raw.transports ? TRANSPORT_NAMES : defaults, headerSize());
    await ensureWritableDir(opts.out);
    const statuses = await probeAll(opts.transports);
    for (let i = 0; i < k; i++) {
      const x = await measure(opts, argv, statuses, `A/A pair ${i + 1}/${k}, run A`);
      const y = await measure(opts, argv, statuses, `A/A pair ${i + 1}/${k}, run B`);
      pairs.push([x, y]);
    }
  }
  const noise = calibrateFromPairs(pairs, { level });
  await writeFile(flags.noiseOut, JSON.stringify(noise, null, 1) + '\n');
  const floors = Object.entries(noise.cases).flatMap(([, m]) => (m['p50'] ? [m['p50'].floor] : []));
  floors.sort((x, y) => x - y);
  const med = floors.length ? floors[floors.length >> 1]! : NaN;
  process.stdout.write(
    `noise model of ${Object.keys(noise.cases).length} case(s) from ${pairs.length} A/A pair(s) written to ${flags.noiseOut}\n` +
      `p50 floor (change an A/A pair exceeds with probability ${(1 - level).toFixed(2)}): median ${(med * 100).toFixed(1)}%, largest ${((floors.at(-1) ?? NaN) * 100).toFixed(1)}%\n` +
      `use it: ipcbench compare baseline.json current.json --noise ${flags.noiseOut}\n`,
  );
  return EXIT.ok;
}

export function registerGateCommands(program: Command, addRunOptions: (c: Command) => Command, setCode: (c: number) => void): void {
  const gate = addRunOptions(
    program
      .command('gate')
      .description('CI gate: baseline and candidate measured interleaved (ABBA) in one run; fails on a change whose paired 95% CI lies beyond the threshold')
      .requiredOption('--baseline <spec>', 'what the main branch builds: lib.so[=name] | transport[@daemon-binary] [,VAR=value...]')
      .requiredOption('--candidate <spec>', 'what the pull request builds (same forms)'),
  )
    .option('--pairs <n>', 'pairs (baseline + candidate repetitions) every case gets first', '8')
    .option('--max-pairs <n>', 'most pairs per case: a case gets more than --pairs while the verdict on one of its metrics is undecided', '60')
    .option(
      '--threshold <percent>',
      'smallest change that fails the gate, applied to the CI (medians, throughput, CPU)',
      String(DEFAULT_GATE_OPTIONS.threshold * 100),
    )
    .option('--tail-threshold <percent>', 'the same for tail percentiles (p99)', String(DEFAULT_GATE_OPTIONS.tailThreshold * 100))
    .option('--alpha <p>', 'level of the one-sided sign test on the pairs (Holm over the gate)', String(DEFAULT_GATE_OPTIONS.alpha))
    .option('--metrics <ids>', `metrics to gate (default ${DEFAULT_GATE_OPTIONS.metrics.join(',')})`)
    .addOption(new Option('--format <format>', 'output format').choices(GATE_FORMATS).default('text'))
    .option('-v, --verbose', 'text format: every metric of every case')
    .option('--bmf <file>', 'also write the candidate in Bencher Metric Format JSON')
    .option('--gh-benchmark <file>', 'also write the candidate as github-action-benchmark customSmallerIsBetter JSON')
    .addHelpText(
      'after',
      `\nDefaults for the gate: --workloads ${GATE_DEFAULTS.workloads} --sizes ${GATE_DEFAULTS.sizes} --placement ${GATE_DEFAULTS.placement} --duration ${GATE_DEFAULTS.duration} --warmup ${GATE_DEFAULTS.warmup} --budget ${DEFAULTS.budget}.\n` +
        'Exit codes: 0 no regression, 1 regression (or a case the candidate broke), 2 usage or input error, 130 interrupted.\n' +
        'Examples:\n  $ ipcbench gate --baseline main/libmyipc.so --candidate pr/libmyipc.so\n' +
        '  $ ipcbench gate --baseline dbus-broker@/opt/main/bin/dbus-broker --candidate dbus-broker@/opt/pr/bin/dbus-broker --sizes 64,64K',
    );
  gate.action(async (flags: GateFlags) => {
    setCode(await gateCommand(flags, gate, process.argv.slice(2)));
  });

  const calibrate = addRunOptions(
    program.command('calibrate').description('measure A/A pairs (identical code, run after run) and store the run-to-run noise per case for compare --noise'),
  )
    .option('--pairs <n>', 'A/A pairs to measure (2 runs each)', '5')
    .option('--from <files...>', 'use existing A/A result files instead of measuring: a1 b1 a2 b2 ...')
    .option('--noise-out <file>', 'where to write the noise model', 'noise.json')
    .option('--level <p>', 'an A/A pair exceeds the stored floor with probability 1 - level', '0.99');
  calibrate.action(async (flags: CalibrateFlags) => {
    setCode(await calibrateCommand(flags, process.argv.slice(2)));
  });
}
