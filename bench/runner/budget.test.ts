import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meetsTarget, nextRound, parseDuration, projectedNeed, type CaseProgress } from './budget.js';

const c = (index: number, n: number, halfWidth: number, repMs = 100, finished = false): CaseProgress => ({ index, n, halfWidth, repMs, finished });
const base = { target: 0.02, minRepetitions: 3, maxRepetitions: 50, remainingMs: 60_000 };

test('every live case gets its first repetition whatever the budget; the rest of the floor as far as the budget reaches', () => {
  const cases = [c(0, 3, 0.05), c(1, 1, Infinity), c(2, 0, Infinity), c(3, 2, 0.01, 100, true), c(4, 2, 0.5), c(5, 1, Infinity)];
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 0 }), [2]);
  const later = cases.map((x) => (x.index === 2 ? c(2, 1, Infinity) : x));
  assert.deepEqual(nextRound(later, base), [1, 2, 4, 5]);
  // 250 ms: two of the three with one repetition (fewest first), not the one with two
  assert.deepEqual(nextRound(later, { ...base, remainingMs: 250 }), [1, 2]);
});

test('after the floor: only cases wider than the target and under the maximum, in matrix order', () => {
  const cases = [c(0, 3, 0.05), c(1, 5, 0.015), c(2, 4, 0.3), c(3, 50, 0.2), c(4, 6, 0.021, 100, true)];
  assert.deepEqual(nextRound(cases, base), [0, 2]);
});

test('the run is over when every case meets the target', () => {
  assert.deepEqual(nextRound([c(0, 5, 0.01), c(1, 9, 0.02)], base), []);
  // a narrow interval from fewer than 5 repetitions is not a 95% one (bench/case-precision.ts): one more
  assert.deepEqual(nextRound([c(0, 4, 0.01), c(1, 9, 0.02)], { ...base, minRepetitions: 3 }), [0]);
});

test('a target of 0 is never met: the budget is spent', () => {
  assert.deepEqual(nextRound([c(0, 3, 0.0001)], { ...base, target: 0 }), [0]);
});

test('the budget goes to as many cases as it can bring to the target, cheapest first; the slack to the others', () => {
  // 100 ms per repetition
  const cases = [
    c(0, 4, 0.025), // needs ceil(4 * 1.5625) - 4 = 3 more: 300 ms
    c(1, 10, 0.021), // needs 2 more: 200 ms
    c(2, 3, 0.024), // needs ceil(3 * 1.44) - 3 = 2 more: 200 ms
    c(3, 3, 1.0), // needs 7497 more: hopeless
  ];
  // 250 ms: only one case can still be brought to the target; spending on a second would sink both
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 250 }), [1]);
  // 450 ms: two planned (400 ms); the 50 ms of slack pays for nothing
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 450 }), [1, 2]);
  // 700 ms: all three that can make it, no slack; 10 s: the slack also pays one repetition of the hopeless case
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 700 }), [0, 1, 2]);
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 10_000 }), [0, 1, 2, 3]);
  // 350 ms: one planned (200 ms), the slack (150 ms) pays one repetition of the cheapest other case
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 350 }), [1, 2]);
  // nothing fits: over
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 50 }), []);
});

test('a hopeless case gets no repetition that a case which can still make the target needs', () => {
  // a broadcast-like case, 500 ms per repetition and 10x too wide, beside ten cases that each need one more
  const cases = [c(0, 5, 0.2, 500), ...Array.from({ length: 10 }, (_, i) => c(i + 1, 5, 0.021))];
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 1200 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 1500 }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('projected need follows the 1/√n law', () => {
  assert.equal(projectedNeed({ n: 4, halfWidth: 0.04 }, 0.02), 12);
  assert.equal(projectedNeed({ n: 4, halfWidth: 0.0201 }, 0.02), 1);
  assert.equal(projectedNeed({ n: 1, halfWidth: Infinity }, 0.02), Infinity);
  assert.equal(meetsTarget({ n: 1, halfWidth: 0 }, 0.02, 1), false, 'one value never meets a target');
});

test('budget durations', () => {
  assert.equal(parseDuration('3m'), 180_000);
  assert.equal(parseDuration('2m30s'), 150_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('45'), 45_000);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('off'), 0);
  assert.equal(parseDuration('3 minutes'), undefined);
  assert.equal(parseDuration('m'), undefined);
});

test('a case made wide by one outlier among tight repetitions is planned: its robust spread says a few more will do', () => {
  // five repetitions, four within 0.5% and one 25% slow: the interval of the median is their range (±10%)
  const outlier = { ...c(0, 5, 0.1), spread: 0.005 };
  const noisy = { ...c(1, 5, 0.1), spread: 0.1 };
  assert.equal(projectedNeed(outlier, 0.02), 1);
  assert.equal(projectedNeed(noisy, 0.02), 5 * 25 - 5, 'a spread as wide as the interval: the 1/√n law');
  assert.deepEqual(nextRound([outlier, noisy], { ...base, remainingMs: 150 }), [0]);
});
