// SPDX-License-Identifier: MIT
// The result writer under faults: a full or read-only results directory (a small tmpfs, mounted when we are root),
// and two runs that pick the same run id. Nothing measured may be lost, the previous file must stay intact.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultDocument } from './result.js';
import { ResultWriter } from './writer.js';

function doc(runId: string, cases = 0): ResultDocument {
  return {
    schema: 'ipcbench-result',
    schemaVersion: 1,
    runId,
    startedAt: new Date().toISOString(),
    complete: false,
    argv: [],
    options: { padding: 'x'.repeat(cases * 1000) },
    warnings: [],
    transports: [],
    cases: [],
  } as unknown as ResultDocument;
}

function tempDir(tag: string): string {
  return mkdtempSync(join(os.tmpdir(), `ipcbench-test-${tag}-`));
}

/** Mount a tmpfs of `kib` KiB at a fresh directory; undefined when this user cannot mount. */
function mountTmpfs(kib: number): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = tempDir('tmpfs');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fill a filesystem until it reports ENOSPC. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  execFileSync('sh', ['-c', 'cat /dev/zero > "$1" 2>/dev/null; true', 'sh', filler]);
  return filler;
}

const canMount = (() => {
  const d = mountTmpfs(16);
  if (!d) return false;
  unmount(d);
  return true;
})();
const mountSkip = !canMount && 'needs root and mount(8) to put the results on a small tmpfs';

test('two runs with the same run id in one directory: both files kept, neither clobbered', async () => {
  const dir = tempDir('same-id');
  try {
    const a = new ResultWriter(dir, '20260101-000000-abcd', { warn: () => {} });
    const b = new ResultWriter(dir, '20260101-000000-abcd', { warn: () => {} });
    const da = doc('20260101-000000-abcd');
    const db = doc('20260101-000000-abcd');
    assert.equal(await a.save(da), true);
    assert.equal(await b.save(db), true);
    assert.notEqual(a.path, b.path, 'the second run took another id');
    assert.equal(db.runId, b.path.replace(/^.*\/(.*)\.json$/, '$1'), "the document's run id names its file");
    da.complete = true;
    db.complete = true;
    (db as { marker?: string }).marker = 'b';
    assert.equal(await a.save(da), true);
    assert.equal(await b.save(db), true);
    assert.equal((JSON.parse(readFileSync(a.path, 'utf8')) as { marker?: string }).marker, undefined);
    assert.equal((JSON.parse(readFileSync(b.path, 'utf8')) as { marker?: string }).marker, 'b');
    assert.deepEqual(readdirSync(dir).sort(), [a.path, b.path].map((p) => p.replace(/^.*\//, '')).sort(), 'no temporary files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full results filesystem (ENOSPC): one line, previous file intact, retried later, else saved elsewhere and named', { skip: mountSkip }, async () => {
  const mnt = mountTmpfs(64)!;
  const fallbackRoot = tempDir('fallback');
  try {
    const warnings: string[] = [];
    const w = new ResultWriter(mnt, 'run-enospc', { warn: (l) => warnings.push(l), fallbackRoots: [fallbackRoot] });
    const d = doc('run-enospc', 1);
    assert.equal(await w.save(d), true);
    const previous = readFileSync(w.path, 'utf8');

    const filler = fill(mnt);
    d.options.padding = 'y'.repeat(20_000);
    assert.equal(await w.save(d), false);
    assert.equal(await w.save(d), false);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^ipcbench: cannot write results to .*run-enospc\.json: ENOSPC \(no space left on device\); the results stay in memory/);
    assert.equal(readFileSync(w.path, 'utf8'), previous, 'the previous file is intact');
    assert.deepEqual(readdirSync(mnt).sort(), ['filler', 'run-enospc.json'], 'no temporary file left behind');

    rmSync(filler); // space again: the next save catches up
    assert.equal(await w.save(d), true);
    assert.match(warnings[1]!, /results written to .* after all/);
    assert.match(readFileSync(w.path, 'utf8'), /yyyy/);

    fill(mnt);
    d.complete = true;
    const out = await w.finish(d);
    assert.equal(out.fallback, true);
    assert.match(out.problem!, /ENOSPC/);
    assert.ok(out.path.startsWith(join(fallbackRoot, 'ipcbench-results-')), out.path);
    assert.equal((statSync(join(out.path, '..')).mode & 0o777).toString(8), '700');
    assert.deepEqual(JSON.parse(readFileSync(out.path, 'utf8')), JSON.parse(JSON.stringify(d)), 'everything measured is in the fallback file');
    assert.match(readFileSync(w.path, 'utf8'), /yyyy/, 'the last good save is still in --out');
  } finally {
    unmount(mnt);
    rmSync(fallbackRoot, { recursive: true, force: true });
  }
});

test('a results directory that turns read-only (EROFS): one line, previous file intact, the final save goes elsewhere', { skip: mountSkip }, async () => {
  const mnt = mountTmpfs(256)!;
  const fallbackRoot = tempDir('fallback');
  try {
    const warnings: string[] = [];
    const w = new ResultWriter(mnt, 'run-erofs', { warn: (l) => warnings.push(l), fallbackRoots: [join(fallbackRoot, 'missing'), fallbackRoot] });
    const d = doc('run-erofs');
    assert.equal(await w.save(d), true);
    const previous = readFileSync(w.path, 'utf8');
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    d.complete = true;
    const out = await w.finish(d);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cannot write results to .*: EROFS \(read-only file system\)/);
    assert.equal(readFileSync(w.path, 'utf8'), previous);
    assert.equal(out.fallback, true);
    assert.ok(existsSync(out.path) && out.path.startsWith(fallbackRoot), 'an unusable fallback root is skipped');
  } finally {
    unmount(mnt);
    rmSync(fallbackRoot, { recursive: true, force: true });
  }
});

test('nowhere writable at all: the outcome says so (the caller prints the document)', { skip: mountSkip }, async () => {
  const mnt = mountTmpfs(64)!;
  try {
    const w = new ResultWriter(mnt, 'run-none', { warn: () => {}, fallbackRoots: [mnt] });
    mkdirSync(join(mnt, 'x'));
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const out = await w.finish(doc('run-none'));
    assert.deepEqual(out, { path: '', fallback: true, problem: 'EROFS (read-only file system)' });
  } finally {
    unmount(mnt);
  }
});
