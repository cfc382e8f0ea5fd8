// Result files are rewritten whole after every case group, atomically (write a temporary file, then rename),
// so a crash or Ctrl-C at any moment leaves the last complete state on disk and never a torn file.
import { constants } from 'node:fs';
import { access, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../common/errors.js';
import type { ResultDocument } from './result.js';

export function newRunId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stamp}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

/** Make sure results can be written before measuring anything: one clear message otherwise. */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.ipcbench-write-test-${process.pid}`);
    const fh = await open(probe, 'w', 0o600);
    await fh.close();
    await unlink(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`cannot write results to '${dir}': ${e.code ?? e.message} (choose another directory with --out)`);
  }
}

export class ResultWriter {
  readonly path: string;
  constructor(dir: string, runId: string) {
    this.path = join(dir, `${runId}.json`);
  }

  async save(doc: ResultDocument): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(doc, null, 1)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}
