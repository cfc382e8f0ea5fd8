// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT } from '../native.js';

test('a study given a missing or corrupt result file says so in one line and exits 2, no stack trace', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-result-input-'));
  try {
    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"schema": ');
    for (const [file, problem] of [
      [corrupt, 'corrupt or truncated JSON'],
      [join(dir, 'missing.json'), 'cannot read: ENOENT'],
    ] as const) {
      const r = await execa(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'study', 'speed.js'), file], { reject: false });
      assert.equal(r.exitCode, 2);
      assert.equal(r.stderr.split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`${file}: ${problem}`), r.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
