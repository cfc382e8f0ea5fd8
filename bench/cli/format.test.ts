// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaseResult, Repetition } from '../result.js';
import { fakeDocument, fakeRpcKey } from '../runner/document.fake.js';
import { precisionLine } from './format.js';

const rep = (index: number, setAside?: boolean): Repetition => ({
  index,
  ...(setAside ? { setAside } : {}),
  ops: 1,
  bytes: 1,
  wallNs: 1,
  throughput: 1,
  mbPerSec: 1,
  latency: { count: 1, min: 1, p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1 },
  cpu: [],
  cpuNsPerOp: { total: 1, byRole: {} },
  ctxSwitchesPerOp: 0,
});

function doc(met: boolean[], setAside = 0) {
  const d = fakeDocument(['pipe']);
  d.cases = met.map((m, i): CaseResult => ({
    key: fakeRpcKey({ transport: 'pipe', size: 64 << i }),
    state: 'ok',
    startedAt: d.startedAt,
    repetitions: [0, 1, 2, 3, 4, 5].map((j) => rep(j, i === 0 && j < setAside)),
    precision: { metric: 'p50', target: 0.02, halfWidth: m ? 0.01 : 0.05, low: 1, high: 1, met: m },
  }));
  return d;
}

test('the last line counts the cases that met the target and says the others are marked', () => {
  assert.equal(precisionLine(doc([true, true])), '2 of 2 cases met ±2%');
  assert.equal(precisionLine(doc([true, false])), '1 of 2 cases met ±2%; the others are marked');
});

test('the last line says which repetitions were set aside, and when the machine was slow', () => {
  const d = doc([true, false], 2);
  d.slowStretches = [{ fromMs: 150_000, toMs: 160_000, effect: 0.243, repetitions: 2 }];
  assert.equal(
    precisionLine(d),
    '1 of 2 cases met ±2%; the others are marked (2 repetitions set aside: the whole machine was off its typical speed in 150-160 s +24%)',
  );
});
