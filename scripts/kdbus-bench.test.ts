// SPDX-License-Identifier: MIT
// scripts/kdbus-bench.ts leaves no temporary directory behind: on failure (here: kdbus not loaded on this host) and on
// interruption (SIGTERM while its first ipcbench run is under way: exit 143). Success goes through the same
// finally (it needs the lab: scripts/kdbus-bench).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../bench/native.js';
import { findTransport } from '../transports/index.js';

const SCRIPT = join(REPO_ROOT, 'dist', 'scripts', 'kdbus-bench.js');

function start(tmp: string) {
  const child = spawn(process.execPath, [SCRIPT, '--quick', '--rounds', '1'], {
    env: { ...process.env, TMPDIR: tmp, IPCBENCH_ENV: 'host' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  // 'close', not 'exit': only then has all of its stderr been read (the tests assert on it)
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  return { child, exited, stderr: () => stderr };
}

test('kdbus-bench on a host without kdbus: fails in one line, exit 1, its temporary directory removed', async (t) => {
  if ((await findTransport('kdbus')?.probe())?.available) return t.skip('kdbus is loaded here: the failure path needs a host without it');
  const tmp = mkdtempSync(join(os.tmpdir(), 'ipcbench-kb-test-'));
  try {
    const { exited, stderr } = start(tmp);
    assert.deepEqual(await exited, [1, null], stderr());
    assert.match(stderr(), /^kdbus-bench: kdbus is not available here: run scripts\/kdbus-bench/m);
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('kdbus-bench interrupted (SIGTERM) while a run is under way: exit 143, its temporary directory removed', async () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'ipcbench-kb-test-'));
  const { child, exited, stderr } = start(tmp);
  try {
    // its directory exists as soon as it starts; then its first `ipcbench list` runs for a while: stop it there,
    // so that the signal lands while that run is under way however busy the machine is
    let over = false;
    void exited.then(() => (over = true));
    while (!over && !readdirSync(tmp).some((f) => f.startsWith('ipcbench-kdbus-bench-'))) await new Promise((r) => setTimeout(r, 5));
    assert.ok(!over, `kdbus-bench ended before its directory was seen: ${stderr()}`);
    child.kill('SIGSTOP');
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    assert.deepEqual(await exited, [143, null], stderr());
    assert.match(stderr(), /kdbus-bench: SIGTERM: stopping/);
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
});
