// SPDX-License-Identifier: MIT
// One step of a long build (make, tar, dpkg-deb): output appended to the build log, the whole process group
// killed on abort, a failure reported with the log's tail; and the progress line such builds print.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { LabError, LabInterrupted } from './config.js';

const TAIL_LINES = 40;

/** The last n lines of a file (for error messages). */
export function tailFile(path: string, n = TAIL_LINES): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text
      .split('\n')
      .filter((l, i, a) => l !== '' || i < a.length - 1)
      .slice(-n)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

export function defaultProgress(): (line: string) => void {
  if (process.stderr.isTTY) return (line) => process.stderr.write(`\r\x1b[K${line}`);
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last >= 30_000) {
      last = now;
      process.stderr.write(`${line}\n`);
    }
  };
}

export function elapsed(since: number): string {
  const s = Math.floor((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export interface StepOptions {
  cwd: string;
  logFile: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/** Run one build step, appending its output to the build log; reject with the log's tail on failure. */
export function step(what: string, cmd: string, args: string[], o: StepOptions): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const fd = openSync(o.logFile, 'a', 0o600);
    writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let partial = '';
    const onData = (buf: Buffer) => {
      writeSync(fd, buf);
      if (!o.onLine) return;
      const text = partial + buf.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) o.onLine(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // make runs a process tree: kill the whole group on Ctrl-C so no compiler outlives us
    const abort = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    o.signal?.addEventListener('abort', abort, { once: true });
    // a command that cannot be started emits 'error' and then 'close' as well: settle (and close the log) once
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      closeSync(fd);
      o.signal?.removeEventListener('abort', abort);
      return true;
    };
    child.on('error', (e) => {
      if (!settle()) return;
      reject(new LabError(`lab build: cannot run ${cmd}: ${e.message}`, 'apt-get install build-essential bc bison flex libelf-dev libssl-dev cpio'));
    });
    child.on('close', (code, sig) => {
      if (!settle()) return;
      if (code === 0) return resolvePromise();
      if (o.signal?.aborted) return reject(new LabInterrupted(`lab build: interrupted during ${what}`));
      reject(
        new LabError(
          `lab build: ${what} failed (${sig ? `signal ${sig}` : `exit ${code}`}); last lines of ${o.logFile}:\n${tailFile(o.logFile)}`,
          'read the build log above; if a tool is missing: apt-get install build-essential bc bison flex libelf-dev libssl-dev cpio',
        ),
      );
    });
  });
}
