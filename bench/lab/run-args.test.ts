// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectResults, guestRunCommand, shellQuote, stripHostOnlyArgs } from './run.js';

test('shell quoting survives any argument (checked by a real shell)', () => {
  for (const arg of ['plain', 'with space', "it's", '$(rm -rf /)', 'a"b', '', '--sizes=64,4K', '*']) {
    const out = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(arg)}`], { encoding: 'utf8' });
    assert.equal(out, arg);
  }
});

test('the in-VM command runs the same CLI with results into the share', () => {
  const cmd = guestRunCommand(['--transports', 'binder,pipe', '--sizes', '64'], { node: '/usr/bin/node', repo: '/repo', out: '/run/r' });
  assert.equal(cmd, '/usr/bin/node /repo/dist/bench/cli.js run --transports binder,pipe --sizes 64 --out /run/r');
});

test('--out belongs to the host and is not forwarded', () => {
  assert.deepEqual(stripHostOnlyArgs(['-t', 'pipe', '--out', 'mine', '-s', '64']), { forward: ['-t', 'pipe', '-s', '64'], out: 'mine' });
  assert.deepEqual(stripHostOnlyArgs(['--out=x', '-r', '3']), { forward: ['-r', '3'], out: 'x' });
  assert.deepEqual(stripHostOnlyArgs(['-o', 'y']), { forward: [], out: 'y' });
  assert.deepEqual(stripHostOnlyArgs([]), { forward: [], out: undefined });
});

test('result files are merged without overwriting', () => {
  const from = mkdtempSync(join(tmpdir(), 'ipcbench-test-'));
  const to = mkdtempSync(join(tmpdir(), 'ipcbench-test-'));
  try {
    writeFileSync(join(from, 'run1.json'), '{"a":1}');
    writeFileSync(join(from, '.ipcbench-command'), 'x');
    writeFileSync(join(from, 'run1.json.tmp-5'), 'torn');
    writeFileSync(join(to, 'run1.json'), '{"host":1}');
    const copied = collectResults(from, to);
    assert.deepEqual(copied, [join(to, 'run1-lab.json')]);
    assert.deepEqual(readdirSync(to).sort(), ['run1-lab.json', 'run1.json']);
  } finally {
    rmSync(from, { recursive: true, force: true });
    rmSync(to, { recursive: true, force: true });
  }
});

test('the kdbus module is loaded before the run, and a failed insmod does not stop it', async () => {
  const { withModule } = await import('./run.js');
  assert.equal(withModule('node cli.js run', undefined), 'node cli.js run');
  const cmd = withModule('node cli.js run', '/root/.cache/ipcbench/kdbus-build/default/kdbus.ko');
  assert.match(cmd, /^insmod \/root\/\.cache\/ipcbench\/kdbus-build\/default\/kdbus\.ko \|\| echo .*; node cli\.js run$/);
});
