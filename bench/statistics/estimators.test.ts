import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harrellDavis, incompleteBeta, lgamma, mad, median, quantileSorted, stdev, trimmedMean } from './estimators.js';
import { normalQuantile, normalUpperTail } from './normal.js';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

test('median, type-7 quantile, stdev and MAD on textbook samples', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.25), 2);
  close(stdev([2, 4, 4, 4, 5, 5, 7, 9]), 2.138089935, 1e-9);
  close(mad([1, 1, 2, 2, 4, 6, 9]), 1.4826, 1e-12);
});

test('trimmed mean drops floor(trim*n) values at each end', () => {
  assert.equal(trimmedMean([1, 2, 3, 4, 100], 0.2), 3);
  assert.equal(trimmedMean([5], 0.2), 5);
  assert.equal(trimmedMean([1, 2, 3, 4], 0), 2.5);
});

test('log-gamma and the regularized incomplete beta match known values', () => {
  close(lgamma(5), Math.log(24), 1e-12);
  close(lgamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  close(incompleteBeta(0.5, 3, 3), 0.5, 1e-12);
  close(incompleteBeta(0.3, 1, 1), 0.3, 1e-12);
  close(incompleteBeta(0.3, 2, 1), 0.09, 1e-12);
});

test('Harrell–Davis median matches scipy.stats.mstats.hdquantiles', () => {
  // reference values: scipy 1.17 hdquantiles(x, [0.5])
  close(harrellDavis([1, 2, 3, 4, 10]), 3.2896, 1e-4);
  close(harrellDavis([3.1, 2.7, 5.5, 4.0, 3.3, 2.9, 3.8]), 3.41726504, 1e-7);
  assert.equal(harrellDavis([7]), 7);
  close(harrellDavis([1, 2, 3, 4, 5]), 3, 1e-12);
});

test('normal tail and quantile agree with each other and with the tables', () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-8);
  close(normalQuantile(0.1), -1.2815515655446004, 1e-8);
  close(normalUpperTail(1.959963984540054), 0.025, 1e-7);
  assert.equal(normalQuantile(0), -Infinity);
});
