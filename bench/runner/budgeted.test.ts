import assert from 'node:assert/strict';
import { test } from 'node:test';
import { robustSpread, runBudgetedLoop, type BudgetedCase, type RepOutcome } from './budgeted.js';
import type { Repetition } from '../result.js';

function rep(index: number, p50: number): Repetition {
  return {
    index,
    ops: 1000,
    bytes: 64000,
    wallNs: 1e8,
    throughput: 1e4,
    mbPerSec: 0.64,
    latency: { count: 1000, min: p50, p50, p90: p50, p99: p50, p999: p50, max: p50, mean: p50 },
    cpu: [],
    cpuNsPerOp: { total: 1, byRole: {} },
    ctxSwitchesPerOp: 2,
  };
}

/** A fake clock and executor: every repetition costs `costMs`; case values come from the given generators. */
function harness(values: ((rep: number) => number | Error)[], costMs = 100) {
  let clock = 0;
  const calls: [number, number][] = [];
  const cases: BudgetedCase[] = values.map(() => ({ repetitions: [], finished: false, spentMs: 0 }));
  const run = async (i: number, r: number): Promise<RepOutcome> => {
    calls.push([i, r]);
    clock += costMs;
    const v = values[i]!(r);
    return v instanceof Error ? { ok: false, reason: v.message } : { ok: true, rep: rep(r, v) };
  };
  return { cases, calls, run, now: () => clock };
}

const common = { target: 0.02, minRepetitions: 5, maxRepetitions: 40, seed: 1, signal: new AbortController().signal };

test('quiet cases stop at the floor, the noisy one takes the rest of the budget, interleaved round by round', async () => {
  const h = harness([() => 100, (r) => (r % 2 ? 80 : 120), () => 50]);
  const out = await runBudgetedLoop(h.cases, { ...common, budgetMs: 2000, run: h.run, now: h.now });
  assert.equal(h.cases[0]!.repetitions.length, 5);
  assert.equal(h.cases[2]!.repetitions.length, 5);
  assert.equal(h.cases[1]!.repetitions.length, 20 - 10, 'everything after the floor went to the noisy case');
  assert.deepEqual(
    h.calls.slice(0, 15).map(([i]) => i),
    [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
    'the floor runs in interleaved rounds',
  );
  assert.equal(out.budgetExhausted, true);
  assert.ok(out.elapsedMs <= 2000);
});

test('the loop ends early when every case meets the target', async () => {
  const h = harness([() => 100, () => 200]);
  const out = await runBudgetedLoop(h.cases, { ...common, budgetMs: 60_000, run: h.run, now: h.now });
  assert.equal(h.calls.length, 10);
  assert.equal(out.budgetExhausted, false);
  assert.equal(out.rounds, 5);
});

test('a failed repetition finishes its case; the others go on; the maximum is respected', async () => {
  const h = harness([(r) => (r === 1 ? new Error('peer crashed') : 100), (r) => (r % 2 ? 80 : 120)]);
  await runBudgetedLoop(h.cases, { ...common, maxRepetitions: 7, budgetMs: 60_000, run: h.run, now: h.now });
  assert.equal(h.cases[0]!.finished, true);
  assert.equal(h.cases[0]!.repetitions.length, 1);
  assert.equal(h.cases[1]!.repetitions.length, 7);
});

test('an aborted signal stops before the next repetition', async () => {
  const ac = new AbortController();
  const h = harness([() => 100, () => 100]);
  const run = async (i: number, r: number) => {
    if (h.calls.length === 2) ac.abort();
    return h.run(i, r);
  };
  await runBudgetedLoop(h.cases, { ...common, signal: ac.signal, budgetMs: 60_000, run, now: h.now });
  assert.equal(h.calls.length, 3);
});

test('a repetition set aside (an off-speed stretch of the machine) does not count: the case gets another one', async () => {
  const h = harness([() => 100, () => 100]);
  const onRound = async () => {
    const r = h.cases[0]!.repetitions[1];
    if (r) r.setAside = true;
  };
  await runBudgetedLoop(h.cases, { ...common, budgetMs: 60_000, run: h.run, now: h.now, onRound });
  assert.equal(h.cases[0]!.repetitions.length, 6);
  assert.equal(h.cases[1]!.repetitions.length, 5);
});

test('the robust spread: 1.4826 x MAD over the median, blind to a minority of outliers', () => {
  assert.equal(robustSpread([100, 100]), undefined, 'fewer than 3 values');
  assert.equal(robustSpread([100, 100, 100, 125]), 0);
  const s = robustSpread([99, 100, 101, 100, 300])!;
  assert.ok(Math.abs(s - 1.4826 * 0.01) < 1e-12);
});
