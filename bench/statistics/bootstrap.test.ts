import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { bootstrapCI, bootstrapMedianCI, hierarchicalBootstrapCI, relativeHalfWidth } from './bootstrap.js';
import { distributionFromHdr, distributionFromSamples, quantileOf, resampledQuantile } from './distribution.js';
import { median, stdev } from './estimators.js';
import { mulberry32 } from './random.js';

test('bootstrap CI of the median is reproducible for a seed and brackets the median', () => {
  const data = [10, 11, 9, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10.3];
  const a = bootstrapMedianCI(data, 0.95, 2000, 7);
  assert.deepEqual(a, bootstrapMedianCI(data, 0.95, 2000, 7));
  assert.ok(a.low <= a.median && a.median <= a.high);
  assert.equal(a.n, 10);
});

test('with five values the percentile interval of the median is their whole range (P(median = min) > 2.5%)', () => {
  const ci = bootstrapMedianCI([100, 101, 102, 103, 104], 0.95, 4000, 1);
  assert.equal(ci.low, 100);
  assert.equal(ci.high, 104);
  assert.equal(relativeHalfWidth(ci), 2 / 102);
});

test('relative half-width is infinite when nothing can be told', () => {
  assert.equal(relativeHalfWidth({ median: 0, low: -1, high: 1 }), Infinity);
  assert.equal(relativeHalfWidth({ median: NaN, low: 1, high: 2 }), Infinity);
});

test('empirical distribution: nearest-rank quantiles', () => {
  const d = distributionFromSamples([4, 1, 3, 2, 2]);
  assert.equal(d.total, 5);
  assert.equal(quantileOf(d, 0.5), 2);
  assert.equal(quantileOf(d, 0.8), 3);
  assert.equal(quantileOf(d, 1), 4);
  assert.equal(quantileOf(d, 0.01), 1);
});

test('distribution from an HDR histogram reproduces its recorded p50', () => {
  const h = hdr.build({ bitBucketSize: 64, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 100e9 });
  const rand = mulberry32(5);
  for (let i = 0; i < 5000; i++) h.recordValue(Math.round(10_000 + 3000 * rand() + 50_000 * (rand() < 0.05 ? 1 : 0)));
  const d = distributionFromHdr(hdr.encodeIntoCompressedBase64(h));
  assert.equal(d.total, 5000);
  assert.equal(quantileOf(d, 0.5), h.getValueAtPercentile(50));
  assert.equal(quantileOf(d, 0.99), h.getValueAtPercentile(99));
  h.destroy();
});

test('a resampled median spreads like the sampling error of a median (sd ≈ 1/(2 f(m) √n))', () => {
  // uniform on 0..999, n = 10000: sd of the sample median = 1000 / (2 √10000) = 5
  const samples = Array.from({ length: 10_000 }, (_, i) => i % 1000);
  const d = distributionFromSamples(samples);
  const rand = mulberry32(11);
  const draws = Array.from({ length: 3000 }, () => resampledQuantile(d, 0.5, rand));
  const sd = stdev(draws);
  assert.ok(sd > 4 && sd < 6, `sd ${sd}`);
  assert.ok(Math.abs(median(draws) - 499.5) < 2);
});

test('hierarchical bootstrap equals the flat one without histograms and is wider with noisy repetitions', () => {
  const values = [100, 103, 98, 101, 99, 102, 100.5];
  const flat = bootstrapCI(values, median, { seed: 9, resamples: 1000 });
  const hier = hierarchicalBootstrapCI(
    values.map((value) => ({ value })),
    median,
    { seed: 9, resamples: 1000 },
  );
  assert.deepEqual(hier, flat);
  // every repetition drew only 40 operations from a wide distribution: the within part must widen the interval
  const wide = values.map((value) => ({ value, distribution: distributionFromSamples(Array.from({ length: 40 }, (_, i) => value - 40 + 2 * i)) }));
  const withWithin = hierarchicalBootstrapCI(wide, median, { seed: 9, resamples: 1000 });
  assert.equal(withWithin.median, flat.median);
  assert.ok(relativeHalfWidth(withWithin) > relativeHalfWidth(flat), `${relativeHalfWidth(withWithin)} vs ${relativeHalfWidth(flat)}`);
});
