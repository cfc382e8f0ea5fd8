// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caseDone, nextRound, repetitionsLeft, type CaseProgress, type SchedulePolicy } from './scheduler.js';

const policy: SchedulePolicy = { maxRepetitions: 7, minRepetitions: 3, ciTarget: 0.02, seed: 1 };
const progress = (estimates: number[], closed = false): CaseProgress => ({ closed, estimates, elapsedMs: estimates.map(() => 1) });

test('a fresh group schedules every open case, in order', () => {
  assert.deepEqual(nextRound([progress([]), progress([]), progress([], true)], policy), [0, 1]);
});

test('a case stops at its maximum', () => {
  const wild = [100, 300, 200, 900, 50, 700, 20];
  assert.equal(caseDone(progress(wild), policy), true);
  assert.equal(caseDone(progress(wild.slice(0, 6)), policy), false);
  assert.deepEqual(nextRound([progress(wild), progress(wild.slice(0, 6))], policy), [1]);
});

test('early stop needs the minimum and a tight CI', () => {
  assert.equal(caseDone(progress([1000, 1000]), policy), false, 'below the minimum');
  assert.equal(caseDone(progress([1000, 1001, 1000]), policy), false, 'tight, but 3 values make no 95% interval of a median');
  assert.equal(caseDone(progress([1000, 1001, 1000, 1000, 1001]), policy), true, 'tight, 5 values');
  assert.equal(caseDone(progress([1000, 2000, 1500, 1200, 1800]), policy), false, 'wide');
  assert.equal(caseDone(progress([1000, 1000, 1000]), { ...policy, ciTarget: 0 }), false, 'ci-target 0 never stops early');
});

test('closed cases are never scheduled and need nothing more', () => {
  assert.deepEqual(nextRound([progress([5], true)], policy), []);
  assert.equal(repetitionsLeft(progress([5], true), policy), 0);
  assert.equal(repetitionsLeft(progress([5, 500]), policy), 5);
});

test('a whole run of rounds ends, each case between min and max repetitions', () => {
  const values = [
    [1000, 1000, 1000, 1000, 1000, 1000, 1000],
    [1000, 3000, 1000, 3000, 2000, 1000, 3000],
  ];
  const cases = values.map(() => ({ closed: false, estimates: [] as number[], elapsedMs: [] as number[] }));
  let rounds = 0;
  for (let next = nextRound(cases, policy); next.length; next = nextRound(cases, policy)) {
    for (const i of next) cases[i]!.estimates.push(values[i]![cases[i]!.estimates.length]!);
    assert.ok(++rounds <= policy.maxRepetitions);
  }
  assert.equal(cases[0]!.estimates.length, 5, 'identical values stop at 5 (the fewest that make a 95% interval)');
  assert.equal(cases[1]!.estimates.length, 7, 'noisy values run to the maximum');
});
