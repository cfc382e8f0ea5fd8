// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cpioArchive } from './cpio.js';

/** Walk the newc records: [name, mode, size, rdevmajor, rdevminor]. */
function records(buf: Buffer): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  let off = 0;
  for (;;) {
    assert.equal(buf.toString('ascii', off, off + 6), '070701', `magic at ${off}`);
    const field = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const namesize = field(11);
    const size = field(6);
    const name = buf.toString('utf8', off + 110, off + 110 + namesize - 1);
    out.push([name, field(1), size, field(9), field(10)]);
    off += Math.ceil((110 + namesize) / 4) * 4;
    off += Math.ceil(size / 4) * 4;
    if (name === 'TRAILER!!!') break;
  }
  assert.equal(off, buf.length, 'nothing after the trailer');
  return out;
}

test('the archive is newc with 4-byte alignment, a device node and a trailer', () => {
  const buf = cpioArchive([
    { name: 'dev', kind: 'dir' },
    { name: 'dev/console', kind: 'chardev', major: 5, minor: 1 },
    { name: 'init', kind: 'file', data: '#!/bin/sh\n' },
    { name: 'bin/sh', kind: 'symlink', data: 'busybox' },
  ]);
  const r = records(buf);
  assert.deepEqual(
    r.map(([n]) => n),
    ['dev', 'dev/console', 'init', 'bin/sh', 'TRAILER!!!'],
  );
  assert.deepEqual(r[1], ['dev/console', 0o020600, 0, 5, 1]);
  assert.equal(r[2]![1], 0o100755);
  assert.equal(r[2]![2], 10);
  assert.equal(r[3]![1], 0o120777);
});

test('cpio(1) reads it back: files, links and modes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipcbench-cpio-'));
  try {
    const archive = join(dir, 'a.cpio');
    writeFileSync(
      archive,
      cpioArchive([
        { name: 'd', kind: 'dir', mode: 0o700 },
        { name: 'd/f', kind: 'file', mode: 0o644, data: Buffer.from('hello') },
        { name: 'l', kind: 'symlink', data: 'd/f' },
      ]),
    );
    execFileSync('cpio', ['-idm', '--quiet', '--no-absolute-filenames', '-F', archive], { cwd: dir, stdio: 'ignore' });
    assert.equal(readFileSync(join(dir, 'd', 'f'), 'utf8'), 'hello');
    assert.equal(statSync(join(dir, 'd', 'f')).mode & 0o777, 0o644);
    assert.equal(readlinkSync(join(dir, 'l')), 'd/f');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('names that would escape the archive root are refused', () => {
  assert.throws(() => cpioArchive([{ name: '/etc/passwd', kind: 'file', data: '' }]), /bad entry name/);
  assert.throws(() => cpioArchive([{ name: 'a/../../x', kind: 'file', data: '' }]), /bad entry name/);
});
