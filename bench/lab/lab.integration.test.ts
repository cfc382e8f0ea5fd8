// SPDX-License-Identifier: MIT
// Builds (or finds cached) the lab kernel, boots it under qemu and runs real cases inside. Slow: the first
// build takes minutes; a boot takes seconds under TCG. Skipped with IPCBENCH_SKIP_LAB=1 (scripts/test --no-lab).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bootLab } from './boot.js';
import { LabError, repoRoot } from './config.js';
import { ensureKernel } from './kernel.js';
import { labRun } from './run.js';

const skip = process.env.IPCBENCH_SKIP_LAB === '1' ? 'IPCBENCH_SKIP_LAB=1: the lab (kernel build + qemu boot) is skipped' : false;
const quiet = { log: () => {}, onOutput: () => {} };

/** No qemu of ours may survive a test (other people's lab VMs on the same machine are not ours). */
function ourQemus(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  // our qemus run as timeout(1) -> qemu, timeout being our child
  const wrappers = new Set(rows.filter((m) => Number(m[2]) === process.pid && m[3]!.includes('qemu-system')).map((m) => m[1]));
  return rows.filter((m) => wrappers.has(m[1]) || wrappers.has(m[2])).map((m) => m[0]);
}

test('lab: the kernel builds (or is cached) with binder, 9p and modules', { skip, timeout: 40 * 60_000 }, async () => {
  const k = await ensureKernel({ variant: 'default', log: (l) => process.stderr.write(`${l}\n`) });
  const config = readFileSync(join(k.tree, '.config'), 'utf8');
  for (const opt of ['CONFIG_ANDROID_BINDER_IPC=y', 'CONFIG_ANDROID_BINDERFS=y', 'CONFIG_9P_FS=y', 'CONFIG_MODULES=y'])
    assert.ok(config.includes(`${opt}\n`), `${opt} missing from the built kernel's .config`);
});

test('lab: exec streams output and returns the command exit code', { skip, timeout: 5 * 60_000 }, async () => {
  const lines: string[] = [];
  const r = await bootLab({
    command: 'echo "env=$IPCBENCH_ENV"; ls /dev/binderfs; exit 7',
    timeoutMs: 180_000,
    log: () => {},
    onOutput: (l) => lines.push(l),
  });
  assert.equal(r.exitCode, 7);
  assert.ok(lines.includes(`env=${r.env}`), lines.join('\n'));
  assert.ok(
    lines.some((l) => l.includes('binder-control')),
    'binderfs is mounted inside',
  );
  assert.match(r.env, /^lab-(tcg|kvm)$/);
});

test('lab: binder RPC + broadcast and a pipe case run inside and their results come back', { skip, timeout: 15 * 60_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'ipcbench-lab-test-'));
  try {
    const r = await labRun({
      runArgs: [
        '--transports',
        'binder,pipe',
        '--workloads',
        'rpc,broadcast',
        '--sizes',
        '64',
        '--broadcast-sizes',
        '64',
        '--subscribers',
        '2',
        '--placement',
        'unpinned',
        '-r',
        '2',
        '--min-repetitions',
        '2',
        '-d',
        '50',
        '--warmup',
        '10',
        '--no-progress',
      ],
      out,
      timeoutMs: 10 * 60_000,
      ...quiet,
    });
    assert.equal(r.exitCode, 0, `ipcbench run inside the lab failed; serial log: ${r.serialLog}`);
    assert.equal(r.files.length, 1);
    const doc = JSON.parse(readFileSync(r.files[0]!, 'utf8')) as {
      host: { env: string };
      cases: { key: { transport: string; workload: string }; state: string; reason?: string }[];
    };
    assert.equal(doc.host.env, r.env, 'the run inside records lab-tcg / lab-kvm');
    for (const [transport, workload] of [
      ['binder', 'rpc'],
      ['binder', 'broadcast'],
      ['pipe', 'rpc'],
    ]) {
      const c = doc.cases.find((x) => x.key.transport === transport && x.key.workload === workload);
      assert.ok(c, `no ${transport} ${workload} case`);
      assert.equal(c.state, 'ok', `${transport} ${workload}: ${c.state} ${c.reason ?? ''}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('lab: a panicking boot is detected and reported with the serial log', { skip, timeout: 5 * 60_000 }, async () => {
  // init=/bin/false (the last init= wins): init exits, the kernel panics, panic=-1 reboots, qemu exits
  await assert.rejects(
    bootLab({ command: 'true', kernelArgs: ['init=/bin/false'], timeoutMs: 120_000, ...quiet }),
    (e: unknown) => e instanceof LabError && /panicked/.test(e.message) && /serial log/.test(e.message),
  );
  assert.deepEqual(ourQemus(), []);
});

test('lab: a hung boot or command is killed at its deadline, and no VM survives', { skip, timeout: 5 * 60_000 }, async () => {
  await assert.rejects(bootLab({ command: 'true', bootTimeoutMs: 200, accel: 'tcg', ...quiet }), /did not start within/);
  const started = Date.now();
  await assert.rejects(bootLab({ command: 'sleep 600', timeoutMs: 20_000, ...quiet }), /timed out/);
  assert.ok(Date.now() - started < 60_000);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 8000);
  await assert.rejects(bootLab({ command: 'sleep 600', signal: controller.signal, ...quiet }), /interrupted/);
  assert.deepEqual(ourQemus(), []);
});

// The lab through the CLI, as a user runs it: --json contract, the VM killed mid-run, SIGTERM.
const CLI = join(repoRoot(), 'dist', 'bench', 'cli.js');

function labCli(args: string[], tmp: string) {
  const child = spawn(process.execPath, [CLI, 'lab', 'run', ...args], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** The guest run saved a case into its results share (under tmp): the VM is running the matrix. */
async function caseSavedInShare(tmp: string, exited: Promise<unknown>, limitMs = 8 * 60_000): Promise<void> {
  let over = false;
  void exited.then(() => (over = true));
  const until = Date.now() + limitMs;
  while (!over && Date.now() < until) {
    for (const d of readdirSync(tmp).filter((f) => f.startsWith('ipcbench-lab-results-'))) {
      try {
        for (const f of readdirSync(join(tmp, d)).filter((x) => x.endsWith('.json')))
          if ((JSON.parse(readFileSync(join(tmp, d, f), 'utf8')) as { cases: unknown[] }).cases.length > 0) return;
      } catch {
        // not there yet, or being written
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(over ? 'the lab run ended before a case was saved' : `no case saved within ${limitMs} ms`);
}

/** qemu processes descended from pid. */
function qemusUnder(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const mine = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const m of rows)
      if (mine.has(Number(m[2])) && !mine.has(Number(m[1]))) {
        mine.add(Number(m[1]));
        grew = true;
      }
  }
  return rows.filter((m) => mine.has(Number(m[1])) && /^\S*qemu-system/.test(m[3]!)).map((m) => Number(m[1]));
}

const MANY_CASES = ['-t', 'pipe', '-w', 'rpc', '-s', '64,128,256,512,1K,2K,4K,8K', '-p', 'unpinned', '--budget', '0', '-r', '1', '--min-repetitions', '1'];

test('lab run --json: stdout is exactly the result document (the VM output goes to stderr)', { skip, timeout: 10 * 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ipcbench-lab-cli-'));
  try {
    const out = join(tmp, 'out');
    const r = labCli(
      ['-t', 'pipe', '-w', 'rpc', '-s', '64', '-p', 'unpinned', '-r', '1', '--min-repetitions', '1', '-d', '50', '--warmup', '5', '--json', '-o', out],
      tmp,
    );
    assert.deepEqual(await r.exited, [0, null], r.err());
    const doc = JSON.parse(r.out()) as { host: { env: string }; cases: { state: string }[] };
    assert.match(doc.host.env, /^lab-(tcg|kvm)$/);
    assert.deepEqual(
      doc.cases.map((c) => c.state),
      ['ok'],
    );
    const files = readdirSync(out);
    assert.equal(files.length, 1);
    assert.equal(r.out(), readFileSync(join(out, files[0]!), 'utf8'), 'stdout is the saved document');
    assert.deepEqual(readdirSync(tmp), ['out'], 'no share or other directory left');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test(
  'lab run: the VM killed mid-run (qemu SIGKILL) is a clear error, the results saved inside are kept, no share left',
  { skip, timeout: 12 * 60_000 },
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ipcbench-lab-cli-'));
    const out = join(tmp, 'out');
    const r = labCli([...MANY_CASES, '-d', '3000', '--no-progress', '-o', out], tmp);
    try {
      await caseSavedInShare(tmp, r.exited);
      const qemus = qemusUnder(r.child.pid!);
      assert.equal(qemus.length, 1, `one qemu under the CLI: ${qemus.join(',')}`);
      process.kill(qemus[0]!, 'SIGKILL');
      assert.deepEqual(await r.exited, [3, null], r.err());
      assert.match(r.err(), /^ipcbench: lab: the command did not finish: .*$/m);
      assert.match(r.err(), /^ {2}results the run inside saved before the VM stopped: /m);
      const files = readdirSync(out);
      assert.equal(files.length, 1, 'the saved result file is kept');
      assert.ok((JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as { cases: unknown[] }).cases.length > 0);
      assert.deepEqual(readdirSync(tmp), ['out'], 'no share or other directory left');
      assert.deepEqual(qemusUnder(r.child.pid!), []);
    } finally {
      r.child.kill('SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test('lab run: SIGTERM stops the VM, keeps the results saved inside and exits 143', { skip, timeout: 12 * 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ipcbench-lab-cli-'));
  const out = join(tmp, 'out');
  const r = labCli([...MANY_CASES, '-d', '3000', '--no-progress', '-o', out], tmp);
  try {
    await caseSavedInShare(tmp, r.exited);
    r.child.kill('SIGTERM');
    assert.deepEqual(await r.exited, [143, null], r.err());
    assert.match(r.err(), /SIGTERM: stopping the lab VM/);
    assert.match(r.err(), /^ipcbench: lab: interrupted; the VM was stopped$/m);
    assert.equal(readdirSync(out).length, 1, 'the saved result file is kept');
    assert.deepEqual(readdirSync(tmp), ['out'], 'no share or other directory left');
  } finally {
    r.child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
});
