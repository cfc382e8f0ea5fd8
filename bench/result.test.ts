import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectHost } from './host.js';
import { parseResultDocument, readResultFile, ResultFileError, SCHEMA_NAME, SCHEMA_VERSION, type ResultDocument } from './result.js';

function minimalDoc(): ResultDocument {
  return {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    runId: 'r1',
    startedAt: new Date().toISOString(),
    complete: true,
    argv: [],
    options: {},
    host: collectHost(),
    warnings: [],
    transports: [{ name: 'pipe', available: true }],
    cases: [],
  };
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
  assert.throws(() => parseResultDocument(doc, 'new.json'), /schema version 99 is not supported \(this ipcbench reads 1 and 2\)/);
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
