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
    [100, s.max],
  ] as const)
    assert.equal(h.getValueAtPercentile(p), v, `p${p}`);
  assert.equal(h.maxValue, s.max);
  // HdrHistogram keeps 3 significant digits: max within 0.1%
  assert.ok(Math.abs(h.maxValue - 3_000_000_000) / 3e9 < 1e-3);
  assert.ok(compressV2(s.encoded).startsWith('HISTF'), 'standard compressed V2 base64 prefix');
});

test('native percentiles agree with exact order statistics within the 3-digit precision', () => {
  const values = Array.from({ length: 10001 }, (_, i) => 5000 + i * 3);
  const s = native().histogramFromValues(values);
  const exact = [...values].sort((a, b) => a - b)[5000]!;
  assert.ok(Math.abs(s.p50 - exact) / exact <= 1e-3, `${s.p50} vs ${exact}`);
  assert.equal(s.min, 5000); // 5000 is the lowest value of its bucket
  // max is its bucket's highest equivalent value, as HdrHistogram reports it: at most 0.1% above the exact one
  assert.ok(s.max >= 35000 && (s.max - 35000) / 35000 <= 1e-3, String(s.max));
});

test('merging per-subscriber histograms adds their counts', () => {
  const a = native().histogramFromValues([1000, 2000, 3000]);
  const b = native().histogramFromValues([4000, 5000]);
  const m = mergeHistograms([compressV2(a.encoded), compressV2(b.encoded)]);
  assert.equal(m.count, 5);
  assert.ok(m.p50 >= 2997 && m.p50 <= 3003);
});

/** A small deterministic generator (the same cases on every run). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

test('stored summary equals hdr-histogram-js on the same encoded histogram: p50/p90/p99/p99.9/max, min, mean, for any count', () => {
  const rnd = lcg(42);
  // counts that make percentile * count fractional below and above .5 (where rounding conventions differ),
  // values across bucket boundaries (65536 is one) and a long tail
  for (const count of [1, 2, 3, 7, 99, 100, 101, 137, 999, 1001, 1234, 20011]) {
    for (const spread of [100, 70_000, 5_000_000]) {
      const values = Array.from({ length: count }, () => 60_000 + Math.floor(rnd() * rnd() * spread));
      const s = native().histogramFromValues(values);
      const h = decodeHistogram(compressV2(s.encoded));
      const label = `count ${count}, spread ${spread}`;
      assert.equal(s.p50, h.getValueAtPercentile(50), `${label}: p50`);
      assert.equal(s.p90, h.getValueAtPercentile(90), `${label}: p90`);
      assert.equal(s.p99, h.getValueAtPercentile(99), `${label}: p99`);
      assert.equal(s.p999, h.getValueAtPercentile(99.9), `${label}: p99.9`);
      assert.equal(s.max, h.getValueAtPercentile(100), `${label}: max`);
      assert.equal(s.max, h.maxValue, `${label}: maxValue`);
      assert.equal(s.min, h.minNonZeroValue, `${label}: min`);
      assert.ok(Math.abs(s.mean - h.mean) <= 1e-9 * h.mean, `${label}: mean ${s.mean} vs ${h.mean}`);
      h.destroy();
    }
  }
});

test('merged (broadcast) summaries follow the same convention', () => {
  const a = native().histogramFromValues([65_500, 65_599, 66_000, 66_559, 70_000]);
  const b = native().histogramFromValues([1_000, 2_000_000]);
  const m = mergeHistograms([compressV2(a.encoded), compressV2(b.encoded)]);
  const h = decodeHistogram(m.histogram!);
  for (const [p, v] of [[50, m.p50], [90, m.p90], [99, m.p99], [99.9, m.p999], [100, m.max]] as const) assert.equal(v, h.getValueAtPercentile(p), `p${p}`);
  h.destroy();
});
