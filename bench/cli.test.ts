// Behaviour of `ipcbench run` as a user sees it: exit codes, one-line errors, integrity failures, crashed and hung
// peers, interrupted runs. Each test uses an unusual message size so it can check that none of its peers survive.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { decodeHistogram } from './histogram.js';
import { REPO_ROOT } from './native.js';
import { readResultFile } from './result.js';

const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const FAST = ['--duration', '30', '--warmup', '5', '--repetitions', '1', '--min-repetitions', '1', '--placement', 'same-core', '--no-progress'];
// Fault tests inject at message N: they must reach it however slow the machine is, so they run until a fixed
// number of operations (--max-ops) within a long --duration instead of for a short time.
const UNTIL_FAULT = ['--duration', '60000', '--max-ops', '60'];
const LOCAL_TRANSPORTS = ['pipe', 'unix-stream', 'unix-seqpacket', 'shm', 'shm-spin'];

const made: string[] = [];
after(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function outDir(): Promise<string> {
  const d = await mkdtemp(join(os.tmpdir(), 'ipcbench-cli-test-'));
  made.push(d);
  return d;
}

/** Wait until the run's result file in `dir` holds at least one finished case (the run is then measuring). */
async function firstCaseSaved(dir: string, limitMs = 120_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    for (const f of (await readdir(dir)).filter((x) => x.endsWith('.json'))) {
      try {
        if ((JSON.parse(await readFile(join(dir, f), 'utf8')) as { cases: unknown[] }).cases.length > 0) return;
      } catch {
        // not there yet
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no case saved in ${dir} within ${limitMs} ms`);
}

async function ipcbench(args: string[], timeoutMs = 60_000) {
  return execa('node', [CLI, ...args], { reject: false, timeout: timeoutMs, env: { IPCBENCH_ENV: 'host' } });
}

/** No ipcbench-peer started with this (unusual) --max-msg is still alive. */
function peersAlive(size: number): string[] {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-af', `ipcbench-peer .*--max-msg ${size}( |$)`]).toString();
  } catch {
    return [];
  }
  return out.split('\n').filter(Boolean);
}

async function onlyResult(dir: string) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, `one result file in ${dir}: ${files.join(', ')}`);
  return readResultFile(join(dir, files[0]!));
}

test('an unknown transport exits 2 with one line listing the valid names', async () => {
  const r = await ipcbench(['run', '--transports', 'carrier-pigeon']);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /^ipcbench: unknown transport 'carrier-pigeon' \(valid: null, pipe, unix-stream/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('a bad size, an unknown workload and a bad count each exit 2 with a clear message', async () => {
  for (const [args, re] of [
    [['--sizes', '12'], /smallest size is 32/],
    [['--sizes', 'lots'], /bad size 'lots'/],
    [['--workloads', 'stream'], /unknown workload 'stream' \(valid: rpc, broadcast\)/],
    [['--repetitions', 'x'], /bad repetition count 'x'/],
  ] as const) {
    const r = await ipcbench(['run', '--transports', 'pipe', ...args]);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('an unwritable output directory exits 2 before measuring and says which directory', async () => {
  const dir = await outDir();
  await chmod(dir, 0o500);
  const target = join(dir, 'sub');
  const r = await ipcbench(['run', '--transports', 'pipe', '--sizes', '64', '--workloads', 'rpc', ...FAST, '--out', target]);
  if (process.getuid?.() === 0) {
    // root ignores directory permissions; use a path below a regular file instead
    const r2 = await ipcbench(['run', '--transports', 'pipe', '--sizes', '64', ...FAST, '--out', '/proc/version/results']);
    assert.equal(r2.exitCode, 2);
    assert.match(r2.stderr, /cannot write results to '\/proc\/version\/results'/);
  } else {
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /cannot write results to/);
  }
});

test('a small run on every local transport succeeds and writes a valid result with host metadata', async () => {
  const dir = await outDir();
  const r = await ipcbench([
    'run',
    '--transports',
    LOCAL_TRANSPORTS.join(','),
    '--sizes',
    '64,64K',
    '--subscribers',
    '3',
    '--uninterested',
    '1',
    ...FAST,
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout);
  const doc = await onlyResult(dir);
  assert.equal(doc.complete, true);
  assert.equal(doc.cases.length, LOCAL_TRANSPORTS.length * 3);
  for (const c of doc.cases) {
    assert.equal(c.state, 'ok', `${c.key.transport} ${c.key.workload}: ${c.reason}`);
    const rep = c.repetitions[0]!;
    assert.ok(rep.ops > 0 && rep.latency.p50 > 0 && rep.latency.histogram?.startsWith('HISTF'));
    // the stored summary is what HdrHistogram tools read from the stored histogram
    const h = decodeHistogram(rep.latency.histogram!);
    for (const [p, v] of [
      [50, rep.latency.p50],
      [90, rep.latency.p90],
      [99, rep.latency.p99],
      [99.9, rep.latency.p999],
      [100, rep.latency.max],
    ] as const)
      assert.equal(v, h.getValueAtPercentile(p), `${c.key.transport} ${c.key.workload} p${p}`);
    h.destroy();
    assert.ok(rep.cpu.length >= 2, 'CPU of every process of the case');
    if (c.key.workload === 'broadcast') {
      assert.equal(rep.delivery!.expected, rep.ops * 2);
      assert.equal(rep.delivery!.delivered, rep.delivery!.expected);
    }
  }
  assert.match(r.stdout, /throughput \(ops\/s\)/);
  assert.ok(doc.host.cpuModel && doc.host.kernel && doc.host.gitSha);
});

for (const transport of LOCAL_TRANSPORTS) {
  test(`${transport}: a corrupted reply fails the case with the integrity check`, async () => {
    const dir = await outDir();
    const r = await ipcbench([
      'run',
      '--transports',
      transport,
      '--workloads',
      'rpc',
      '--sizes',
      '200',
      ...FAST,
      ...UNTIL_FAULT,
      '--fault',
      'corrupt@20',
      '--out',
      dir,
    ]);
    assert.equal(r.exitCode, 1, r.stderr + r.stdout);
    const doc = await onlyResult(dir);
    assert.equal(doc.cases[0]!.state, 'errored');
    assert.match(doc.cases[0]!.reason!, /integrity check failed on reply 20: payload checksum mismatch/);
  });
}

test('a peer that crashes mid-run turns the case into errored with its stderr; the rest of the matrix continues', async () => {
  const dir = await outDir();
  const r = await ipcbench([
    'run',
    '--transports',
    'shm,pipe',
    '--workloads',
    'rpc',
    '--sizes',
    '232',
    ...FAST,
    ...UNTIL_FAULT,
    '--fault',
    'crash@30',
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 1);
  const doc = await onlyResult(dir);
  assert.equal(doc.cases.length, 2);
  for (const c of doc.cases) {
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /injected crash at message 30/);
    assert.match(c.reason!, /SIGSEGV/);
  }
  assert.deepEqual(peersAlive(232), []);
});

test('a peer that hangs is killed by the timeout and no peer survives', async () => {
  const dir = await outDir();
  const started = Date.now();
  const r = await ipcbench([
    'run',
    '--transports',
    'shm,unix-stream',
    '--workloads',
    'rpc',
    '--sizes',
    '264',
    ...FAST,
    '--duration',
    '4000',
    '--max-ops',
    '60',
    '--timeout',
    '500',
    '--fault',
    'hang@10',
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 1);
  assert.ok(Date.now() - started < 60_000, 'bounded by the timeout');
  const doc = await onlyResult(dir);
  for (const c of doc.cases) {
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /timed out after 500 ms/);
  }
  assert.deepEqual(peersAlive(264), []);
});

for (const transport of ['pipe', 'shm']) {
  test(`${transport}: a subscriber that skips a message is caught by the lossless check`, async () => {
    const dir = await outDir();
    const r = await ipcbench([
      'run',
      '--transports',
      transport,
      '--workloads',
      'broadcast',
      '--subscribers',
      '2',
      '--broadcast-sizes',
      '296',
      ...FAST,
      ...UNTIL_FAULT,
      '--fault',
      'skip@15',
      '--out',
      dir,
    ]);
    assert.equal(r.exitCode, 1, r.stdout);
    const c = (await onlyResult(dir)).cases[0]!;
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /lossless check failed: .*lost 1/);
  });

  test(`${transport}: a subscriber that dies mid-run is reported, without a hang or survivors`, async () => {
    const dir = await outDir();
    const r = await ipcbench(
      [
        'run',
        '--transports',
        transport,
        '--workloads',
        'broadcast',
        '--subscribers',
        '3',
        '--broadcast-sizes',
        '328',
        ...FAST,
        ...UNTIL_FAULT,
        '--fault',
        'exit@15',
        '--out',
        dir,
      ],
      90_000,
    );
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const c = (await onlyResult(dir)).cases[0]!;
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /subscriber peer exited with status 3: ipcbench-peer: injected exit at message 15/);
    assert.deepEqual(peersAlive(328), []);
  });
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${sig} stops the run, keeps the cases measured so far, kills the peers and exits ${code}`, async () => {
    const dir = await outDir();
    const child = spawn(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'pipe,shm',
        '--workloads',
        'rpc',
        '--sizes',
        '360..360K:x2',
        '--placement',
        'same-core',
        '--duration',
        '200',
        '--repetitions',
        '2',
        '--no-progress',
        '--out',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    await firstCaseSaved(dir);
    child.kill(sig);
    const [exitCode, bySignal] = await exited;
    assert.deepEqual([exitCode, bySignal], [code, null], stderr);
    assert.match(stderr, new RegExp(`${sig}: stopping; .*results so far kept in ${dir}`));
    const doc = await onlyResult(dir);
    assert.equal(doc.interrupted, true);
    assert.equal(doc.complete, false);
    assert.ok(
      doc.cases.some((c) => c.state === 'ok'),
      'measured cases kept',
    );
    // stopped before the end: cases never started (fixed counts) or cases short of their repetitions (--budget)
    assert.ok(doc.cases.length < 2 * 11 || doc.cases.some((c) => c.repetitions.length < 2), 'stopped before the end');
    assert.deepEqual(peersAlive(360), []);
  });
}

// Ctrl-C twice: the second signal arrives while the first one's cleanup runs. The bus launcher is stopped
// (SIGSTOP) before the first signal, so the orderly teardown of the bus waits (its SIGTERM grace, 2 s) and the
// second signal lands inside that cleanup. Then: the harness leaves at once with the first signal's exit code,
// every peer and bus daemon is gone, its temporary directories are removed, the results saved so far are kept.
const haveDbusDaemon = ['/usr/bin/dbus-daemon', '/usr/sbin/dbus-daemon', '/bin/dbus-daemon'].some((p) => {
  try {
    execFileSync('test', ['-x', p]);
    return true;
  } catch {
    return false;
  }
});
test(
  "a second signal during cleanup: emergency cleanup (peers and bus daemons killed, temp dirs removed), saved results kept, the first signal's exit code",
  { skip: !haveDbusDaemon && 'dbus-daemon not installed' },
  async () => {
    const dir = await outDir();
    const tmp = await outDir(); // the run's TMPDIR: every directory, bus and peer of the run lives under it
    const child = spawn(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'pipe,dbus-daemon',
        '--workloads',
        'rpc',
        '--sizes',
        '376..376K:x2',
        '--placement',
        'unpinned',
        '--duration',
        '200',
        '--repetitions',
        '2',
        '--no-progress',
        '--out',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp, IPCBENCH_ENV: 'host' } },
    );
    let stderr = '';
    let stopping: () => void = () => {};
    const sawStopping = new Promise<void>((r) => (stopping = r));
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (/SIGINT: stopping/.test(stderr)) stopping();
    });
    const exited = new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    let launcher: number | undefined;
    try {
      await firstCaseSaved(dir);
      const launchers = execFileSync('pgrep', ['-f', `ipcbench-bus-launch .*${tmp}`])
        .toString()
        .split('\n')
        .filter(Boolean);
      assert.equal(launchers.length, 1, `one bus launcher under ${tmp}`);
      launcher = Number(launchers[0]);
      process.kill(launcher, 'SIGSTOP');
      child.kill('SIGINT');
      await sawStopping;
      child.kill('SIGTERM');
      const [exitCode, bySignal] = await exited;
      assert.deepEqual([exitCode, bySignal], [130, null], stderr);
      assert.match(
        stderr,
        /SIGTERM during cleanup: leaving at once \(peers and bus daemons killed, temporary directories removed\); results saved so far are in /,
      );
      const doc = await onlyResult(dir);
      assert.ok(doc.cases.length > 0, 'the cases saved before the signals are kept');
      assert.deepEqual(await readdir(tmp), [], 'no temporary directory left');
      let leftovers = '';
      try {
        leftovers = execFileSync('pgrep', ['-af', tmp]).toString();
      } catch {
        // none
      }
      assert.equal(leftovers, '', 'no peer, bus daemon or launcher left');
      assert.deepEqual(peersAlive(376), []);
    } finally {
      child.kill('SIGKILL');
      if (launcher) {
        try {
          process.kill(launcher, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      }
    }
  },
);

test('list names every transport with available/unavailable and a reason', async () => {
  const r = await ipcbench(['list', '--json']);
  assert.equal(r.exitCode, 0);
  const list = JSON.parse(r.stdout) as { name: string; available: boolean; reason?: string }[];
  for (const name of LOCAL_TRANSPORTS) assert.ok(list.find((t) => t.name === name)?.available, name);
  for (const t of list) if (!t.available) assert.ok(t.reason && t.reason.length > 5, `${t.name} has a reason`);
});

test('env prints host metadata and --json parses', async () => {
  const r = await ipcbench(['env', '--json']);
  assert.equal(r.exitCode, 0);
  const e = JSON.parse(r.stdout) as { host: { cores: number }; warnings: string[] };
  assert.ok(e.host.cores >= 1);
});

test('open-loop broadcast accounts for every message: delivered + lost = expected, and lateness is counted', async () => {
  const dir = await outDir();
  const r = await ipcbench([
    'run',
    '--transports',
    'pipe,shm',
    '--workloads',
    'broadcast',
    '--mode',
    'open',
    '--rate',
    '20000',
    '--subscribers',
    '3',
    '--broadcast-sizes',
    '392',
    ...FAST,
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  for (const c of (await onlyResult(dir)).cases) {
    assert.equal(c.state, 'ok', c.reason);
    assert.equal(c.key.mode, 'open');
    const d = c.repetitions[0]!.delivery!;
    assert.equal(d.delivered + d.lost, d.expected, JSON.stringify(d));
    assert.equal(d.corrupted, 0);
    assert.ok(d.late <= d.delivered);
    if (c.key.transport === 'pipe') assert.equal(d.lost, 0, 'pipes apply backpressure instead of dropping');
  }
});
