// SPDX-License-Identifier: MIT
// One build step: output in the log, a failure reported with the log's tail, a command that cannot be started
// reported once as a LabError (node emits 'error' and then 'close' for it: the log is closed once, nothing throws).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { step } from './build-step.js';
import { LabError } from './config.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-step-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a step that succeeds appends its output to the log', () =>
  withDir(async (dir) => {
    const logFile = join(dir, 'build.log');
    const lines: string[] = [];
    await step('echo', 'sh', ['-c', 'echo one; echo two >&2'], { cwd: dir, logFile, onLine: (l) => lines.push(l) });
    const log = await readFile(logFile, 'utf8');
    assert.match(log, /\$ sh -c/);
    assert.match(log, /one/);
    assert.match(log, /two/);
    assert.deepEqual(lines.sort(), ['one', 'two']);
  }));

test('a step that fails rejects with its exit status and the tail of the log', () =>
  withDir(async (dir) => {
    const logFile = join(dir, 'build.log');
    await assert.rejects(step('compile', 'sh', ['-c', 'echo the reason; exit 3'], { cwd: dir, logFile }), (err: Error) => {
      assert.ok(err instanceof LabError);
      assert.match(err.message, /lab build: compile failed \(exit 3\)/);
      assert.match(err.message, /the reason/);
      return true;
    });
  }));

test('a command that cannot be started rejects once with a LabError, and nothing throws afterwards', () =>
  withDir(async (dir) => {
    const logFile = join(dir, 'build.log');
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      await assert.rejects(step('make', join(dir, 'no-such-tool'), [], { cwd: dir, logFile }), (err: Error) => {
        assert.ok(err instanceof LabError, String(err));
        assert.match(err.message, /lab build: cannot run .*no-such-tool: .*ENOENT/);
        return true;
      });
      // 'close' follows 'error' on a later turn: let it come
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  }));
