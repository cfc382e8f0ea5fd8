// SPDX-License-Identifier: MIT
// What the CLI's behaviour tests share: the built entry point, flags for short runs, a fresh output directory per
// test (removed after the file's tests), and checks that no peer of a test survives. Each test uses an unusual
// message size so that it can check that none of its own peers survive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT } from '../native.js';
import { readResultFile } from '../result.js';

export const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
export const FAST = ['--duration', '30', '--warmup', '5', '--repetitions', '1', '--min-repetitions', '1', '--placement', 'same-core', '--no-progress'];
// Fault tests inject at message N: they must reach it however slow the machine is, so they run until a fixed
// number of operations (--max-ops) within a long --duration instead of for a short time.
export const UNTIL_FAULT = ['--duration', '60000', '--max-ops', '60'];
export const LOCAL_TRANSPORTS = ['pipe', 'unix-stream', 'unix-seqpacket', 'shm', 'shm-spin'];

const made: string[] = [];
// registered by each test file that imports this module (one process per file under node --test)
after(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

export async function outDir(): Promise<string> {
  const d = await mkdtemp(join(os.tmpdir(), 'ipcbench-cli-test-'));
  made.push(d);
  return d;
}

/** Wait until the run's result file in `dir` holds at least one finished case (the run is then measuring). */
export async function firstCaseSaved(dir: string, limitMs = 120_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    for (const f of (await readdir(dir)).filter((x) => x.endsWith('.json'))) {
      try {
        if ((JSON.parse(await readFile(join(dir, f), 'utf8')) as { cases: unknown[] }).cases.length > 0) return;
      } catch {
        // not there yet
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no case saved in ${dir} within ${limitMs} ms`);
}

export async function ipcbench(args: string[], timeoutMs = 60_000) {
  return execa('node', [CLI, ...args], { reject: false, timeout: timeoutMs, env: { IPCBENCH_ENV: 'host' } });
}

/** No ipcbench-peer started with this (unusual) --max-msg is still alive. */
export function peersAlive(size: number): string[] {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-af', `ipcbench-peer .*--max-msg ${size}( |$)`]).toString();
  } catch {
    return [];
  }
  return out.split('\n').filter(Boolean);
}

export async function onlyResult(dir: string) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, `one result file in ${dir}: ${files.join(', ')}`);
  return readResultFile(join(dir, files[0]!));
}
