// SPDX-License-Identifier: MIT
// The emergency cleanup: what is held is killed and removed, what was released is left alone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { emergencyCleanup, held, holdDir, holdPid } from './emergency.js';

test('emergencyCleanup kills held processes and removes held directories, and leaves released ones alone', async () => {
  const root = mkdtempSync(join(os.tmpdir(), 'ipcbench-emergency-'));
  try {
    const kept = mkdtempSync(join(root, 'kept-'));
    const gone = mkdtempSync(join(root, 'gone-'));
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    const exited = new Promise<string | null>((r) => child.on('exit', (_c, s) => r(s)));
    holdDir(gone);
    holdDir(kept)();
    holdPid(child.pid);
    assert.deepEqual(held(), { dirs: [gone], pids: [child.pid] });
    emergencyCleanup();
    assert.equal(await exited, 'SIGKILL');
    assert.ok(!existsSync(gone));
    assert.ok(existsSync(kept));
    assert.deepEqual(held(), { dirs: [], pids: [] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
