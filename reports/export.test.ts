import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBencherMetricFormat, toGithubActionBenchmark } from './export.js';
import { syntheticResult } from './fixtures/synthetic.js';

const doc = syntheticResult({
  transports: ['pipe', 'unix-stream'],
  sizes: [64, 4096],
  repetitions: 5,
  histogramSamples: 10,
  unavailable: { binder: 'binderfs not mounted' },
});

test('Bencher Metric Format: benchmark -> measure -> {value, lower_value, upper_value}, latency in ns', () => {
  const bmf = toBencherMetricFormat(doc);
  const names = Object.keys(bmf);
  assert.equal(names.length, 4, 'one benchmark per successful case; unavailable cases are left out');
  for (const name of names) {
    assert.match(name, /^ipcbench\//);
    const measures = bmf[name]!;
    assert.deepEqual(Object.keys(measures).sort(), ['cpu-per-op', 'latency', 'latency-p99', 'throughput']);
    for (const m of Object.values(measures)) {
      assert.deepEqual(Object.keys(m).sort(), ['lower_value', 'upper_value', 'value']);
      assert.ok(m.lower_value <= m.value && m.value <= m.upper_value, JSON.stringify(m));
    }
  }
  const pipe = doc.cases.find((c) => c.key.transport === 'pipe' && c.key.size === 64)!;
  const latency = bmf['ipcbench/pipe rpc 64B cross-core']!['latency']!;
  const medianNs = [...pipe.repetitions.map((r) => r.latency.p50)].sort((a, b) => a - b)[2]!;
  assert.ok(Math.abs(latency.value - medianNs) < 1e-6, 'Bencher latency is the median p50 in nanoseconds');
});

test('github-action-benchmark customSmallerIsBetter: [{name, unit, value, range, extra}] with smaller-is-better metrics only', () => {
  const entries = toGithubActionBenchmark(doc);
  assert.equal(entries.length, 4 * 3);
  assert.equal(new Set(entries.map((e) => e.name)).size, entries.length, 'names are unique');
  for (const e of entries) {
    assert.equal(typeof e.name, 'string');
    assert.equal(typeof e.unit, 'string');
    assert.equal(typeof e.value, 'number');
    assert.ok(Number.isFinite(e.value));
    assert.match(e.range ?? '', /^± /);
    assert.doesNotMatch(e.name, /throughput/, 'bigger-is-better metrics do not belong in customSmallerIsBetter');
  }
});
