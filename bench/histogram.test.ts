import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compressV2, decodeHistogram, mergeHistograms } from './histogram.js';
import { native } from './native.js';

test('native histogram encoding decodes in hdr-histogram-js with the same count, percentiles and max', () => {
  const values: number[] = [];
  for (let i = 1; i <= 20000; i++) values.push(1000 + ((i * 7919) % 5_000_000));
  values.push(3_000_000_000); // a 3 s outlier lands in a high bucket
  const s = native().histogramFromValues(values);
  const h = decodeHistogram(compressV2(s.encoded));
  assert.equal(h.totalCount, values.length);
  for (const [p, v] of [
    [50, s.p50],
    [90, s.p90],
    [99, s.p99],
    [99.9, s.p999],
  ] as const)
    assert.equal(h.getValueAtPercentile(p), v, `p${p}`);
  // HdrHistogram keeps 3 significant digits: max within 0.1%
  assert.ok(Math.abs(h.maxValue - 3_000_000_000) / 3e9 < 1e-3);
  assert.ok(compressV2(s.encoded).startsWith('HISTF'), 'standard compressed V2 base64 prefix');
});

test('native percentiles agree with exact order statistics within the 3-digit precision', () => {
  const values = Array.from({ length: 10001 }, (_, i) => 5000 + i * 3);
  const s = native().histogramFromValues(values);
  const exact = [...values].sort((a, b) => a - b)[5000]!;
  assert.ok(Math.abs(s.p50 - exact) / exact <= 1e-3, `${s.p50} vs ${exact}`);
  assert.equal(s.min, 5000);
  assert.equal(s.max, 5000 + 10000 * 3);
});

test('merging per-subscriber histograms adds their counts', () => {
  const a = native().histogramFromValues([1000, 2000, 3000]);
  const b = native().histogramFromValues([4000, 5000]);
  const m = mergeHistograms([compressV2(a.encoded), compressV2(b.encoded)]);
  assert.equal(m.count, 5);
  assert.ok(m.p50 >= 2997 && m.p50 <= 3003);
});
