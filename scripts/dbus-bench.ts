// SPDX-License-Identifier: MIT
// The D-Bus performance bar of issue 3, side by side in one run (interleaved rounds, so that the load of a shared
// machine hits every variant alike):
//   - RPC medians at 64 B: dbus-p2p, dbus-broker, dbus-daemon (and the libdbus variants) relative to unix-stream;
//   - the same at 1 MiB, plus the memfd variants;
//   - the harness against a minimal C sd-bus program (native/tools/sdbus-pingpong.c) on the same private buses,
//     and `busctl call` timed in a loop (a new process and connection per call) for orientation.
// Each round = one `ipcbench run -r 1` over all transports and sizes, then the minimal client on each bus; the
// report is the median over rounds. Run: scripts/dbus-bench [--rounds 5] [--placement cross-core] [--duration 200]
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NATIVE_DIR, REPO_ROOT } from '../bench/native.js';
import { startBroker, stopBroker } from '../transports/dbus-broker.js';
import { startDaemon, stopDaemon } from '../transports/dbus-daemon.js';
import type { TransportEnv } from '../transports/types.js';

const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const MINIMAL = join(NATIVE_DIR, 'ipcbench-sdbus-pingpong');
const SIZES = [64, 1 << 20];
const BASE = 'unix-stream';
const AT_64 = ['dbus-p2p', 'dbus-broker', 'dbus-daemon', 'dbus-broker-libdbus', 'dbus-daemon-libdbus'];
const AT_1M = [...AT_64, 'dbus-broker-memfd', 'dbus-daemon-memfd'];
const TRANSPORTS = [BASE, ...AT_1M];

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    placement: { type: 'string', default: 'cross-core' },
    duration: { type: 'string', default: '200' },
    'busctl-calls': { type: 'string', default: '100' },
    out: { type: 'string', default: 'results' },
  },
});
const rounds = Number(args.rounds);
const placement = args.placement!;
const durationMs = Number(args.duration);

function run(file: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 256 << 20, env: env ?? process.env, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`${file} ${argv.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function cpus(): { client: number; server: number } {
  if (placement === 'unpinned') return { client: -1, server: -1 };
  return { client: 0, server: placement === 'same-core' ? 0 : 1 % os.availableParallelism() };
}

const us = (ns: number) => (Number.isFinite(ns) ? `${(ns / 1000).toFixed(1)} µs` : '-');
const label = (size: number) => (size >= 1 << 20 ? `${size >> 20} MiB` : `${size} B`);

/** p50 (ns) per "transport@size" per round, from the harness and from the minimal client. */
const harness = new Map<string, number[]>();
const minimal = new Map<string, number[]>();
const errors = new Set<string>();
const versions = new Map<string, string>();
const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);

async function harnessRound(tmp: string, round: number): Promise<void> {
  const out = await run(process.execPath, [
    CLI,
    'run',
    '-t',
    TRANSPORTS.join(','),
    '-w',
    'rpc',
    '-s',
    SIZES.join(','),
    '-p',
    placement,
    '-r',
    '1',
    '--min-repetitions',
    '1',
    '-d',
    String(durationMs),
    '--json',
    '--no-progress',
    '-o',
    join(tmp, 'runs'),
  ]);
  const doc = JSON.parse(out) as {
    cases: {
      key: { transport: string; size: number };
      state: string;
      reason?: string;
      transportVersion?: string;
      repetitions: { latency: { p50: number } }[];
    }[];
  };
  for (const c of doc.cases) {
    const k = `${c.key.transport}@${c.key.size}`;
    if (c.transportVersion) versions.set(c.key.transport, c.transportVersion);
    if (c.state === 'ok' && c.repetitions[0]) push(harness, k, c.repetitions[0].latency.p50);
    else {
      push(harness, k, NaN); // keeps rounds aligned for the paired ratios
      errors.add(`round ${round + 1} ${k}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
    }
  }
}

async function minimalRound(name: string, env: TransportEnv): Promise<void> {
  const { client, server } = cpus();
  for (const size of SIZES) {
    const out = await run(MINIMAL, [
      '--address',
      env.address!,
      '--size',
      String(size),
      '--ms',
      String(durationMs),
      '--client-cpu',
      String(client),
      '--server-cpu',
      String(server),
    ]);
    const r = JSON.parse(out) as { p50Ns: number; calls: number };
    // a round where not one call finished after the warm-up says nothing (a stall on a loaded machine)
    push(minimal, `${name}@${size}`, r.calls > 0 ? r.p50Ns : NaN);
  }
}

/** Mean wall time of `busctl call` (fork + exec + connect + Hello + call) against the minimal server. */
async function busctlLoop(env: TransportEnv, calls: number): Promise<number | undefined> {
  const server = spawn(MINIMAL, ['--serve', '--address', env.address!], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const name = await new Promise<string>((resolve, reject) => {
      server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      server.once('exit', () => reject(new Error('the minimal server exited')));
    });
    const bytes = Array.from({ length: 64 }, (_, i) => String(i));
    const argv = [`--address=${env.address}`, 'call', name, '/org/ipcbench/Echo', 'org.ipcbench.Echo', 'Echo', 'ay', '64', ...bytes];
    await run('busctl', argv); // warm the page cache
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await run('busctl', argv);
    return Number(process.hrtime.bigint() - t0) / calls;
  } catch (err) {
    errors.add(`busctl: ${(err as Error).message}`);
    return undefined;
  } finally {
    server.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(os.tmpdir(), 'ipcbench-dbus-bench-'));
  const ctl = new AbortController();
  const buses: { name: string; env: TransportEnv; stop: (e: TransportEnv) => Promise<void> }[] = [];
  let busctlNs: number | undefined;
  const stopAll = async () => {
    for (const b of buses.splice(0)) await b.stop(b.env);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    for (const [name, start, stop] of [
      ['dbus-daemon', startDaemon, stopDaemon],
      ['dbus-broker', startBroker, stopBroker],
    ] as const) {
      const dir = join(tmp, name);
      await mkdir(dir, { mode: 0o700 });
      buses.push({ name, env: await start({ dir, signal: ctl.signal, log: () => {} }), stop });
    }
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`round ${r + 1}/${rounds}\n`);
      await harnessRound(tmp, r);
      for (const b of buses) await minimalRound(b.name, b.env);
    }
    busctlNs = await busctlLoop(buses[0]!.env, Number(args['busctl-calls']));
  } finally {
    await stopAll();
    await rm(tmp, { recursive: true, force: true });
  }

  const lines: string[] = [];
  const paired = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!).filter((x) => Number.isFinite(x));
  lines.push(`D-Bus RPC, ${placement}, ${rounds} interleaved rounds (${durationMs} ms each): median p50 over rounds;`);
  lines.push(`ratio = median over rounds of (p50 / ${BASE} p50 of the same round) [min..max]`);
  for (const size of SIZES) {
    const bases = harness.get(`${BASE}@${size}`) ?? [];
    lines.push(`  ${label(size)}: ${BASE} ${us(median(bases))}`);
    for (const t of size === 64 ? AT_64 : AT_1M) {
      const vs = harness.get(`${t}@${size}`) ?? [];
      const r = paired(vs, bases);
      lines.push(`    ${t.padEnd(20)} ${us(median(vs)).padStart(11)}   x${median(r).toFixed(2)} [${Math.min(...r).toFixed(2)}..${Math.max(...r).toFixed(2)}]`);
    }
  }
  // paired per round (harness and minimal ran back to back on the same bus), so that load drifting between
  // rounds on a shared machine cancels; the median of the per-round ratios, with their range
  lines.push('Harness vs a minimal C sd-bus client (ipcbench-sdbus-pingpong) on the same buses; ratio = harness / minimal p50,');
  lines.push('median of the per-round ratios [min..max]:');
  for (const size of SIZES)
    for (const b of ['dbus-daemon', 'dbus-broker']) {
      const hs = harness.get(`${b}@${size}`) ?? [];
      const ms = minimal.get(`${b}@${size}`) ?? [];
      const ratios = hs.map((h, i) => h / ms[i]!).filter((x) => Number.isFinite(x));
      const lo = Math.min(...ratios).toFixed(2);
      const hi = Math.max(...ratios).toFixed(2);
      lines.push(
        `    ${`${b} ${label(size)}`.padEnd(20)} harness ${us(median(hs)).padStart(11)}  minimal ${us(median(ms)).padStart(11)}   x${median(ratios).toFixed(2)} [${lo}..${hi}]`,
      );
    }
  if (busctlNs !== undefined) lines.push(`busctl call in a loop (new process + connection per call, dbus-daemon, 64 B): ${us(busctlNs)} per call`);
  lines.push(`versions: ${[...versions].map(([t, v]) => `${t}=${v}`).join(', ')}`);
  if (errors.size) lines.push(`not measured: ${[...errors].join('; ')}`);
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  await mkdir(args.out!, { recursive: true });
  const file = join(args.out!, `dbus-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    file,
    JSON.stringify(
      {
        placement,
        rounds,
        durationMs,
        harness: Object.fromEntries(harness),
        minimal: Object.fromEntries(minimal),
        busctlNs,
        versions: Object.fromEntries(versions),
        errors: [...errors],
        text,
      },
      null,
      2,
    ),
  );
  process.stderr.write(`raw numbers: ${file}\n`);
}

await main();
