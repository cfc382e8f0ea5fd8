import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareResults } from './compare.js';
import { syntheticResult } from './fixtures/synthetic.js';
import { calibrateFromPairs, noiseFloor, noiseFileSchema } from './noise-model.js';
import { caseId } from './model.js';

test('calibration from A/A pairs gives a floor per case and metric, and compare raises its threshold to it', () => {
  // identical code, each run with its own 4% run-level noise: A/A pairs differ by a few %
  const runs = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) =>
    syntheticResult({ transports: ['pipe'], sizes: [64], repetitions: 6, noise: 0.04, seed, runId: `aa-${seed}` }),
  );
  const noise = calibrateFromPairs([
    [runs[0]!, runs[1]!],
    [runs[2]!, runs[3]!],
    [runs[4]!, runs[5]!],
  ]);
  assert.ok(noiseFileSchema.safeParse(noise).success);
  const id = caseId(runs[0]!.cases[0]!.key);
  const floor = noiseFloor(noise, id, 'p50');
  assert.ok(floor !== undefined && floor > 0, String(floor));
  assert.equal(noise.cases[id]!.p50!.pairs, 3);
  assert.equal(noiseFloor(noise, 'no|such|case', 'p50'), undefined);
  // a current run 3% slower than a baseline: with the floor above 3% the comparison cannot call it a regression
  const base = runs[6]!;
  const slower = syntheticResult({ transports: ['pipe'], sizes: [64], repetitions: 6, noise: 0.04, seed: 7, factor: { pipe: 1.03 }, runId: 'slower' });
  const c = compareResults(base, slower, { baseline: 'a', current: 'b' }, { noise, threshold: 0.01 });
  const p50 = c.results.find((r) => r.metric === 'p50')!;
  assert.equal(p50.threshold, Math.max(0.01, floor!));
  assert.equal(p50.noiseFloor, floor);
});
