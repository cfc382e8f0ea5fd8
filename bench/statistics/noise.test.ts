import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chiSquareQuantile, noiseFromLogRatios } from './noise.js';

test('chi-square quantile (Wilson–Hilferty) is within 1% of scipy.stats.chi2.ppf', () => {
  const ref = 4.865182051925328; // chi2.ppf(0.1, 10)
  assert.ok(Math.abs(chiSquareQuantile(0.1, 10) - ref) / ref < 0.01);
});

test('noise from A/A log ratios: sigma, its upper bound and a floor no smaller than the worst pair seen', () => {
  const l = [0.01, -0.01, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01];
  const n = noiseFromLogRatios(l);
  assert.equal(n.pairs, 10);
  assert.ok(Math.abs(n.sigma - 0.01 / Math.SQRT2) < 1e-12);
  assert.ok(n.sigmaUpper > n.sigma);
  assert.ok(n.floor >= n.worstSeen && n.floor < 0.1);
  assert.ok(noiseFromLogRatios([0.2, -0.25, 0.18]).floor > n.floor, 'noisier pairs give a higher floor');
  assert.equal(noiseFromLogRatios([]).pairs, 0);
});
