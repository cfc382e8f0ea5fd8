// SPDX-License-Identifier: MIT
// One qemu attempt with a stand-in qemu (a script first on PATH that never boots and ignores SIGTERM): the boot
// deadline ends the attempt with the reason, and the VM holds nothing any more by the time the attempt settles (the
// caller removes the results share right after, and may boot again).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LabKernel } from './kernels.js';
import { QEMU, attempt } from './qemu.js';

/** Files a process still holds open (none once it is past exit's file release, or gone). */
function openFiles(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
}

test('a VM that never boots: the attempt ends at the boot deadline with the reason, and qemu has let go of everything when it settles', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-qemu-'));
  const oldPath = process.env.PATH;
  try {
    const bin = join(dir, 'bin');
    const share = join(dir, 'share');
    await mkdir(bin);
    await mkdir(share, { mode: 0o700 });
    const pidFile = join(dir, 'qemu.pid');
    // stands in for qemu: says nothing on the serial line, ignores SIGTERM, keeps writing into the share
    await writeFile(
      join(bin, QEMU),
      `#!/bin/sh\ntrap '' TERM\necho $$ > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}'\nwhile :; do : > '${share}/busy'; done\n`,
    );
    await chmod(join(bin, QEMU), 0o755);
    process.env.PATH = `${bin}:${oldPath}`;
    const kernel: LabKernel = {
      kernel: 'ipcbench-6.1',
      kind: 'built',
      variant: 'default',
      bzImage: join(dir, 'bzImage'),
      moduleTree: dir,
      release: '6.1.0',
      version: '0',
      config: join(dir, 'config'),
      binder: 'binderfs',
      built: false,
    };
    const r = await attempt({
      accel: 'tcg',
      kernel,
      command: 'true',
      resultsDir: share,
      shares: [],
      cpus: 1,
      memoryMiB: 64,
      bootDeadlineMs: 1500,
      totalDeadlineMs: 60_000,
      logPath: join(dir, 'serial.log'),
      onOutput: () => {},
      kernelArgs: [],
    });
    assert.deepEqual(r, { ok: false, stage: 'boot', reason: 'init did not start within 2 s (hung boot?)' });
    // synchronously, right as the attempt settles: the caller removes the share next
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0);
    assert.deepEqual(openFiles(pid), [], `the stand-in qemu (pid ${pid}) has let go of everything when the attempt settles`);
    rmSync(share, { recursive: true });
  } finally {
    process.env.PATH = oldPath;
    await rm(dir, { recursive: true, force: true });
  }
});
