import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binomialHalfUpperTail,
  hodgesLehmannRatioCI,
  holmAdjust,
  pairedDecision,
  pairedRatioCI,
  pairedRatios,
  signTest,
  smallestSignedRankP,
  wilcoxonSignedRank,
} from './paired.js';
import { mulberry32, normalDeviate } from './random.js';

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

test('sign test: exact binomial tails, zeros dropped, directions mirror each other', () => {
  // 24 of 30 positive: P(X >= 24) = (C(30,24) + ... + C(30,30)) / 2^30 = 768212 / 2^30
  // (scipy.stats.binomtest(24, 30, alternative='greater').pvalue = 0.000715...); P(X <= 24) = 1 - P(X <= 5)...
  const d = [...Array.from({ length: 24 }, (_, i) => i + 1), ...Array.from({ length: 6 }, (_, i) => -(i + 1))];
  const r = signTest(d);
  assert.equal(r.n, 30);
  assert.equal(r.positive, 24);
  assert.ok(Math.abs(r.pGreater - 768212 / 2 ** 30) < 1e-15, String(r.pGreater));
  // ... i.e. P(at least 6 negative) = 1 - (1 + 30 + 435 + 4060 + 27405 + 142506) / 2^30
  assert.ok(Math.abs(r.pLess - (1 - 174437 / 2 ** 30)) < 1e-12, String(r.pLess));
  assert.equal(r.p, 2 * r.pGreater);
  assert.deepEqual(signTest(d.map((x) => -x)), { ...r, positive: 6, pGreater: r.pLess, pLess: r.pGreater });
  const all = signTest([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  assert.equal(all.n, 6);
  assert.equal(all.pGreater, smallestSignedRankP(6));
  assert.equal(all.pLess, 1);
  assert.deepEqual(signTest([]), { n: 0, positive: 0, p: 1, pGreater: 1, pLess: 1 });
});

test('binomial upper tail: edges, symmetry P(X >= k) + P(X >= n-k+1) = 1, and no underflow for large n', () => {
  assert.equal(binomialHalfUpperTail(0, 5), 1);
  assert.equal(binomialHalfUpperTail(6, 5), 0);
  assert.equal(binomialHalfUpperTail(5, 5), 1 / 32);
  for (const [k, n] of [
    [11, 20],
    [3, 7],
    [900, 2000],
  ] as const)
    assert.ok(Math.abs(binomialHalfUpperTail(k, n) + binomialHalfUpperTail(n - k + 1, n) - 1) < 1e-9, `${k}/${n}`);
  const far = binomialHalfUpperTail(1500, 2000);
  assert.ok(Math.abs(binomialHalfUpperTail(1001, 2001) - 0.5) < 1e-12);
  assert.ok(far > 0 && far < 1e-100, String(far));
});

test('paired decision: pairs hit by bursts of load (large outliers either way) do not hide a steady +5%', () => {
  // 24 pairs near +5% and 6 pairs where one side's repetition was hit by load: the median and the sign test see
  // a +5% change; the signed-rank test would give the outliers the largest ranks
  const rand = mulberry32(9);
  const steady = Array.from({ length: 24 }, () => 1.05 + 0.008 * normalDeviate(rand));
  const ratios = [...steady, 0.38, 0.9, 0.96, 0.97, 0.98, 3.15];
  const d = pairedDecision(ratios, { threshold: 0.02, better: 'lower', alpha: 0.05 });
  assert.equal(d.decision, 'regression');
  assert.ok(d.pWorse <= binomialHalfUpperTail(23, 30), String(d.pWorse));
  // the same outliers around an unchanged median: no regression
  const same = [...steady.map((r) => r - 0.05), 0.38, 0.9, 0.96, 0.97, 0.98, 3.15];
  assert.notEqual(pairedDecision(same, { threshold: 0.02, better: 'lower', alpha: 0.05 }).decision, 'regression');
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

test('paired decision: the test is against the threshold, not against zero', () => {
  // a steady +1% change: clearly non-zero, but inside a 2% threshold -> within, never a regression
  const plusOne = Array.from({ length: 20 }, (_, i) => 1.01 + ((i % 5) - 2) * 0.001);
  const a = pairedDecision(plusOne, { threshold: 0.02, better: 'lower', alpha: 0.05 });
  assert.equal(a.decision, 'within');
  assert.ok(a.pWorse > 0.5, String(a.pWorse));
  // a steady +5% change with the same spread: regression
  const plusFive = plusOne.map((r) => r + 0.04);
  const b = pairedDecision(plusFive, { threshold: 0.02, better: 'lower', alpha: 0.05 });
  assert.equal(b.decision, 'regression');
  assert.ok(b.ci.low > 1.02 && b.pWorse < 0.05);
  // higher is better: the same ratios are an improvement
  assert.equal(pairedDecision(plusFive, { threshold: 0.02, better: 'higher', alpha: 0.05 }).decision, 'improvement');
  // -5% for lower-is-better: improvement
  assert.equal(
    pairedDecision(
      plusFive.map((r) => 1 / r),
      { threshold: 0.02, better: 'lower', alpha: 0.05 },
    ).decision,
    'improvement',
  );
});

test('paired decision: a CI across the threshold is undecided; four pairs can never be a regression', () => {
  const wide = [0.97, 1.08, 1.01, 1.06, 0.99, 1.1, 1.03, 1.05];
  assert.equal(pairedDecision(wide, { threshold: 0.02, better: 'lower', alpha: 0.05 }).decision, 'undecided');
  // all four pairs +20%: the CI is beyond, but the smallest one-sided signed-rank p with 4 pairs is 1/16
  assert.notEqual(pairedDecision([1.2, 1.21, 1.19, 1.2], { threshold: 0.02, better: 'lower', alpha: 0.05 }).decision, 'regression');
  assert.equal(pairedDecision([1.2, 1.21, 1.19, 1.2, 1.22], { threshold: 0.02, better: 'lower', alpha: 0.05 }).decision, 'regression');
});

test('Holm adjustment: matches the step-down definition and keeps the input order', () => {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
  const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  const want = [0.03, 0.06, 0.06, 0.02];
  adj.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) < 1e-12, `${p} vs ${want[i]}`));
  assert.deepEqual(holmAdjust([]), []);
  assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1]);
});

test('Hodges-Lehmann CI: the Walsh averages between the exact signed-rank critical values', () => {
  // n = 10: P(W+ <= 8) = 0.0244 <= 0.025 < P(W+ <= 9), so the 95% interval is the 9th smallest and the 9th
  // largest of the 55 Walsh averages (Hollander, Wolfe & Chicken, table A.4); logs 0.01..0.10 make them easy
  const logs = Array.from({ length: 10 }, (_, i) => (i + 1) / 100);
  const walsh: number[] = [];
  for (let i = 0; i < 10; i++) for (let j = i; j < 10; j++) walsh.push((logs[i]! + logs[j]!) / 2);
  walsh.sort((a, b) => a - b);
  const ci = hodgesLehmannRatioCI(logs.map(Math.exp));
  assert.ok(Math.abs(Math.log(ci.low) - walsh[8]!) < 1e-12, `${Math.log(ci.low)} vs ${walsh[8]}`);
  assert.ok(Math.abs(Math.log(ci.high) - walsh[46]!) < 1e-12);
  assert.ok(Math.abs(Math.log(ci.ratio) - 0.055) < 1e-12);
  // five pairs: P(W+ <= 0) = 1/32 > 0.025, so no 95% interval exists yet
  const five = hodgesLehmannRatioCI([1.1, 1.2, 1.3, 1.4, 1.5]);
  assert.equal(five.low, 0);
  assert.equal(five.high, Infinity);
  assert.ok(Number.isNaN(hodgesLehmannRatioCI([]).ratio));
});

test('Hodges-Lehmann CI: covers the centre of symmetric noise about 95% of the time', () => {
  const rand = mulberry32(5);
  let covered = 0;
  const trials = 400;
  for (let t = 0; t < trials; t++) {
    const r = Array.from({ length: 12 }, () => Math.exp(0.03 * normalDeviate(rand)));
    const ci = hodgesLehmannRatioCI(r);
    if (ci.low <= 1 && 1 <= ci.high) covered++;
  }
  assert.ok(covered / trials > 0.92 && covered / trials < 0.98, `${covered}/${trials}`);
});
