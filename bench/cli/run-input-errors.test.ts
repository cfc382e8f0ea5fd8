// SPDX-License-Identifier: MIT
// `ipcbench run` given bad input: exit 2, one readable line, no stack trace, nothing measured.
import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FAST, ipcbench, outDir } from './test-support.js';

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
