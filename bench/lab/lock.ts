// SPDX-License-Identifier: MIT
// A lock file per cache entry (holding the builder's pid), so two processes never build the same thing at
// once; a lock whose holder died is stale and taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { LabInterrupted } from './config.js';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One build per cache entry at a time (the kdbus tests and a user may both ask for the kernel). */
export async function acquireLock(lock: string, log: (l: string) => void, signal?: AbortSignal): Promise<() => void> {
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(lock, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
      rmSync(lock, { force: true }); // stale: its builder died
      continue;
    }
    if (!told) log(`lab build: waiting for another build of this kernel (pid ${holder})`);
    told = true;
    if (signal?.aborted) throw new LabInterrupted('lab build: interrupted while waiting for another build');
    await new Promise((r) => setTimeout(r, 2000));
  }
}
