// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { holdersOf } from './load.js';

test('holdersOf names the processes that hold a matching device open (a fake /proc)', () => {
  const proc = mkdtempSync(join(tmpdir(), 'ipcbench-proc-'));
  try {
    const pid = (n: string, comm: string, targets: string[]) => {
      mkdirSync(join(proc, n, 'fd'), { recursive: true });
      writeFileSync(join(proc, n, 'comm'), `${comm}\n`);
      targets.forEach((t, i) => symlinkSync(t, join(proc, n, 'fd', String(i))));
    };
    pid('12', 'ipcbench-peer', ['/dev/null', '/dev/ipcbench-binder3']);
    pid('13', 'node', ['/dev/binderfs/binder-control', 'socket:[1]']);
    pid('14', 'sh', ['/dev/binder']);
    mkdirSync(join(proc, 'self'));
    assert.deepEqual(holdersOf(/^\/dev\/(binder|ipcbench-binder\d+)$/, proc).sort(), ['12 (ipcbench-peer)', '14 (sh)']);
    assert.deepEqual(holdersOf(/^\/dev\/kdbus/, proc), []);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});
