// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT } from '../common/addon.js';
import { readResultFile } from '../bench/result.js';
import { headerVersion, iceoryx, iceoryxSkipReason, maxMessage, ROUDI_LOCK, ROUDI_SOCKET, roudiConfig, sweepRuntimeFiles } from './iceoryx.js';

const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const FAST = ['--duration', '30', '--warmup', '5', '--repetitions', '1', '--min-repetitions', '1', '--placement', 'same-core', '--no-progress'];

test('RouDi config: mempools in ascending size, the largest holds the largest message plus the chunk overhead', () => {
  for (const max of [64, 4096, 1 << 20, 3_000_000]) {
    const sizes = [...roudiConfig(max).matchAll(/^size = (\d+)$/gm)].map((m) => Number(m[1]));
    assert.ok(sizes.length >= 1);
    assert.deepEqual(
      [...sizes].sort((a, b) => a - b),
      sizes,
    );
    assert.ok(sizes[sizes.length - 1]! >= max + 64, `${max}: ${sizes.join(',')}`);
    for (const s of sizes) assert.equal(s % 8, 0);
  }
});

test('messages above the largest mempool chunk are skipped with the knob that raises it', () => {
  assert.equal(maxMessage({}), 1 << 20);
  assert.equal(iceoryxSkipReason({ size: 1 << 20 }, {}), undefined);
  assert.match(iceoryxSkipReason({ size: (1 << 20) + 1 }, {})!, /largest mempool chunk.*IPCBENCH_ICEORYX_MAX_MSG/);
  assert.equal(iceoryxSkipReason({ size: 4 << 20 }, { IPCBENCH_ICEORYX_MAX_MSG: String(4 << 20) }), undefined);
});

test('the iceoryx version comes from the versioned include directory', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-iceoryx-test-'));
  try {
    assert.equal(headerVersion(dir), undefined);
    for (const v of ['v2.0.3', 'v2.10.0', 'notes']) await mkdir(join(dir, v));
    assert.equal(headerVersion(dir), '2.10.0');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runtime files of processes that are gone are swept; live ones and other names stay', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-iceoryx-test-'));
  try {
    const dead = spawnSync('true').pid!; // reaped: its pid is free
    const names = [`ipcbench-p${dead}`, `ipcbench-p${dead}.lock`, `ipcbench-h${process.pid}`, `ipcbench-h${process.pid}.lock`, 'ipcbench-pipe-abc', `roudi`];
    for (const n of names) await writeFile(join(dir, n), '');
    const removed = sweepRuntimeFiles(dir)
      .map((p) => p.slice(dir.length + 1))
      .sort();
    assert.deepEqual(removed, [`ipcbench-p${dead}`, `ipcbench-p${dead}.lock`].sort());
    assert.deepEqual((await readdir(dir)).sort(), names.slice(2).sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('iceoryx is available with its version, or names the packages that provide it', async () => {
  const p = await iceoryx.probe();
  if (p.available) assert.match(p.version!, /^iceoryx \d+\.\d+\.\d+/);
  else assert.match(p.reason!, /libiceoryx-binding-c-dev|apt-get install iceoryx/);
});

/** Nobody holds RouDi's lock now (flock would create a missing lock file, so test for it first). */
function lockFree(): boolean {
  return !existsSync(ROUDI_LOCK) || spawnSync('flock', ['-n', ROUDI_LOCK, 'true']).status === 0;
}

function running(pid: number): boolean {
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`]).toString();
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

test('iceoryx through the CLI: RPC and broadcast at two sizes, corruption caught, RouDi charged and gone at exit', async (t) => {
  if (!(await iceoryx.probe()).available) return t.skip('iceoryx not built in');
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-iceoryx-test-'));
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { mode: 0o700 });
  // another run's RouDi (one per machine in iceoryx 2.0, e.g. the conformance test's, which lives as long as its
  // process) would make us wait: give up quickly and skip instead
  const env = { IPCBENCH_ENV: 'host', TMPDIR: tmp, IPCBENCH_ICEORYX_WAIT_MS: '20000' };
  const busy = (stderr: string) => /another RouDi kept running/.test(stderr);
  try {
    const ok = await execa(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'iceoryx',
        '--workloads',
        'rpc,broadcast',
        '--sizes',
        '72,8232',
        '--broadcast-sizes',
        '72,8232',
        '--subscribers',
        '2',
        '--uninterested',
        '1',
        ...FAST,
        '--fault',
        'corrupt@1',
        '--out',
        join(dir, 'out'),
      ],
      { reject: false, env, timeout: 240_000 },
    );
    if (busy(ok.stderr + ok.stdout)) return t.skip('another RouDi held the machine');
    assert.equal(ok.exitCode, 1, ok.stderr);
    const doc = await readResultFile(join(dir, 'out', (await readdir(join(dir, 'out')))[0]!));
    assert.equal(doc.cases.length, 4);
    for (const c of doc.cases) {
      assert.equal(c.state, 'errored');
      assert.match(c.reason!, /integrity check failed/);
      assert.match(c.transportVersion!, /^iceoryx \d/);
    }
    const clean = await execa(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'iceoryx',
        '--workloads',
        'rpc,broadcast',
        '--sizes',
        '72',
        '--broadcast-sizes',
        '72',
        '--subscribers',
        '2',
        ...FAST,
        '--out',
        join(dir, 'clean'),
      ],
      { reject: false, env, timeout: 240_000 },
    );
    if (busy(clean.stderr + clean.stdout)) return t.skip('another RouDi held the machine');
    assert.equal(clean.exitCode, 0, clean.stderr);
    const doc2 = await readResultFile(join(dir, 'clean', (await readdir(join(dir, 'clean')))[0]!));
    const daemons = doc2.cases.flatMap((c) => c.repetitions.flatMap((r) => r.cpu.filter((p) => p.role === 'daemon').map((p) => p.pid)));
    assert.ok(daemons.length >= 2, 'RouDi is charged to every case as a daemon');
    // the CLI stops its RouDi before it exits
    for (const pid of new Set(daemons)) assert.ok(!running(pid!), `RouDi ${pid} still running`);
    if (lockFree()) {
      // no other run's RouDi meanwhile: nothing of ours may remain
      for (const f of [ROUDI_SOCKET, '/dev/shm/iceoryx_mgmt']) assert.ok(!existsSync(f), `${f} left behind`);
    }
    assert.deepEqual(await readdir(tmp), [], 'run directories removed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('one RouDi per machine: a run waits for another RouDi and then gives up with the reason', async (t) => {
  if (!(await iceoryx.probe()).available) return t.skip('iceoryx not built in');
  if (!lockFree()) return t.skip('another RouDi is running');
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-iceoryx-test-'));
  await writeFile(join(dir, 'roudi.toml'), roudiConfig(256), { mode: 0o600 });
  const foreign = spawn('iox-roudi', ['-c', join(dir, 'roudi.toml'), '-m', 'off', '-l', 'info'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      foreign.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('RouDi is ready for clients')) resolve();
      });
      foreign.once('exit', () => reject(new Error(`iox-roudi exited: ${out}`)));
    });
    const r = await execa('node', [CLI, 'run', '--transports', 'iceoryx', '--workloads', 'rpc', '--sizes', '72', ...FAST, '--out', join(dir, 'out')], {
      reject: false,
      env: { IPCBENCH_ENV: 'host', IPCBENCH_ICEORYX_WAIT_MS: '1500' },
      timeout: 120_000,
    });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /another RouDi is running on this machine .*waiting/);
    const c = (await readResultFile(join(dir, 'out', (await readdir(join(dir, 'out')))[0]!))).cases[0]!;
    assert.match(c.reason!, /setup failed: another RouDi kept running .*one per machine/);
  } finally {
    foreign.kill('SIGTERM');
    await new Promise((r) => foreign.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
});
