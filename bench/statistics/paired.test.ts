import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedRatioCI, pairedRatios, smallestSignedRankP, wilcoxonSignedRank } from './paired.js';

test('paired ratios divide pair by pair and refuse unpaired samples', () => {
  assert.deepEqual(pairedRatios([2, 4, 0], [3, 4, 1]), [1.5, 1]);
  assert.throws(() => pairedRatios([1, 2], [1]), /unpaired/);
});

test('Wilcoxon signed-rank: exact p-values match scipy.stats.wilcoxon', () => {
  // scipy 1.17: wilcoxon([1,2,-3,4,5], alternative='greater') -> statistic 12, p 0.15625
  const a = wilcoxonSignedRank([1, 2, -3, 4, 5]);
  assert.equal(a.wPlus, 12);
  assert.equal(a.pGreater, 0.15625);
  assert.equal(a.method, 'exact');
  // scipy: wilcoxon([0.5,-1.2,2.3,3.1,-0.4,1.7,2.2,0.9]) -> statistic 5 (= W-), two-sided p 0.078125
  const b = wilcoxonSignedRank([0.5, -1.2, 2.3, 3.1, -0.4, 1.7, 2.2, 0.9]);
  assert.equal(b.wPlus, 31);
  assert.equal(b.p, 0.078125);
});

test('Wilcoxon signed-rank: all-positive pairs reach the smallest p, zeros are dropped, signs are symmetric', () => {
  const all = wilcoxonSignedRank([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  assert.equal(all.pGreater, smallestSignedRankP(6));
  assert.equal(all.p, 2 * smallestSignedRankP(6));
  assert.equal(wilcoxonSignedRank([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).n, 6);
  const d = [0.3, -0.1, 0.25, 0.4, -0.05, 0.2, 0.1];
  const pos = wilcoxonSignedRank(d);
  const neg = wilcoxonSignedRank(d.map((x) => -x));
  assert.equal(pos.p, neg.p);
  assert.equal(pos.pGreater, neg.pLess);
  assert.deepEqual(wilcoxonSignedRank([]).p, 1);
});

test('Wilcoxon signed-rank: the normal approximation takes over above 60 pairs and agrees in direction', () => {
  const d = Array.from({ length: 80 }, (_, i) => ((i * 37) % 23) - 8); // fixed, mostly positive
  const r = wilcoxonSignedRank(d);
  assert.equal(r.method, 'normal');
  assert.ok(r.pGreater < 0.05 && r.pLess > 0.95, JSON.stringify(r));
});

test('paired ratio CI: reproducible for a seed, brackets the median, collapses for identical ratios', () => {
  const ratios = [1.04, 1.06, 1.05, 1.03, 1.07, 1.05, 1.02, 1.06];
  const a = pairedRatioCI(ratios, { seed: 3 });
  assert.deepEqual(a, pairedRatioCI(ratios, { seed: 3 }));
  assert.ok(a.low <= a.ratio && a.ratio <= a.high);
  assert.equal(a.ratio, 1.05);
  assert.deepEqual(pairedRatioCI([1.1, 1.1, 1.1]), { ratio: 1.1, low: 1.1, high: 1.1, n: 3 });
  assert.ok(Number.isNaN(pairedRatioCI([]).ratio));
});
