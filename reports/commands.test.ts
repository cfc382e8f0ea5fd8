import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSyntheticResult, type SyntheticOptions } from './fixtures/synthetic.js';
import { runCli, tempDir } from './test-support.js';

const small: SyntheticOptions = { transports: ['pipe', 'unix-stream'], sizes: [64], repetitions: 8, histogramSamples: 20 };

async function pair(dir: string, current: SyntheticOptions = {}) {
  const baseline = await writeSyntheticResult(join(dir, 'baseline.json'), { ...small, seed: 1 });
  const cur = await writeSyntheticResult(join(dir, 'current.json'), { ...small, seed: 2, ...current });
  return { baseline, current: cur };
}

test('compare exits 0 when nothing regressed', async (t) => {
  const f = await pair(tempDir(t));
  const r = runCli(['compare', f.baseline, f.current]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no regression/);
});

test('compare exits 1 on a regression and names it', async (t) => {
  const f = await pair(tempDir(t), { factor: { pipe: 1.1 } });
  const r = runCli(['compare', f.baseline, f.current]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /REGRESSION/);
  assert.match(r.stdout, /pipe rpc 64B/);
});

test('compare --threshold accepts percentages and decides the verdict', async (t) => {
  const f = await pair(tempDir(t), { factor: { pipe: 1.1 } });
  assert.equal(runCli(['compare', f.baseline, f.current, '--threshold', '20', '--tail-threshold', '30']).status, 0);
});

test('compare exits 2 naming the file for missing, truncated, corrupt and wrong-schema input', async (t) => {
  const dir = tempDir(t);
  const f = await pair(dir);
  const truncated = join(dir, 'truncated.json');
  writeFileSync(truncated, readFileSync(f.current, 'utf8').slice(0, 500));
  const foreign = join(dir, 'foreign.json');
  writeFileSync(foreign, JSON.stringify({ hello: 'world' }));
  const future = join(dir, 'future.json');
  writeFileSync(future, JSON.stringify({ ...JSON.parse(readFileSync(f.current, 'utf8')), schemaVersion: 99 }));
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.json'), /missing\.json: cannot read: ENOENT/],
    [truncated, /truncated\.json: corrupt or truncated JSON/],
    [foreign, /foreign\.json: not an ipcbench result file/],
    [future, /future\.json: schema version 99 is not supported/],
  ];
  for (const [file, message] of cases) {
    const r = runCli(['compare', f.baseline, file]);
    assert.equal(r.status, 2, `${file}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one message, no stack trace');
  }
  const rep = runCli(['report', truncated, '-o', join(dir, 'r.html')]);
  assert.equal(rep.status, 2);
  assert.match(rep.stderr, /truncated\.json/);
});

test('usage errors exit 2, not 1 (1 means regression)', async (t) => {
  const f = await pair(tempDir(t));
  assert.equal(runCli(['compare', f.baseline]).status, 2, 'missing argument');
  assert.equal(runCli(['compare', f.baseline, f.current, '--bogus']).status, 2, 'unknown option');
  assert.equal(runCli(['compare', f.baseline, f.current, '--threshold', 'lots']).status, 2, 'bad number');
  assert.equal(runCli(['compare', f.baseline, f.current, '--format', 'xml']).status, 2, 'bad format');
  assert.equal(runCli(['compare', f.baseline, f.current, '--normalize', 'no-such-transport']).status, 2, 'unknown reference');
  assert.equal(runCli(['report', f.current]).status, 2, 'HTML needs -o');
  assert.equal(runCli(['report', f.current, '--format', 'md', '-o', 'x.html']).status, 2, 'format and file name disagree');
  assert.equal(runCli(['compare', '--help']).status, 0);
});

test('compare --format md and json are complete documents', async (t) => {
  const f = await pair(tempDir(t), { factor: { pipe: 1.1 } });
  const md = runCli(['compare', f.baseline, f.current, '--format', 'md']);
  assert.equal(md.status, 1);
  assert.match(md.stdout, /^### ipcbench compare: ❌ /);
  assert.match(md.stdout, /\| case \| metric \|/);
  const json = runCli(['compare', f.baseline, f.current, '--format', 'json']);
  assert.equal(json.status, 1);
  const parsed = JSON.parse(json.stdout) as { regressions: number; results: unknown[] };
  assert.ok(parsed.regressions > 0);
  assert.ok(parsed.results.length > 0);
});

test('compare --bmf and --gh-benchmark write the export files', async (t) => {
  const dir = tempDir(t);
  const f = await pair(dir);
  const bmf = join(dir, 'bmf.json');
  const gh = join(dir, 'gh.json');
  const r = runCli(['compare', f.baseline, f.current, '--bmf', bmf, '--gh-benchmark', gh]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Object.keys(JSON.parse(readFileSync(bmf, 'utf8')) as object).length > 0);
  assert.ok((JSON.parse(readFileSync(gh, 'utf8')) as unknown[]).length > 0);
});

test('report --format md/csv/json go to stdout without -o', async (t) => {
  const f = await pair(tempDir(t));
  const md = runCli(['report', f.current, '--format', 'md']);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /\| env \| transport \|/);
  const csv = runCli(['report', f.current, '--format', 'csv']);
  assert.equal(csv.stdout.trim().split('\n').length, 1 + 2);
  const json = runCli(['report', f.current, '--format', 'json']);
  assert.equal((JSON.parse(json.stdout) as { cases: unknown[] }).cases.length, 2);
});

test('report picks the format from the -o extension and writes index.html into a directory', async (t) => {
  const dir = tempDir(t);
  const f = await pair(dir);
  assert.equal(runCli(['report', f.current, '-o', join(dir, 'summary.md')]).status, 0);
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /^## ipcbench/);
  assert.equal(runCli(['report', f.baseline, f.current, '-o', join(dir, 'site')]).status, 0);
  assert.match(readFileSync(join(dir, 'site', 'index.html'), 'utf8'), /^<!doctype html>/);
});

test('report --format png explains the optional package when it is missing', async (t) => {
  const dir = tempDir(t);
  const f = await pair(dir);
  const r = runCli(['report', f.current, '--format', 'png', '-o', join(dir, 'png')]);
  let hasCanvas = true;
  try {
    await import('canvas' as string);
  } catch {
    hasCanvas = false;
  }
  if (hasCanvas) assert.equal(r.status, 0, r.stderr);
  else {
    assert.equal(r.status, 2);
    assert.match(r.stderr, /optional package "canvas"/);
  }
});
