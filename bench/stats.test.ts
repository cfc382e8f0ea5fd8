import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapMedianCI, median, quantileSorted, relativeHalfWidth } from './stats.js';

test('median of odd and even samples', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('type-7 quantiles match the textbook values', () => {
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
});

test('bootstrap CI of the median brackets the median and is reproducible for a seed', () => {
  const data = [10, 11, 9, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10.3];
  const a = bootstrapMedianCI(data, 0.95, 2000, 7);
  const b = bootstrapMedianCI(data, 0.95, 2000, 7);
  assert.deepEqual(a, b);
  assert.equal(a.median, median(data));
  assert.ok(a.low <= a.median && a.median <= a.high);
  // medians of resamples can only be values (or midpoints of values) of the data
  assert.ok(a.low >= 9.5 && a.high <= 10.5, `${a.low}..${a.high}`);
});

test('bootstrap CI is degenerate for constant data and wide for spread data', () => {
  const flat = bootstrapMedianCI([5, 5, 5, 5, 5]);
  assert.equal(flat.low, 5);
  assert.equal(flat.high, 5);
  assert.equal(relativeHalfWidth(flat), 0);
  const spread = bootstrapMedianCI([1, 100, 2, 90, 3, 80, 4]);
  assert.ok(relativeHalfWidth(spread) > 0.5);
});

test('a single repetition gives a zero-width interval with n = 1', () => {
  const one = bootstrapMedianCI([42]);
  assert.deepEqual(one, { median: 42, low: 42, high: 42, n: 1 });
});
