// SPDX-License-Identifier: MIT
// The kdbus performance bar of issue 7, run inside the lab with our module loaded (scripts/kdbus-bench does that):
//   1. 64 B RPC p50: kdbus vs unix-stream (target: within 2x), vs dbus-broker and dbus-daemon where installed;
//   2. the payload range where kdbus beats unix-stream (single copy vs two copies through a socket buffer);
//   3. the copy-vs-memfd crossover (kdbus vs kdbus-memfd);
//   4. broadcast publisher cost vs N subscribers: kdbus (fan-out inside one SEND) vs shm (one copy into a ring);
//   5. the cost of metadata (kdbus-meta / kdbus, RPC and broadcast at 64 B and 64 KiB, with the CPU split between
//      the sending and the receiving side) and of name routing (kdbus-name / kdbus), next to unix-stream, binder
//      and dbus-broker, all from one run per round.
// --only meta runs section 5 alone (what `ipcbench lab run` users usually want from this script).
// Every section is one `ipcbench run` per round with all transports interleaved; the report is the median over
// rounds of each case's p50. Published figures to compare with are in the FIGURES notes printed at the end.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { scriptArgs } from '../common/script-args.js';
import { REPO_ROOT } from '../bench/native.js';

const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const KiB = 1024;
const MiB = 1024 * KiB;

const { values: args } = scriptArgs(
  {
    options: {
      rounds: { type: 'string', default: '3' },
      placement: { type: 'string', default: 'same-core' },
      duration: { type: 'string', default: '300' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  },
  'scripts/kdbus-bench [--rounds 3] [--placement same-core|cross-core] [--duration MS] [--quick] [--only meta]',
);
const rounds = Number(args.rounds);
const quick = args.quick!;
const RPC_SIZES = quick ? [64, 4 * KiB, 64 * KiB, 1 * MiB] : [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 2 * MiB];
const SUBSCRIBERS = quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32];

interface Case {
  key: { transport: string; workload: string; size: number; subscribers: number };
  state: string;
  reason?: string;
  summary?: Record<string, { median: number } | undefined>;
  repetitions?: { cpuNsPerOp: { total: number; byRole: Record<string, number> } }[];
}

/** The ipcbench runs under way (stopped on a signal). */
const children = new Set<ChildProcess>();

function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [CLI, ...argv], { maxBuffer: 256 << 20, timeout: 3_000_000 }, (err, stdout, stderr) => {
      children.delete(child);
      if (err && !stdout) reject(new Error(`ipcbench ${argv.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
    children.add(child);
  });
}

function median(xs: number[]): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

const values = new Map<string, number[]>();
const errors = new Set<string>();
const key = (t: string, x: number, metric: string) => `${t}@${x}#${metric}`;
const get = (t: string, x: number, metric: string) => median(values.get(key(t, x, metric)) ?? []);

async function available(names: string[]): Promise<string[]> {
  const out = await run(['list']);
  return names.filter((n) => {
    const m = new RegExp(`^${n}\\s+(\\S+)`, 'm').exec(out);
    return m !== null && m[1] !== 'unavailable:';
  });
}

async function section(transports: string[], extra: string[], x: (c: Case) => number, metrics: string[], dir: string) {
  for (let r = 0; r < rounds; r++) {
    const out = await run([
      'run',
      '-t',
      transports.join(','),
      '-p',
      args.placement!,
      '-r',
      '1',
      '--min-repetitions',
      '1',
      '-d',
      args.duration!,
      '--warmup',
      '50',
      '--json',
      '--no-progress',
      '-o',
      dir,
      ...extra,
    ]);
    for (const c of (JSON.parse(out) as { cases: Case[] }).cases) {
      const at = x(c);
      if (c.state !== 'ok') {
        errors.add(`${c.key.transport} ${c.key.workload} ${at}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
        continue;
      }
      const put = (m: string, v: number | undefined) => {
        if (v !== undefined) values.set(key(c.key.transport, at, m), [...(values.get(key(c.key.transport, at, m)) ?? []), v]);
      };
      for (const m of metrics) put(m, c.summary?.[m]?.median);
      // CPU per operation, by role (client/server, publisher/subscriber): where the kernel work lands
      const reps = c.repetitions ?? [];
      put(`${c.key.workload}:cpu`, reps.length ? median(reps.map((r) => r.cpuNsPerOp.total)) : undefined);
      const roles = new Set(reps.flatMap((r) => Object.keys(r.cpuNsPerOp.byRole)));
      for (const role of roles) put(`${c.key.workload}:cpu:${role}`, median(reps.map((r) => r.cpuNsPerOp.byRole[role] ?? NaN)));
    }
  }
}

// the stored per-case summaries are in the metric table's units (bench/metrics.ts: latencies and CPU in µs)
const us = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} µs` : '-');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
const size = (n: number) => (n >= MiB ? `${n / MiB} MiB` : n >= KiB ? `${n / KiB} KiB` : `${n} B`);
const pad = (s: string, n: number) => s.padStart(n);

/** Section 5: metadata and name-routing costs as ratios from one run per round. */
async function metaSection(dir: string): Promise<void> {
  const sizes = [64, 64 * KiB];
  const kd = await available(['kdbus', 'kdbus-meta', 'kdbus-name']);
  const others = await available(['unix-stream', 'binder', 'dbus-broker']);
  if (kd.length < 3) throw new Error('kdbus, kdbus-meta and kdbus-name must all be available (module loaded)');
  await section([...kd, ...others], ['-w', 'rpc', '-s', sizes.join(',')], (c) => c.key.size, ['p50'], dir);
  await section(
    ['kdbus', 'kdbus-meta'],
    ['-w', 'broadcast', '--broadcast-sizes', sizes.join(','), '--subscribers', '4'],
    (c) => c.key.size,
    ['publishCall.p50', 'p50'],
    dir,
  );
  const cpu = (t: string, s: number, w: string, role: string) => get(t, s, `${w}:cpu:${role}`);
  const ns = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} µs` : '-');

  console.log('\n5. Metadata and name routing (RPC p50; CPU per call by side; one run per round, same kernel)');
  console.log(`   ${pad('size', 7)} ${pad('kdbus', 10)} ${pad('kdbus-meta', 11)} ${pad('meta/kdbus', 10)} ${pad('kdbus-name', 11)} ${pad('name/kdbus', 10)}`);
  for (const s of sizes) {
    const k = get('kdbus', s, 'p50');
    const m = get('kdbus-meta', s, 'p50');
    const n = get('kdbus-name', s, 'p50');
    console.log(`   ${pad(size(s), 7)} ${pad(us(k), 10)} ${pad(us(m), 11)} ${pad(ratio(m, k), 10)} ${pad(us(n), 11)} ${pad(ratio(n, k), 10)}`);
  }
  console.log('   CPU per call, client (sends the call, collects its metadata) / server (sends the reply, collects its metadata):');
  for (const s of sizes)
    for (const t of ['kdbus', 'kdbus-meta', 'kdbus-name'])
      console.log(`   ${pad(size(s), 7)} ${t.padEnd(11)} client ${pad(ns(cpu(t, s, 'rpc', 'client')), 9)}  server ${pad(ns(cpu(t, s, 'rpc', 'server')), 9)}`);
  console.log('   Broadcast to 4 subscribers (publish call p50; publisher CPU collects once, each subscriber gets its own copy):');
  for (const s of sizes) {
    const k = get('kdbus', s, 'publishCall.p50');
    const m = get('kdbus-meta', s, 'publishCall.p50');
    console.log(
      `   ${pad(size(s), 7)} kdbus ${pad(us(k), 10)}  kdbus-meta ${pad(us(m), 10)}  meta/kdbus ${ratio(m, k)}  publisher CPU ${ns(cpu('kdbus', s, 'broadcast', 'publisher'))} vs ${ns(cpu('kdbus-meta', s, 'broadcast', 'publisher'))}`,
    );
  }
  console.log('   Next to the others (RPC p50, and each / kdbus-meta):');
  for (const s of sizes)
    for (const o of others) {
      const v = get(o, s, 'p50');
      console.log(
        `   ${pad(size(s), 7)} ${o.padEnd(12)} ${pad(us(v), 10)}  ${o}/kdbus-meta = ${ratio(v, get('kdbus-meta', s, 'p50'))}, ${o}/kdbus = ${ratio(v, get('kdbus', s, 'p50'))}`,
      );
    }
  const missing = ['unix-stream', 'binder', 'dbus-broker'].filter((o) => !others.includes(o));
  if (missing.length) console.log(`   not available here: ${missing.join(', ')}`);
}

async function bench(dir: string): Promise<void> {
  const buses = await available(['dbus-broker', 'dbus-daemon']);
  const kd = await available(['kdbus', 'kdbus-memfd']);
  if (kd.length < 2) throw new Error('kdbus is not available here: run scripts/kdbus-bench (it boots the lab and loads the module)');
  const env = process.env.IPCBENCH_ENV ?? 'host';
  console.log(`kdbus performance bar: env ${env}, placement ${args.placement}, ${rounds} round(s), ${args.duration} ms per case`);
  if (env.startsWith('lab-tcg')) console.log('note: emulated CPU (TCG): ratios show functional behaviour and coarse ordering, not real latency');
  if (args.only === 'meta') {
    await metaSection(dir);
    printErrors();
    return;
  }
  if (args.only !== undefined) throw new Error(`--only: unknown section '${args.only}' (known: meta)`);

  const rpcT = ['kdbus', 'kdbus-memfd', 'unix-stream', ...buses];
  await section(rpcT, ['-w', 'rpc', '-s', RPC_SIZES.join(',')], (c) => c.key.size, ['p50'], dir);
  await section(
    ['kdbus', 'kdbus-memfd', 'shm', 'unix-stream'],
    ['-w', 'broadcast', '--broadcast-sizes', '64', '--subscribers', SUBSCRIBERS.join(',')],
    (c) => c.key.subscribers,
    ['publishCall.p50', 'cpu.publisher', 'p50'],
    dir,
  );

  const k64 = get('kdbus', 64, 'p50');
  const u64 = get('unix-stream', 64, 'p50');
  console.log('\n1. RPC round trip at 64 B (p50)');
  console.log(`   kdbus ${us(k64)}, unix-stream ${us(u64)}: kdbus/unix-stream = ${ratio(k64, u64)} (target <= 2x; Herrmann 2015: ~4x, 8 µs vs 2 µs)`);
  for (const b of buses) {
    const v = get(b, 64, 'p50');
    console.log(`   ${b} ${us(v)}: ${b}/kdbus = ${ratio(v, k64)} (issue target for dbus-daemon: >= 5x)`);
  }

  console.log('\n2. RPC p50 by payload size (kdbus: one copy into the receiver pool; unix-stream: two copies)');
  console.log(`   ${pad('size', 8)} ${pad('kdbus', 11)} ${pad('unix', 11)} ${pad('kdbus/unix', 10)} ${pad('memfd', 11)} ${pad('memfd/kdbus', 11)}`);
  const beats: number[] = [];
  let crossover: number | undefined;
  for (const s of RPC_SIZES) {
    const k = get('kdbus', s, 'p50');
    const u = get('unix-stream', s, 'p50');
    const m = get('kdbus-memfd', s, 'p50');
    if (k < u) beats.push(s);
    if (crossover === undefined && m < k) crossover = s;
    console.log(`   ${pad(size(s), 8)} ${pad(us(k), 11)} ${pad(us(u), 11)} ${pad(ratio(k, u), 10)} ${pad(us(m), 11)} ${pad(ratio(m, k), 11)}`);
  }
  console.log(
    beats.length
      ? `   kdbus beats unix-stream at: ${beats.map(size).join(', ')} (Herrmann 2015: between 8 KiB and 128 KiB)`
      : '   kdbus does not beat unix-stream at any measured size',
  );
  console.log(
    crossover !== undefined
      ? `3. copy-vs-memfd crossover: kdbus-memfd is faster from ${size(crossover)} (sd-bus switched to memfd above 512 KiB)`
      : `3. copy-vs-memfd crossover: none up to ${size(RPC_SIZES.at(-1)!)} (kdbus copy always faster; sd-bus: 512 KiB)`,
  );

  console.log('\n4. Broadcast, 64 B, publisher cost per message vs N subscribers (p50 of the publish call; publisher CPU)');
  console.log(
    `   ${pad('N', 3)} ${pad('kdbus', 11)} ${pad('shm', 11)} ${pad('kdbus/shm', 9)} ${pad('unix', 11)} ${pad('kdbus CPU', 10)} ${pad('shm CPU', 10)}`,
  );
  for (const n of SUBSCRIBERS) {
    const k = get('kdbus', n, 'publishCall.p50');
    const s = get('shm', n, 'publishCall.p50');
    const u = get('unix-stream', n, 'publishCall.p50');
    const kc = get('kdbus', n, 'cpu.publisher');
    const sc = get('shm', n, 'cpu.publisher');
    console.log(
      `   ${pad(String(n), 3)} ${pad(us(k), 11)} ${pad(us(s), 11)} ${pad(ratio(k, s), 9)} ${pad(us(u), 11)} ${pad(`${kc.toFixed(1)} µs`, 10)} ${pad(`${sc.toFixed(1)} µs`, 10)}`,
    );
  }
  const n0 = SUBSCRIBERS[0]!;
  const n1 = SUBSCRIBERS.at(-1)!;
  console.log(
    `   kdbus publish cost grows ${ratio(get('kdbus', n1, 'publishCall.p50'), get('kdbus', n0, 'publishCall.p50'))} from N=${n0} to N=${n1} (one copy per matching subscriber inside one SEND); shm ${ratio(get('shm', n1, 'publishCall.p50'), get('shm', n0, 'publishCall.p50'))} (one copy, receivers filter)`,
  );
  await metaSection(dir);
  printErrors();
}

function printErrors(): void {
  if (errors.size) {
    console.log('\nnot measured:');
    for (const e of errors) console.log(`   ${e}`);
  }
}

/**
 * The results directory of the runs is removed on success, failure and interruption: on SIGINT/SIGTERM/SIGHUP the
 * ipcbench run under way is stopped (it cleans up after itself), then the directory goes, and the exit code is
 * 128 + the signal's number (a second signal: at once).
 */
let stopping = false;

async function main(): Promise<void> {
  // the handlers and the directory in one synchronous step: no signal can come between them
  let dir: string | undefined;
  let code = 0;
  const leave = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      for (const c of children) c.kill('SIGKILL');
      leave();
    }
    stopping = true;
    code = 128 + os.constants.signals[sig];
    console.error(`kdbus-bench: ${sig}: stopping`);
    const running = [...children].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r))));
    for (const c of children) c.kill('SIGTERM');
    void Promise.all(running).then(leave);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  dir = mkdtempSync(join(os.tmpdir(), 'ipcbench-kdbus-bench-'));
  try {
    await bench(dir);
  } finally {
    if (!stopping) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  if (stopping) return; // the signal handler exits once the run under way has stopped
  console.error(`kdbus-bench: ${err.message}`);
  process.exit(1);
});
