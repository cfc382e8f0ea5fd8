import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResultDocument } from '../bench/result.js';
import { compareResults, exitCodeOf, type Comparison } from './compare.js';
import { syntheticResult, type SyntheticOptions } from './fixtures/synthetic.js';

const small: SyntheticOptions = { transports: ['pipe', 'unix-stream'], sizes: [64], repetitions: 10, histogramSamples: 20 };
const files = { baseline: 'baseline.json', current: 'current.json' };

function find(c: Comparison, transport: string, metricId: string) {
  const r = c.results.find((x) => x.label.startsWith(`${transport} `) && x.metric === metricId);
  assert.ok(r, `no comparison for ${transport} ${metricId}`);
  return r;
}

test('a known 10% regression is caught, and only there', () => {
  const base = syntheticResult({ ...small, seed: 1 });
  const cur = syntheticResult({ ...small, seed: 2, factor: { pipe: 1.1 } });
  const c = compareResults(base, cur, files);
  const p50 = find(c, 'pipe', 'p50');
  assert.equal(p50.verdict, 'regression');
  assert.ok(p50.ratio > 1.05 && p50.ratioLow > 1, `ratio ${p50.ratio} [${p50.ratioLow}, ${p50.ratioHigh}]`);
  assert.equal(find(c, 'pipe', 'throughput').verdict, 'regression', 'throughput drops with the same slowdown');
  assert.equal(find(c, 'unix-stream', 'p50').verdict, 'unchanged');
  assert.equal(exitCodeOf(c), 1);
});

test('pure noise around the same median is not a regression', () => {
  for (const seed of [3, 4, 5, 6]) {
    const c = compareResults(syntheticResult({ ...small, seed: 1, noise: 0.03 }), syntheticResult({ ...small, seed, noise: 0.03 }), files);
    assert.equal(c.regressions, 0, `seed ${seed}: ${JSON.stringify(c.results.filter((r) => r.verdict === 'regression'))}`);
    assert.equal(exitCodeOf(c), 0);
  }
});

test('more spread with exactly the same median is not a regression', () => {
  const base = syntheticResult({ ...small, seed: 1 });
  const cur = syntheticResult({ ...small, seed: 1 });
  // Same per-repetition p50 median (100 µs), ten times the spread in the current run.
  const tight = [99, 99.5, 100, 100, 100, 100, 100, 100.5, 101, 100];
  const wide = [90, 95, 100, 100, 100, 100, 100, 105, 110, 100];
  const setP50 = (doc: ResultDocument, values: number[]) => {
    for (const c of doc.cases) c.repetitions.forEach((r, i) => (r.latency.p50 = values[i]! * 1000));
  };
  setP50(base, tight);
  setP50(cur, wide);
  const c = compareResults(base, cur, files, { metrics: ['p50'] });
  for (const r of c.results) {
    assert.equal(r.ratio, 1);
    assert.equal(r.verdict, 'unchanged');
  }
});

test('a tiny but significant change under the threshold is not a regression', () => {
  const base = syntheticResult({ ...small, seed: 1, noise: 0.002 });
  const cur = syntheticResult({ ...small, seed: 2, noise: 0.002, factor: { pipe: 1.02 } });
  const c = compareResults(base, cur, files);
  const p50 = find(c, 'pipe', 'p50');
  assert.ok(p50.significant, `p = ${p50.p}`);
  assert.equal(p50.verdict, 'unchanged');
  assert.equal(p50.note, 'significant but within threshold');
  assert.equal(c.regressions, 0);
  // The same data with a 1% threshold is a regression.
  assert.equal(find(compareResults(base, cur, files, { threshold: 0.01 }), 'pipe', 'p50').verdict, 'regression');
});

test('improvements are reported the same way and do not fail', () => {
  const c = compareResults(syntheticResult({ ...small, seed: 1 }), syntheticResult({ ...small, seed: 2, factor: { pipe: 0.85 } }), files);
  assert.equal(find(c, 'pipe', 'p50').verdict, 'improvement');
  assert.equal(find(c, 'pipe', 'throughput').verdict, 'improvement');
  assert.ok(c.improvements >= 2);
  assert.equal(exitCodeOf(c), 0);
});

test('cases on one side only are listed, not failed', () => {
  const base = syntheticResult({ ...small, seed: 1 });
  const cur = syntheticResult({ ...small, seed: 2, transports: ['pipe', 'unix-stream', 'shm'], factor: { shm: 5 } });
  const c = compareResults(base, cur, files);
  assert.deepEqual(
    c.onlyOneSide.map((s) => `${s.side}:${s.label}`),
    ['current:shm rpc 64B cross-core'],
  );
  assert.equal(exitCodeOf(c), 0);
});

test('cases unavailable on one side are listed, not compared and not failed', () => {
  const base = syntheticResult({ ...small, seed: 1 });
  const cur = syntheticResult({ ...small, seed: 2, factor: { pipe: 2 } });
  const pipe = cur.cases.find((x) => x.key.transport === 'pipe')!;
  pipe.state = 'unavailable';
  pipe.reason = 'not in this kernel';
  const c = compareResults(base, cur, files);
  assert.equal(c.notCompared.length, 1);
  assert.match(c.notCompared[0]!.why, /current unavailable \(not in this kernel\)/);
  assert.equal(exitCodeOf(c), 0);
});

test('a case that worked in the baseline and errors now fails the gate', () => {
  const base = syntheticResult({ ...small, seed: 1 });
  const cur = syntheticResult({ ...small, seed: 2 });
  const pipe = cur.cases.find((x) => x.key.transport === 'pipe')!;
  pipe.state = 'errored';
  pipe.reason = 'peer crashed';
  const c = compareResults(base, cur, files);
  assert.equal(c.broken.length, 1);
  assert.match(c.broken[0]!.why, /current errored \(peer crashed\)/);
  assert.equal(exitCodeOf(c), 1);
});

test('--normalize cancels a machine-wide slowdown but still catches a transport-specific one', () => {
  const base = syntheticResult({ ...small, seed: 1 });
  const slowerMachine = syntheticResult({ ...small, seed: 2, factor: { pipe: 1.3, 'unix-stream': 1.3 } });
  assert.ok(compareResults(base, slowerMachine, files).regressions > 0, 'absolute comparison sees the slower machine');
  const normalized = compareResults(base, slowerMachine, files, { normalize: 'unix-stream' });
  assert.equal(normalized.regressions, 0);
  assert.ok(normalized.notCompared.some((n) => n.why.includes('reference transport')));

  const slowerAndPipeRegressed = syntheticResult({ ...small, seed: 2, factor: { pipe: 1.3 * 1.1, 'unix-stream': 1.3 } });
  const c = compareResults(base, slowerAndPipeRegressed, files, { normalize: 'unix-stream' });
  const p50 = find(c, 'pipe', 'p50');
  assert.equal(p50.verdict, 'regression');
  assert.match(p50.unit, /unix-stream/);
});

test('too few repetitions are flagged as unable to detect anything', () => {
  const c = compareResults(
    syntheticResult({ ...small, seed: 1, repetitions: 3 }),
    syntheticResult({ ...small, seed: 2, repetitions: 3, factor: { pipe: 1.1 } }),
    files,
  );
  assert.equal(c.regressions, 0);
  assert.ok(c.warnings.some((w) => w.includes('too few repetitions')));
});

test('comparisons are deterministic for the same files', () => {
  const a = syntheticResult({ ...small, seed: 1 });
  const b = syntheticResult({ ...small, seed: 2, factor: { pipe: 1.1 } });
  assert.deepEqual(compareResults(a, b, files), compareResults(a, b, files));
});

test('--correction holm adjusts p over all comparisons: a clear regression survives, borderline ones do not', () => {
  const base = syntheticResult({ ...small, seed: 1, transports: ['pipe', 'unix-stream', 'shm', 'unix-seqpacket'] });
  const cur = syntheticResult({ ...small, seed: 2, transports: ['pipe', 'unix-stream', 'shm', 'unix-seqpacket'], factor: { pipe: 1.1 } });
  const plain = compareResults(base, cur, files);
  const holm = compareResults(base, cur, files, { correction: 'holm' });
  assert.equal(find(holm, 'pipe', 'p50').verdict, 'regression');
  for (const [i, r] of holm.results.entries()) {
    assert.ok(r.pAdjusted >= plain.results[i]!.p, 'adjusted p is never smaller');
    assert.ok(r.pAdjusted <= 1);
  }
  assert.ok(holm.results.filter((r) => r.significant).length <= plain.results.filter((r) => r.significant).length);
});
