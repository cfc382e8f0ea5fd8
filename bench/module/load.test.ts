// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { holdersOf, modulePermanent } from './load.js';

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

test('a module without an exit function is recognised as permanent from /proc/modules', () => {
  const procModules = [
    'kdbus 126976 0 - Live 0xffffffffc0a00000 (OE)',
    'binder_linux 245760 0 [permanent], Live 0xffffffffc0800000',
    'binder_linuxx 1 0 - Live 0x0',
    '',
  ].join('\n');
  assert.equal(modulePermanent('binder_linux', procModules), true);
  assert.equal(modulePermanent('kdbus', procModules), false);
  assert.equal(modulePermanent('absent', procModules), false);
});
