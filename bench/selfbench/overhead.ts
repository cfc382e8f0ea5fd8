// Harness overhead benchmark (issue 2's performance bar). In one invocation, side by side and interleaved
// (A B A B ...), it measures the same primitive twice at 64 B on the same placement:
//   minimal: native/minimal/pingpong.c, an lmbench-style ping-pong with no harness at all;
//   suite:   `ipcbench run` machinery (runner, peers, addon, integrity checks, HDR histogram).
// and prints the ratio of the medians. Targets: pipe and unix-stream <= 1.05; shm <= 1.2 x a bare futex
// ping-pong over shared memory. It also reports, with tinybench, the fixed wall-clock cost of one repetition
// (spawn peer, handshake, teardown), which is what bounds how many repetitions a run can afford.
//
// usage: node dist/bench/selfbench/overhead.js [--rounds 5] [--duration 1000] [--placement same-core|cross-core]
import { execa } from 'execa';
import os from 'node:os';
import { scriptArgs } from '../../common/script-args.js';
import { Bench } from 'tinybench';
import { collectHost } from '../host.js';
import { PINGPONG_PATH, headerSize } from '../native.js';
import { DEFAULTS, parseRunOptions } from '../options.js';
import { rpcCpus } from '../matrix.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type ResultDocument } from '../result.js';
import { Runner } from '../runner/runner.js';
import { median } from '../stats.js';
import { TRANSPORT_NAMES } from '../../transports/index.js';

const { values: args } = scriptArgs(
  {
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '1000' },
      placement: { type: 'string', default: 'same-core' },
    },
  },
  'node dist/bench/selfbench/overhead.js [--rounds 5] [--duration 1000] [--placement same-core|cross-core]',
);
const rounds = Number(args.rounds);
const durationMs = Number(args.duration);
const placement = args.placement as 'same-core' | 'cross-core';
if (!['same-core', 'cross-core'].includes(placement) || !(rounds >= 1) || !(durationMs >= 50)) {
  process.stderr.write('usage: overhead [--rounds N>=1] [--duration MS>=50] [--placement same-core|cross-core]\n');
  process.exit(2);
}

async function suiteMedian(transport: string, duration: number, repetitions = 1): Promise<number> {
  const opts = parseRunOptions(
    {
      ...DEFAULTS,
      placement,
      transports: transport,
      workloads: 'rpc',
      sizes: '64',
      repetitions: String(repetitions),
      minRepetitions: String(repetitions),
      duration: String(duration),
      warmup: '100',
    },
    TRANSPORT_NAMES,
    TRANSPORT_NAMES,
    headerSize(),
  );
  const doc: ResultDocument = {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    runId: 'overhead',
    startedAt: new Date().toISOString(),
    complete: false,
    argv: [],
    options: {},
    host: collectHost(),
    warnings: [],
    transports: [{ name: transport, available: true }],
    cases: [],
  };
  await new Runner(opts, doc, new AbortController().signal).run();
  const c = doc.cases[0]!;
  if (c.state !== 'ok') throw new Error(`${transport}: ${c.state}: ${c.reason}`);
  return c.summary!.p50!.median * 1000; // the summary is in µs (bench/metrics.ts); ns here
}

async function minimalMedian(primitive: string): Promise<number> {
  const cpus = rpcCpus(placement, 0, os.availableParallelism());
  const r = await execa(PINGPONG_PATH, [primitive, '64', String(durationMs), String(cpus.client), String(cpus.server)]);
  return (JSON.parse(r.stdout) as { p50: number }).p50;
}

const pairs: [string, string, number][] = [
  ['pipe', 'pipe', 1.05],
  ['unix-stream', 'unix-stream', 1.05],
  ['shm', 'futex', 1.2],
];

process.stdout.write(`harness overhead at 64 B, ${placement}, ${rounds} interleaved rounds of ${durationMs} ms each\n`);
process.stdout.write(`host: ${collectHost().cpuModel}, ${os.availableParallelism()} CPUs, load ${os.loadavg()[0]!.toFixed(2)}\n\n`);
const rows: string[] = [];
let failed = false;
for (const [transport, primitive, target] of pairs) {
  const suite: number[] = [];
  const minimal: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const m = await minimalMedian(primitive);
    const s = await suiteMedian(transport, durationMs);
    minimal.push(m);
    suite.push(s);
    ratios.push(s / m);
  }
  const ratio = median(ratios);
  const ok = ratio <= target;
  failed ||= !ok;
  rows.push(
    `${transport.padEnd(12)} suite p50 ${(median(suite) / 1000).toFixed(2).padStart(7)} us   minimal ${primitive.padEnd(11)} p50 ${(median(minimal) / 1000)
      .toFixed(2)
      .padStart(7)} us   ratio ${ratio.toFixed(3)} (per-round ${ratios.map((r) => r.toFixed(3)).join(' ')})   target <= ${target}: ${ok ? 'met' : 'NOT met'}`,
  );
}
process.stdout.write(`${rows.join('\n')}\n\n`);

// The fixed cost of a repetition (fresh peer, handshake, goodbye, reaping), timed by tinybench.
const bench = new Bench({ iterations: 10, warmupIterations: 2, time: 0 });
bench.add('one pipe repetition with a 1 ms timed part', async () => {
  await suiteMedian('pipe', 1);
});
await bench.run();
const t = bench.tasks[0]!.result as { latency?: { p50?: number }; median?: number } | undefined;
const perRep = t?.latency?.p50 ?? t?.median;
process.stdout.write(
  `fixed cost per repetition (tinybench, median of 10): ${perRep === undefined ? 'n/a' : `${perRep.toFixed(1)} ms`} (includes 100 ms warm-up + 1 ms timed)\n`,
);
process.exitCode = failed ? 1 : 0;
