import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTrend, pelt } from './changepoint.js';
import { mulberry32, normalDeviate } from './random.js';

const noisy = (base: (i: number) => number, n: number, sd: number, seed: number) => {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => base(i) * Math.exp(sd * normalDeviate(rand)));
};

test('PELT finds one clean step and nothing in a constant', () => {
  assert.deepEqual(pelt([0, 0, 0, 0, 5, 5, 5, 5], 1, 3 * Math.log(8)).changePoints, [4]);
  assert.deepEqual(pelt([1, 1, 1, 1, 1, 1], 1, 3 * Math.log(6)).changePoints, []);
  assert.deepEqual(pelt([0, 0, 0, 4, 4, 4, 0, 0, 0], 1, 3 * Math.log(9)).changePoints, [3, 6]);
});

test('a step of +8% in a 1%-noise history is a step at the right run', () => {
  const y = noisy((i) => (i < 12 ? 100 : 108), 24, 0.01, 1);
  const t = analyzeTrend(y);
  assert.equal(t.kind, 'step');
  assert.equal(t.steps.length, 1);
  assert.equal(t.steps[0]!.at, 12);
  assert.ok(Math.abs(t.steps[0]!.change - 0.08) < 0.02);
});

test('a slow drift of +1% per run is a drift, not a staircase', () => {
  const y = noisy((i) => 100 * Math.pow(1.01, i), 30, 0.003, 2);
  const t = analyzeTrend(y);
  assert.equal(t.kind, 'drift');
  assert.ok(Math.abs(t.perRun! - 0.01) < 0.003, String(t.perRun));
});

test('noise alone is stable; fewer than three runs cannot be judged', () => {
  for (let seed = 1; seed <= 5; seed++) assert.equal(analyzeTrend(noisy(() => 100, 20, 0.01, seed)).kind, 'stable', `seed ${seed}`);
  assert.equal(analyzeTrend([1, 2]).kind, 'too-short');
});
