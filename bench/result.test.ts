import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectHost } from './host.js';
import { fakeDocument } from './runner/document.fake.js';
import { syntheticResult } from '../reports/fixtures/synthetic.js';
import { compareResults } from '../reports/compare.js';
import { parseResultDocument, readResultFile, ResultFileError, SCHEMA_VERSION, type ResultDocument } from './result.js';

/** The runner's starting document, with this machine's real host record (it must validate too). */
function minimalDoc(): ResultDocument {
  return { ...fakeDocument(['pipe']), runId: 'r1', complete: true, host: collectHost() };
}

test('a well-formed document validates', () => {
  assert.equal(parseResultDocument(minimalDoc(), 'x.json').runId, 'r1');
});

test('a document with a wrong field names the field', () => {
  const doc = minimalDoc() as unknown as Record<string, unknown>;
  doc.cases = [{ key: { transport: 'pipe' } }];
  assert.throws(
    () => parseResultDocument(doc, 'bad.json'),
    (e: unknown) => e instanceof ResultFileError && /bad\.json: .*cases\.0\./.test(e.message),
  );
});

test('another schema version is refused with both versions named', () => {
  const doc = { ...minimalDoc(), schemaVersion: 99 };
  assert.throws(() => parseResultDocument(doc, 'new.json'), /schema version 99 is not supported \(this ipcbench reads 1 and 2 and 3\)/);
});

test('truncated JSON and missing files give one clear message naming the file', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-'));
  try {
    const file = join(dir, 'cut.json');
    await writeFile(file, JSON.stringify(minimalDoc()).slice(0, 50));
    await assert.rejects(readResultFile(file), /cut\.json: corrupt or truncated JSON/);
    await assert.rejects(readResultFile(join(dir, 'nope.json')), /nope\.json: cannot read: ENOENT/);
    await writeFile(file, '{"hello": 1}');
    await assert.rejects(readResultFile(file), /not an ipcbench result file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** The document as an older ipcbench wrote it: throughput under its old name; version 1 also had another summary. */
function asVersion(doc: ResultDocument, version: 1 | 2): unknown {
  const old = JSON.parse(JSON.stringify(doc)) as {
    schemaVersion: number;
    options: Record<string, unknown>;
    cases: { summary?: unknown; repetitions: Record<string, unknown>[] }[];
  };
  old.schemaVersion = version;
  old.options.seed = 3; // the seed the fixture's summary was drawn with: a v1 summary is recomputed with the run's seed
  for (const c of old.cases) {
    for (const r of c.repetitions) {
      r.opsPerSec = r.throughput;
      delete r.throughput;
    }
    if (version === 1) c.summary = { opsPerSec: { median: 1, low: 1, high: 1, n: 1 } };
  }
  return old;
}

test("version 2 and version 1 files are read in today's vocabulary: throughput, and a summary keyed by the metric table", () => {
  const today = syntheticResult({ transports: ['pipe', 'shm'], sizes: [64], repetitions: 4, seed: 3 });
  for (const version of [2, 1] as const) {
    const old = asVersion(today, version);
    const before = JSON.stringify(old);
    const doc = parseResultDocument(old, `v${version}.json`);
    assert.equal(JSON.stringify(old), before, "the caller's object is left alone");
    assert.equal(doc.schemaVersion, SCHEMA_VERSION);
    for (const [i, c] of doc.cases.entries()) {
      const want = today.cases[i]!;
      assert.deepEqual(
        c.repetitions.map((r) => r.throughput),
        want.repetitions.map((r) => r.throughput),
      );
      assert.ok(!('opsPerSec' in c.repetitions[0]!));
      assert.deepEqual(c.summary, want.summary, `v${version}: the summary is today's (recomputed for v1, as stored for v2)`);
    }
  }
});

test('compare works across versions: a version 2 file against the same run in version 3 finds no change', () => {
  const today = syntheticResult({ transports: ['pipe', 'shm'], sizes: [64, 4096], repetitions: 6, seed: 5 });
  const old = parseResultDocument(asVersion(today, 2), 'v2.json');
  const c = compareResults(old, today, { baseline: 'v2.json', current: 'v3.json' });
  assert.equal(c.results.length, 4 * 4, 'every gated metric of every case compared');
  for (const r of c.results) {
    assert.equal(r.ratio, 1, `${r.label} ${r.metric}`);
    assert.equal(r.verdict, 'unchanged');
  }
  assert.ok(c.results.some((r) => r.metric === 'throughput'));
});
