// SPDX-License-Identifier: MIT
// The `ipcbench module` command line: bad input is one line and exit 2, status works unprivileged, and a
// module that cannot be loaded leaves nothing changed. (Loading for real is proven in the debian-* labs:
// bench/lab/kernels.integration.test.ts.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../native.js';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('unknown module names and bad flags: one line, exit 2', async () => {
  for (const args of [
    ['module', 'load', 'nope'],
    ['module', 'build', 'binder'],
    ['module', 'load', 'binder', '--devices', 'x'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.match(r.stderr, /^ipcbench module: /);
  }
});

test('building against a directory that is not a kernel tree is bad input (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipcbench-kdir-'));
  try {
    const r = await cli(['module', 'build', 'kdbus', '--kernel-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a kernel tree or headers directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status works without root and says what this kernel allows', async () => {
  const r = await cli(['module', 'status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { kernel: string; unsignedModules: string; kdbus: { loaded: boolean }; binder: { available: boolean; how: string } };
  assert.match(s.unsignedModules, /^(allowed|refused: )/);
  assert.equal(typeof s.kdbus.loaded, 'boolean');
  assert.ok(s.binder.how.length > 0);
  const text = await cli(['module', 'status']);
  assert.match(text.stdout, /^kernel +\S+/m);
  assert.match(text.stdout, /^unsigned modules /m);
});

test('loading kdbus with no module built for this kernel is refused before anything changes', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'ipcbench-cache-'));
  try {
    const r = await cli(['module', 'load', 'kdbus'], { XDG_CACHE_HOME: cache, IPCBENCH_MODULE_PATH: '' });
    if (existsSync('/sys/module/kdbus')) return; // loaded already on this machine: nothing to prove
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no kdbus\.ko built for this kernel|needs root|cannot load modules|switched off|locked down|signatures/);
    assert.equal(existsSync('/sys/module/kdbus'), false);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
