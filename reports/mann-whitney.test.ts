import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mannWhitneyU, midRanks, smallestPossibleP } from './mann-whitney.js';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

test('mid-ranks give tied values the average of their ranks', () => {
  const { ranks, ties } = midRanks([10, 20, 20, 30]);
  assert.deepEqual(ranks, [1, 2.5, 2.5, 4]);
  assert.deepEqual(ties, [2]);
});

test('exact p for completely separated samples is 2 / C(10, 5) (matches scipy exact)', () => {
  const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  assert.equal(r.method, 'exact');
  assert.equal(r.u, 0);
  close(r.p, 0.007936507936507936, 1e-12);
});

test('exact p with ties is the permutation p over the mid-ranks (checked by brute-force enumeration)', () => {
  close(mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 6, 7]).p, 0.1111111111111111, 1e-12);
  close(mannWhitneyU([1.1, 2.3, 2.3, 3.5, 4.1, 5.0, 5.5, 6.2], [2.3, 3.5, 6.0, 7.1, 7.1, 8.4, 9.9]).p, 0.05811965811965812, 1e-12);
});

test('large samples use the normal approximation with continuity correction (matches scipy asymptotic)', () => {
  const x = Array.from({ length: 40 }, (_, i) => i);
  const y = x.map((v) => v + 7.5);
  const r = mannWhitneyU(x, y);
  assert.equal(r.method, 'normal');
  close(r.p, 0.008988007122138847, 1e-5);
});

test('identical samples are not significant', () => {
  assert.equal(mannWhitneyU([5, 5, 5], [5, 5, 5]).p, 1);
  assert.equal(mannWhitneyU(Array(40).fill(1), Array(40).fill(1)).p, 1);
});

test('the test is symmetric in its two samples', () => {
  const a = [3.1, 2.9, 3.3, 3.0, 3.2, 2.8];
  const b = [3.4, 3.6, 3.2, 3.5, 3.7, 3.3];
  close(mannWhitneyU(a, b).p, mannWhitneyU(b, a).p, 1e-12);
});

test('three repetitions per side can never reach p < 0.05; four can', () => {
  close(smallestPossibleP(3, 3), 0.1, 1e-12);
  assert.ok(smallestPossibleP(4, 4) < 0.05);
});
