// SPDX-License-Identifier: MIT
// The variance study's measuring half (bench/study/variance.ts is the command): runs a few representative RPC
// cases many times through the real runner in several configurations (repetition length, warm-up, placement) and
// saves one result document per configuration.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { headerSize } from '../native.js';
import { DEFAULTS, parseRunOptions } from '../options.js';
import { probeAll } from '../probe.js';
import { caseLabel, type ResultDocument } from '../result.js';
import { newRunDocument } from '../run-document.js';
import { Runner } from '../runner/runner.js';
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

/** The listed transports that are available here. */
async function availableOf(transports: string): Promise<string[]> {
  const available = new Set((await probeAll()).filter((s) => s.available).map((s) => s.name));
  return transports.split(',').filter((t) => available.has(t));
}

function emptyDoc(runId: string, opts: object, list: string[]): ResultDocument {
  return {
    ...newRunDocument(
      runId,
      [],
      opts,
      list.map((name) => ({ name, available: true })),
    ),
    warnings: [],
  };
}

/**
 * The configurations interleaved round by round (2 repetitions of every case per configuration per round), so
 * that the machine's load hits all of them alike; every repetition's wall-clock cost is recorded from the
 * runner's progress ticks.
 */
export async function collectInterleaved(dir: string, rounds: number, transports: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const list = await availableOf(transports);
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

export async function collect(dir: string, reps: number, transports: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const list = await availableOf(transports);
  for (const c of CONFIGS) {
    const opts = optionsFor(c, list, reps);
    const doc = emptyDoc(`variance-${c.name}`, opts, list);
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
