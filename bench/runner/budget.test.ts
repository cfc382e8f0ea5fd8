import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meetsTarget, nextRound, parseDuration, projectedNeed, type CaseProgress } from './budget.js';

const c = (index: number, n: number, halfWidth: number, repMs = 100, finished = false): CaseProgress => ({ index, n, halfWidth, repMs, finished });
const base = { target: 0.02, minRepetitions: 3, maxRepetitions: 50, remainingMs: 60_000 };

test('the floor comes first, for every live case, in matrix order, whatever the budget', () => {
  const cases = [c(0, 3, 0.05), c(1, 1, Infinity), c(2, 0, Infinity), c(3, 2, 0.01, 100, true)];
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 0 }), [1, 2]);
});

test('after the floor: only cases wider than the target and under the maximum, in matrix order', () => {
  const cases = [c(0, 3, 0.05), c(1, 5, 0.015), c(2, 4, 0.3), c(3, 50, 0.2), c(4, 6, 0.021, 100, true)];
  assert.deepEqual(nextRound(cases, base), [0, 2]);
});

test('the run is over when every case meets the target', () => {
  assert.deepEqual(nextRound([c(0, 3, 0.01), c(1, 9, 0.02)], base), []);
});

test('a target of 0 is never met: the budget is spent', () => {
  assert.deepEqual(nextRound([c(0, 3, 0.0001)], { ...base, target: 0 }), [0]);
});

test('a short budget goes to cases that can still make it, widest first, then to the cheapest of the rest', () => {
  // 250 ms left, 100 ms per repetition: two repetitions fit
  const cases = [
    c(0, 4, 0.025), // needs ceil(4 * 1.5625) - 4 = 3 more: 300 ms > 250: hopeless now
    c(1, 10, 0.021), // needs 2 more: hopeful
    c(2, 3, 0.024), // needs ceil(3 * 1.44) - 3 = 2: hopeful, wider
    c(3, 3, 1.0), // hopeless, very expensive
  ];
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 250 }), [1, 2]);
  // 350 ms: the third repetition goes to the cheapest hopeless case (case 0), not the 100× wide one
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 350 }), [0, 1, 2]);
  // nothing fits: over
  assert.deepEqual(nextRound(cases, { ...base, remainingMs: 50 }), []);
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
