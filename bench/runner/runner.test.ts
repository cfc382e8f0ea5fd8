// SPDX-License-Identifier: MIT
// The runner with the scripted executor: interleaving, early stop, one broken case not stopping the others,
// --fail-fast, skip states, and the stored summary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, parseRunOptions, type RawRunFlags } from '../options.js';
import { fakeDocument } from './document.fake.js';
import { TRANSPORT_NAMES } from '../../transports/index.js';
import { FakeExecutor, type RunScript } from './executor.fake.js';
import { Runner } from './runner.js';

async function run(flags: Partial<RawRunFlags>, exec: FakeExecutor, unavailable: string[] = []) {
  const opts = parseRunOptions(
    { ...DEFAULTS, workloads: 'rpc', sizes: '64', placement: 'same-core', budget: '0', ...flags },
    TRANSPORT_NAMES,
    TRANSPORT_NAMES,
    32,
  );
  const d = fakeDocument(opts.transports, unavailable);
  const progress: [number, number][] = [];
  await new Runner(opts, d, new AbortController().signal, { executor: exec, cpus: 2, onProgress: (done, total) => progress.push([done, total]) }).run();
  return { d, progress };
}

test('repetitions are interleaved across the transports of a group, each in fresh peers', async () => {
  const exec = new FakeExecutor();
  const { d } = await run({ transports: 'pipe,shm', repetitions: '3', minRepetitions: '3', ciTarget: '0' }, exec);
  const prepares = exec.log.filter((l) => l.startsWith('prepare'));
  assert.deepEqual(prepares, [
    'prepare fdstream/pipe 64',
    'prepare shm/shm 64',
    'prepare fdstream/pipe 64',
    'prepare shm/shm 64',
    'prepare fdstream/pipe 64',
    'prepare shm/shm 64',
  ]);
  assert.equal(exec.peers.length, 6);
  assert.deepEqual(
    d.cases.map((c) => [c.key.transport, c.state, c.repetitions.length]),
    [
      ['pipe', 'ok', 3],
      ['shm', 'ok', 3],
    ],
  );
});

test('identical repetitions stop early at 5 (the fewest that make a 95% interval); progress ends at its total', async () => {
  const { d, progress } = await run({ transports: 'pipe', repetitions: '10', minRepetitions: '3', ciTarget: '2' }, new FakeExecutor());
  assert.equal(d.cases[0]!.repetitions.length, 5);
  assert.deepEqual(progress.at(-1), [5, 5]);
});

test('the stored summary is keyed by the metric table, in its units', async () => {
  const { d } = await run({ transports: 'pipe', repetitions: '2', minRepetitions: '2' }, new FakeExecutor());
  const s = d.cases[0]!.summary!;
  assert.equal(s.p50!.median, 1, 'p50 of 1000 ns is 1 µs');
  assert.equal(s.throughput!.median, 1000 / 0.01);
  assert.ok(s.cpuPerOp);
  assert.equal(s.opsPerSec, undefined);
});

test('one errored case does not stop the others; --fail-fast stops after its group', async () => {
  const failPipe = (channel: string): RunScript =>
    channel === 'fdstream/pipe' ? { outcome: 'fail', reason: 'integrity check failed on reply 3: bad checksum' } : {};
  const exec = new FakeExecutor(undefined, failPipe);
  const { d } = await run({ transports: 'pipe,shm', sizes: '64,128', repetitions: '2', minRepetitions: '2', ciTarget: '0' }, exec);
  assert.deepEqual(
    d.cases.map((c) => `${c.key.transport} ${c.key.size} ${c.state}`),
    ['pipe 64 errored', 'shm 64 ok', 'pipe 128 errored', 'shm 128 ok'],
  );
  assert.match(d.cases[0]!.reason!, /^repetition 1: integrity check failed on reply 3/);
  const ff = await run(
    { transports: 'pipe,shm', sizes: '64,128', repetitions: '2', minRepetitions: '2', ciTarget: '0', failFast: true },
    new FakeExecutor(undefined, failPipe),
  );
  assert.equal(ff.d.cases.length, 2, 'the second group never ran');
});

test('unavailable transports and impossible cases are recorded with their reason, never run', async () => {
  const exec = new FakeExecutor();
  const { d } = await run(
    { transports: 'pipe,shm', workloads: 'broadcast', subscribers: '2', uninterested: '2', repetitions: '1', minRepetitions: '1' },
    exec,
    ['shm'],
  );
  assert.deepEqual(
    d.cases.map((c) => [c.key.transport, c.state]),
    [
      ['pipe', 'skipped'],
      ['shm', 'unavailable'],
    ],
  );
  assert.match(d.cases[0]!.reason!, /leaves no interested subscriber/);
  assert.equal(d.cases[1]!.reason, 'not here');
  assert.equal(exec.log.length, 0);
});
