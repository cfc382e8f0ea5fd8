// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inWindows, slowWindows, type TimedValue } from './slow-windows.js';

/** 10 cases measured round-robin, one repetition every 250 ms for `seconds`; `slow(t)` scales every case at time t. */
function run(seconds: number, slow: (ms: number, caseIndex: number) => number): TimedValue[] {
  const out: TimedValue[] = [];
  for (let t = 0, i = 0; t < seconds * 1000; t += 250, i++) {
    const caseIndex = i % 10;
    out.push({ caseIndex, startMs: t, value: (1000 + 100 * caseIndex) * slow(t, caseIndex) });
  }
  return out;
}

test('a stretch in which every case is 25% slower is found, touching bins merged, nothing else', () => {
  const values = run(60, (t) => (t >= 20_000 && t < 30_000 ? 1.25 : 1));
  const w = slowWindows(values);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.fromMs, 20_000);
  assert.equal(w[0]!.toMs, 30_000);
  assert.ok(Math.abs(w[0]!.effect - 0.25) < 1e-9);
  assert.equal(w[0]!.repetitions, 40);
  assert.equal(inWindows(25_000, w), true);
  assert.equal(inWindows(30_000, w), false);
  assert.equal(inWindows(undefined, w), false, 'a repetition without a start time is never set aside');
});

test("one case's own slow repetitions never make a stretch: the verdict is the median over the cases", () => {
  const values = run(60, (t, c) => (c === 3 && t >= 20_000 && t < 30_000 ? 3 : 1));
  assert.deepEqual(slowWindows(values), []);
});

test('a stretch in which every case is 20% faster is found too: setting aside only slow ones would bias towards fast', () => {
  const w = slowWindows(run(60, (t) => (t < 10_000 ? 0.8 : t >= 40_000 && t < 45_000 ? 1.2 : 1)));
  assert.deepEqual(
    w.map((x) => [x.fromMs, x.toMs, Math.round(x.effect * 100)]),
    [
      [0, 10_000, -20],
      [40_000, 45_000, 20],
    ],
  );
});

test('a machine-wide slowdown below the threshold, or a bin with too few repetitions, is not a stretch', () => {
  assert.deepEqual(slowWindows(run(60, (t) => (t >= 20_000 && t < 30_000 ? 1.08 : 1))), []);
  const sparse = run(60, (t) => (t >= 20_000 && t < 30_000 ? 1.5 : 1)).filter((v) => v.startMs < 20_000 || v.startMs >= 30_000 || v.startMs % 1000 === 0);
  assert.deepEqual(slowWindows(sparse), [], '5 repetitions per 5 s bin are fewer than the 8 a verdict needs');
});

test('a case slow for most of the run does not hide a stretch: its median is taken without the first pass', () => {
  // the stretch covers 40% of the run, so each case's median over all its repetitions is pulled towards it
  const values = run(50, (t) => (t >= 10_000 && t < 30_000 ? 1.3 : 1));
  const w = slowWindows(values);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.fromMs, 10_000);
  assert.equal(w[0]!.toMs, 30_000);
});
