import assert from 'node:assert/strict';
import { test } from 'node:test';
import { syntheticResult, type SyntheticOptions } from './fixtures/synthetic.js';
import { computeFindings, findingsText, missedNote, ratioOfMedians, versus } from './findings.js';
import { buildModel, type LoadedRun } from './model.js';

const run = (o: SyntheticOptions, index = 0): LoadedRun => ({ file: `run${index}.json`, index, doc: syntheticResult(o) });
const host: SyntheticOptions = {
  transports: ['pipe', 'unix-stream', 'shm', 'dbus-p2p', 'dbus-daemon', 'dbus-broker'],
  sizes: [64, 1024, 65536],
  subscribers: [1, 4],
  repetitions: 6,
  histogramSamples: 20,
  noise: 0.01,
  unavailable: { kdbus: 'no kdbus at /dev/kdbus (module not loaded)' },
};
const lab: SyntheticOptions = {
  env: 'lab-tcg',
  transports: ['unix-stream', 'dbus-daemon', 'dbus-broker', 'binder', 'kdbus'],
  sizes: [64, 65536],
  repetitions: 6,
  histogramSamples: 20,
  noise: 0.01,
  seed: 5,
  factor: { kdbus: 0.5 },
};

test('the ratio of two medians has a bootstrap CI around it; the phrase says faster, slower or no clear difference', () => {
  const r = ratioOfMedians([10, 11, 10.5, 10.2, 10.8], [20, 21, 20.5, 19.8, 20.2]);
  assert.ok(r.low <= r.median && r.median <= r.high);
  assert.ok(r.high < 1);
  assert.match(versus(r), /^1\.9\d?× faster \(95% CI /);
  assert.match(versus({ median: 2, low: 1.8, high: 2.2, n: 5 }), /^2\.00× slower/);
  assert.match(versus({ median: 1.02, low: 0.9, high: 1.1, n: 5 }), /^no clear difference/);
});

test('every finding carries its number with a 95% CI and the environment it holds for', () => {
  const findings = computeFindings(buildModel([run(host), run(lab, 1)]));
  const asserted = findings.filter((f) => f.status !== 'missing');
  assert.ok(asserted.length >= 6, findings.map((f) => f.id).join(', '));
  for (const f of asserted) {
    assert.ok(f.number && Number.isFinite(f.number.value), f.id);
    assert.ok(f.number.low <= f.number.value && f.number.value <= f.number.high, f.id);
    assert.match(f.text, /95% CI \d/, f.id);
    assert.ok(f.env, f.id);
    assert.match(f.where, new RegExp(`^${f.env}`), f.id);
  }
});

test('kdbus is compared only with transports of its own kernel, and leads the list; the emulated lab says so', () => {
  const findings = computeFindings(buildModel([run(host), run(lab, 1)]));
  assert.equal(findings[0]!.id, 'kdbus/lab-tcg/64');
  const k = findings.filter((f) => f.id.startsWith('kdbus/'));
  assert.deepEqual(
    k.map((f) => f.id),
    ['kdbus/lab-tcg/64', 'kdbus/lab-tcg/65536'],
  );
  for (const f of k) {
    assert.equal(f.env, 'lab-tcg');
    assert.equal(f.status, 'emulated');
    assert.match(f.text, /dbus-daemon ×0\.\d+.*dbus-broker.*binder.*unix-stream/);
    assert.match(f.where, /emulated CPU/);
  }
  // Host findings stay host-only.
  const hop = findings.find((f) => f.id === 'daemon-hop/host')!;
  assert.equal(hop.status, 'established');
  assert.match(hop.text, /dbus-daemon \+[\d.]+ µs, ×[\d.]+ \(95% CI/);
});

test('a finding the data cannot support says so: kdbus missing, noisy repetitions, no filtering measured', () => {
  const findings = computeFindings(buildModel([run({ ...host, noise: 0.6, repetitions: 3 })]));
  const missing = findings.find((f) => f.id === 'kdbus/missing')!;
  assert.equal(missing.status, 'missing');
  assert.match(missing.text, /no kdbus at \/dev\/kdbus/);
  assert.ok(
    findings.some((f) => f.status === 'noisy'),
    'wide CIs make a finding "noisy"',
  );
  assert.match(findings.find((f) => f.id === 'filtering/missing')!.text, /--uninterested/);
  assert.match(findingsText(findings), /\[not established\]/);
});

test('a figure resting on a case that missed the precision target carries the mark, the finding lists the cases, and a footnote explains it', () => {
  // A target no case can meet, then one every case meets: the marks follow the cases' precision flags exactly.
  const strict = computeFindings(buildModel([run({ ...host, ciTarget: 0.001 }), run({ ...lab, ciTarget: 0.001 }, 1)]));
  const asserted = strict.filter((f) => f.status !== 'missing' && f.id !== 'cpu/host' && f.id !== 'cpu/lab-tcg');
  assert.ok(asserted.length >= 5);
  for (const f of asserted) {
    assert.ok(f.missed?.length, `${f.id} lists the cases that missed`);
    assert.equal(f.missedTarget, 0.001);
    assert.match(f.text, /\)\*/, `${f.id}: ${f.text}`);
  }
  assert.match(missedNote(strict)!, /^\* a case behind this figure missed the run's ±0\.1% precision target \(\d+ cases in these findings\)/);
  assert.match(findingsText(strict), /\n\* a case behind this figure missed/);

  const loose = computeFindings(buildModel([run({ ...host, ciTarget: 0.5 }), run({ ...lab, ciTarget: 0.5 }, 1)]));
  for (const f of loose) {
    assert.equal(f.missed, undefined, f.id);
    assert.doesNotMatch(f.text, /\*/, f.id);
  }
  assert.equal(missedNote(loose), undefined);
  // A run without precision flags (older results) marks nothing either.
  assert.ok(computeFindings(buildModel([run(host)])).every((f) => !f.missed && !/\*/.test(f.text)));
});

test('a finding reads right when the data is thin: one repetition says "no CI", a faster daemon path is "−", the null transport is left out', () => {
  const thin = computeFindings(buildModel([run({ ...host, transports: ['null', ...host.transports!], repetitions: 1, factor: { 'dbus-daemon': 0.01 } })]));
  const hop = thin.find((f) => f.id === 'daemon-hop/host')!;
  assert.match(hop.text, /dbus-daemon −[\d.]+ µs, ×[\d.]+ \(no CI: one repetition\)/);
  assert.doesNotMatch(hop.text, /\+-/);
  for (const f of thin) assert.doesNotMatch(f.text, /\bnull\b/, f.id);
});
