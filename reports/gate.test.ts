import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResultDocument } from '../bench/result.js';
import { mulberry32, normalDeviate } from '../bench/statistics/index.js';
import { syntheticResult } from './fixtures/synthetic.js';
import { caseDecided, DEFAULT_GATE_OPTIONS, gateCaseMetrics, gateExitCode, gateVerdicts } from './gate.js';
import { formatGate } from './gate-format.js';

/**
 * A candidate measured pair by pair beside the baseline: every repetition of the baseline, times `factor`, times
 * an independent noise of `noise` (relative sd), the machine's drift being in both alike.
 */
function pairedCandidate(base: ResultDocument, factor: number, noise: number, seed: number): ResultDocument {
  const rand = mulberry32(seed);
  const doc = structuredClone(base);
  doc.runId = `${base.runId}-candidate`;
  for (const c of doc.cases)
    for (const r of c.repetitions) {
      const f = factor * Math.exp(noise * normalDeviate(rand));
      for (const k of ['min', 'p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const) r.latency[k] *= f;
      r.throughput /= f;
      r.mbPerSec /= f;
      r.cpuNsPerOp.total *= f;
    }
  return doc;
}

const specs = { baseline: 'main.so', candidate: 'pr.so' };

test('identical code with 1% pair noise passes; the paired CI is narrow even with 5% drift between pairs', () => {
  const base = syntheticResult({ transports: ['pipe', 'unix-stream'], sizes: [64, 4096], repetitions: 12, noise: 0.05, seed: 3 });
  const g = gateVerdicts(base, pairedCandidate(base, 1, 0.01, 9), specs);
  assert.equal(g.regressions, 0);
  assert.equal(gateExitCode(g), 0);
  const p50 = g.results.filter((r) => r.metric === 'p50');
  assert.equal(p50.length, 4);
  for (const r of p50) assert.ok(r.high - r.low < 0.03, `${r.label}: [${r.low}, ${r.high}]`);
});

test('a 5% slowdown in every pair fails the gate at a 2% threshold; a 1% one does not', () => {
  const base = syntheticResult({ transports: ['pipe'], sizes: [64, 4096], repetitions: 12, noise: 0.05, seed: 4 });
  const five = gateVerdicts(base, pairedCandidate(base, 1.05, 0.01, 5), specs);
  assert.equal(five.results.filter((r) => r.metric === 'p50' && r.verdict === 'regression').length, 2);
  assert.equal(gateExitCode(five), 1);
  const one = gateVerdicts(base, pairedCandidate(base, 1.01, 0.01, 5), specs);
  assert.equal(one.results.filter((r) => r.verdict === 'regression').length, 0);
});

test('throughput falling is a regression (higher is better), rising an improvement', () => {
  const base = syntheticResult({ transports: ['pipe'], sizes: [64], repetitions: 10, noise: 0.02, seed: 6 });
  const faster = gateVerdicts(base, pairedCandidate(base, 0.9, 0.005, 7), specs, { metrics: ['throughput', 'p50'] });
  assert.ok(
    faster.results.every((r) => r.verdict === 'improvement'),
    JSON.stringify(faster.results.map((r) => r.verdict)),
  );
  assert.equal(faster.regressions, 0);
});

test('too few pairs can never fail the gate, and the reason is given', () => {
  const base = syntheticResult({ transports: ['pipe'], sizes: [64], repetitions: 4, noise: 0.02, seed: 8 });
  const g = gateVerdicts(base, pairedCandidate(base, 1.5, 0.001, 1), specs);
  assert.equal(g.regressions, 0);
  assert.ok(g.warnings.some((w) => /too few pairs/.test(w)));
});

test('a case that errors for the candidate only is broken and fails; markdown names it', () => {
  const base = syntheticResult({ transports: ['pipe'], sizes: [64, 4096], repetitions: 8, seed: 2 });
  const cand = pairedCandidate(base, 1, 0.01, 3);
  cand.cases[1]!.state = 'errored';
  cand.cases[1]!.reason = 'repetition 1: peer crashed';
  const g = gateVerdicts(base, cand, specs);
  assert.equal(g.broken.length, 1);
  assert.equal(gateExitCode(g), 1);
  const md = formatGate(g, 'md');
  assert.match(md, /FAIL: 1 regression/);
  assert.match(md, /peer crashed/);
  assert.doesNotThrow(() => JSON.parse(formatGate(g, 'json')));
});

test('Holm over the gate: identical code with pair noise far above the threshold fails at most alpha of the gates', () => {
  let failed = 0;
  const gates = 60;
  for (let seed = 1; seed <= gates; seed++) {
    const base = syntheticResult({ transports: ['pipe', 'unix-stream'], sizes: [64, 4096], repetitions: 20, noise: 0.05, seed });
    if (gateVerdicts(base, pairedCandidate(base, 1, 0.15, 1000 + seed), specs).regressions > 0) failed++;
  }
  // 16 tests per gate (4 cases x 4 metrics), each against the 2% threshold, Holm-adjusted over the gate
  assert.ok(failed <= 3, `${failed} of ${gates} A/A gates failed`);
});

test('a case is decided (no more pairs) when every metric is within the threshold; a regression keeps it open', () => {
  const base = syntheticResult({ transports: ['pipe'], sizes: [64], repetitions: 10, noise: 0.05, seed: 11 });
  const same = gateCaseMetrics(base.cases[0]!, pairedCandidate(base, 1, 0.002, 12).cases[0]!, 'x', 'x', DEFAULT_GATE_OPTIONS);
  assert.ok(caseDecided(same), JSON.stringify(same.map((r) => r.decision)));
  const slower = gateCaseMetrics(base.cases[0]!, pairedCandidate(base, 1.1, 0.002, 12).cases[0]!, 'x', 'x', DEFAULT_GATE_OPTIONS);
  assert.ok(slower.some((r) => r.decision === 'regression'));
  assert.equal(caseDecided(slower), false);
  const noisy = gateCaseMetrics(base.cases[0]!, pairedCandidate(base, 1, 0.2, 12).cases[0]!, 'x', 'x', DEFAULT_GATE_OPTIONS);
  assert.equal(caseDecided(noisy), false);
});
