// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { overSysctl, readSysctls, softRlimit } from './kernel-limits.js';

test('a message over a sysctl limit is named with the file, the value and the sysctl that raises it', () => {
  assert.equal(overSysctl(8192, 8192, 'System V message size limit', '/proc/sys/kernel/msgmax'), undefined);
  assert.equal(
    overSysctl(8193, 8192, 'System V message size limit', '/proc/sys/kernel/msgmax'),
    'a 8193-byte message exceeds the System V message size limit /proc/sys/kernel/msgmax = 8192 bytes (raise it with sysctl kernel.msgmax)',
  );
  assert.match(overSysctl(9000, 10, 'limit', '/proc/sys/fs/mqueue/msgsize_max') ?? '', /sysctl fs\.mqueue\.msgsize_max\)$/);
});

test('sysctls are read by name; one missing or not a number makes the whole set missing', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-limits-'));
  try {
    await writeFile(join(dir, 'a'), '8192\n');
    await writeFile(join(dir, 'b'), '16\n');
    await writeFile(join(dir, 'junk'), 'lots\n');
    assert.deepEqual(readSysctls({ big: join(dir, 'a'), small: join(dir, 'b') }), { big: 8192, small: 16 });
    assert.equal(readSysctls({ big: join(dir, 'a'), gone: join(dir, 'missing') }), undefined);
    assert.equal(readSysctls({ big: join(dir, 'a'), junk: join(dir, 'junk') }), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a soft rlimit is a positive number of bytes, Infinity when unlimited or unknown', () => {
  const q = softRlimit('Max msgqueue size');
  assert.ok(q > 0, String(q));
  assert.equal(softRlimit('No such limit'), Infinity);
});
