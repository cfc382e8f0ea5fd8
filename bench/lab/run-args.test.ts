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

test('kernel transports are made available before the run (insmod, else `ipcbench module load`), and a failed load does not stop it', async () => {
  const { withModules } = await import('./run.js');
  const ko = '/c/modules/6.1.0-57-amd64-0123abcd/kdbus/kdbus.ko';
  const cmd = withModules('node cli.js run', ko, 34, '/usr/bin/node', '/repo');
  assert.equal(
    cmd,
    "[ -e /dev/binderfs/binder-control ] || /usr/bin/node /repo/dist/bench/cli.js module load binder --devices 34 || echo 'lab: binder unavailable' >&2; " +
      `[ -e /dev/kdbus/control ] || { insmod ${ko} 2>/dev/null && echo 'kdbus: loaded ${ko}' >&2; } || ` +
      `/usr/bin/node /repo/dist/bench/cli.js module load kdbus --ko ${ko} || echo 'lab: kdbus unavailable' >&2; node cli.js run`,
  );
  // no kdbus module built: binder only
  assert.doesNotMatch(withModules('x', undefined, 8), /kdbus/);
});

test('the binder device pool covers the run: two devices per concurrent pair, at least the default', async () => {
  const { binderDevicesFor, maxConcurrency } = await import('./run.js');
  assert.equal(maxConcurrency(['--transports', 'binder']), 1);
  assert.equal(maxConcurrency(['-c', '1,4,2']), 4);
  assert.equal(maxConcurrency(['--concurrency=32']), 32);
  assert.equal(binderDevicesFor([]), 34);
  assert.equal(binderDevicesFor(['-c', '32']), 66);
  assert.equal(binderDevicesFor(['-c', '64']), 130);
});

test('run options turn back into the arguments that parse to the same options', async () => {
  const { runOptionsToArgs } = await import('./run.js');
  const { parseRunOptions, DEFAULTS } = await import('../options.js');
  const raw = { ...DEFAULTS, transports: 'kdbus,binder', sizes: '64,4K', concurrency: '1,2', seed: '7', progress: false };
  const opts = parseRunOptions(raw, ['kdbus', 'binder', 'pipe'], ['pipe'], 32);
  const args = runOptionsToArgs(opts);
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (args[i] === '--no-progress') flags.progress = false;
    else if (args[i] === '--fail-fast') flags.failFast = true;
    else flags[name === 'placement' ? 'placement' : name] = args[++i]!;
  }
  const again = parseRunOptions({ ...DEFAULTS, ...flags } as typeof raw, ['kdbus', 'binder', 'pipe'], ['pipe'], 32);
  assert.deepEqual(again, opts);
});
