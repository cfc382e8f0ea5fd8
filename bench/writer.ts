// Result files are rewritten whole after every case group, atomically (write a temporary file, then rename), so a
// crash or a signal at any moment leaves the last complete state on disk and never a torn file.
//
// Faults the writer survives without losing what was measured:
// - two runs with the same --out: the first save publishes the file with link(2), which fails if the name is taken,
//   so a run id that another run already holds is never overwritten (this run picks another id);
// - a full (ENOSPC) or unwritable results directory: the failed save removes its temporary file, the previous file
//   stays intact, the document stays in memory and every later save retries; if the final save still fails, the
//   document is written to a fresh 0700 directory under $TMPDIR or $HOME and that path is named (exit code 4).
import { constants } from 'node:fs';
import { access, link, mkdir, mkdtemp, open, rename, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { holdDir } from '../common/emergency.js';
import { UsageError } from '../common/errors.js';
import type { ResultDocument } from './result.js';

export function newRunId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stamp}-${Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0')}`;
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

/** An errno code with its meaning: "ENOSPC (no space left on device)". */
function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e.code) return e.message ?? String(err);
  const why = /^[A-Z0-9]+: (.*?),/.exec(e.message)?.[1];
  return why ? `${e.code} (${why})` : e.code;
}

/** Where a document was finally written. */
export interface SaveOutcome {
  path: string;
  /** true: not in --out (it could not be written there); `problem` says why */
  fallback: boolean;
  problem?: string;
}

export interface ResultWriterOptions {
  /** One line per new problem (default: stderr). */
  warn?: (line: string) => void;
  /** Directories tried, in order, for a fresh 0700 fallback directory when --out stays unwritable. */
  fallbackRoots?: string[];
}

export class ResultWriter {
  /** The file in --out this run writes (its run id may change once, if another run holds the name). */
  path: string;
  private claimed = false;
  private problem: string | undefined;
  private readonly warn: (line: string) => void;
  private readonly fallbackRoots: string[];

  constructor(
    private readonly dir: string,
    private runId: string,
    opts: ResultWriterOptions = {},
  ) {
    this.path = join(dir, `${runId}.json`);
    this.warn = opts.warn ?? ((l) => process.stderr.write(`${l}\n`));
    this.fallbackRoots = opts.fallbackRoots ?? [os.tmpdir(), os.homedir()];
  }

  /** The last save failed (and why); undefined when the file in --out is current. */
  get failure(): string | undefined {
    return this.problem;
  }

  /**
   * Write the document to --out. Never throws for an I/O problem: it is reported once (one line), the document
   * stays with the caller, and the next save retries. Returns whether the file on disk is now current.
   */
  async save(doc: ResultDocument): Promise<boolean> {
    try {
      await this.write(doc);
    } catch (err) {
      const problem = describe(err);
      if (problem !== this.problem)
        this.warn(
          `ipcbench: cannot write results to ${this.path}: ${problem}; the results stay in memory and every later save retries${this.claimed ? ' (the file there holds the previous save)' : ''}`,
        );
      this.problem = problem;
      return false;
    }
    if (this.problem) this.warn(`ipcbench: results written to ${this.path} after all`);
    this.problem = undefined;
    return true;
  }

  /** The final save: into --out if at all possible, else into a fresh 0700 directory (named in the outcome). */
  async finish(doc: ResultDocument): Promise<SaveOutcome> {
    if (await this.save(doc)) return { path: this.path, fallback: false };
    const problem = this.problem!;
    const text = `${JSON.stringify(doc, null, 1)}\n`;
    for (const root of this.fallbackRoots) {
      try {
        const dir = await mkdtemp(join(root, 'ipcbench-results-')); // mode 0700
        const path = join(dir, `${doc.runId}.json`);
        try {
          await writeSynced(path, text, 'wx');
          return { path, fallback: true, problem };
        } catch {
          await unlink(path).catch(() => {});
          await rm(dir, { recursive: true, force: true }).catch(() => {});
        }
      } catch {
        // try the next root
      }
    }
    return { path: '', fallback: true, problem };
  }

  private async write(doc: ResultDocument): Promise<void> {
    const text = () => `${JSON.stringify(doc, null, 1)}\n`;
    if (this.claimed) {
      const tmp = `${this.path}.tmp-${process.pid}`;
      const release = holdDir(tmp); // an emergency exit (a second Ctrl-C) mid-write removes it
      try {
        await writeSynced(tmp, text(), 'w');
        await rename(tmp, this.path);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      } finally {
        release();
      }
      return;
    }
    // first save: publish under a name nobody holds (link fails with EEXIST instead of replacing a file)
    for (let attempt = 0; ; attempt++) {
      const tmp = `${this.path}.tmp-${process.pid}`;
      const release = holdDir(tmp);
      try {
        await writeSynced(tmp, text(), 'w');
        await publishExclusively(tmp, this.path);
        this.claimed = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw err;
        this.runId = newRunId();
        doc.runId = this.runId;
        this.path = join(this.dir, `${this.runId}.json`);
      } finally {
        await unlink(tmp).catch(() => {});
        release();
      }
    }
  }
}

async function writeSynced(path: string, text: string, flags: 'w' | 'wx'): Promise<void> {
  const fh = await open(path, flags, 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Give `tmp`'s content the name `path`, failing with EEXIST if another run holds that name: link(2) does it in one
 * step; on a filesystem without hard links, an exclusive create claims the name and a rename fills it.
 */
async function publishExclusively(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
    await unlink(tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await (await open(path, 'wx', 0o644)).close();
    await rename(tmp, path);
  }
}
