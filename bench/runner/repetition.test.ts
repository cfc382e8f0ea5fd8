// SPDX-License-Identifier: MIT
// Peer supervision through the repetition lifecycle, with the scripted executor: what is reported, and that every
// peer is reaped and every channel released whatever happens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaseKey } from '../result.js';
import { DRIVERS } from '../workloads/index.js';
import { fakeRpcKey } from './document.fake.js';
import { FakeExecutor, type PeerScript, type RunScript } from './executor.fake.js';
import { runRepetition, type RepetitionContext } from './repetition.js';
import type { Transport } from '../../transports/types.js';

const transport: Transport = { name: 'toy', native: 'toy', description: 'toy', workloads: ['rpc', 'broadcast'], probe: async () => ({ available: true }) };
const rpcKey: CaseKey = fakeRpcKey({ concurrency: 2 });
const bcastKey: CaseKey = { ...rpcKey, workload: 'broadcast', concurrency: 1, subscribers: 3 };

// The scripted peers answer within a few event-loop turns, but the lifecycle's limits are real timers: a loaded
// machine can stall this process for longer than a short limit, which then fires first. So the limits are far out
// of reach by default, and a test that exercises one sets only that one short (its event never comes, so the
// outcome does not depend on timing).
const NO_LIMIT_MS = 60_000;

function setup(
  key: CaseKey,
  peer: (n: number) => PeerScript = () => ({}),
  run: RunScript = {},
  limits: Partial<RepetitionContext['timing']> = {},
  more: Partial<RepetitionContext> = {},
) {
  const exec = new FakeExecutor(
    (_, n) => peer(n),
    () => run,
  );
  const ctx: RepetitionContext = {
    exec,
    key,
    transport,
    env: {},
    index: 0,
    timing: { warmupMs: 1, durationMs: 1, timeoutMs: NO_LIMIT_MS, readyTimeoutMs: NO_LIMIT_MS, exitGraceMs: NO_LIMIT_MS, ...limits },
    seed: 1,
    cpus: 2,
    ...more,
  };
  return { exec, go: () => runRepetition(ctx, DRIVERS[key.workload]) };
}

function assertCleanedUp(exec: FakeExecutor): void {
  assert.deepEqual(exec.liveHandles, [], 'every channel released');
  assert.ok(
    exec.peers.every((p) => p.finished),
    'every peer reaped',
  );
}

test('a good RPC repetition: one channel and server per pair, fds closed before the run, a record', async () => {
  const { exec, go } = setup(rpcKey);
  const out = await go();
  assert.ok(out.ok, JSON.stringify(out));
  assert.equal(out.rep.ops, 1000);
  assert.deepEqual(
    out.rep.cpu.map((c) => c.role),
    ['client', 'client', 'server', 'server'],
  );
  assert.deepEqual(exec.log.slice(0, 5), ['prepare toy 64', 'prepare toy 64', 'closePeerFds 1', 'closePeerFds 2', 'runRpc 1,2']);
  assert.ok(
    exec.peers.every((p) => !p.killed),
    'peers exit by themselves after the goodbye',
  );
  assertCleanedUp(exec);
});

test('a repetition records the speed probe of its first CPU and, given the origin of the run, when it started', async () => {
  const origin = performance.now();
  const { exec, go } = setup(rpcKey, undefined, undefined, undefined, { originMs: origin });
  const out = await go();
  assert.ok(out.ok);
  assert.equal(out.rep.probeNs, 100_000);
  assert.ok(out.rep.startMs !== undefined && out.rep.startMs >= 0 && out.rep.startMs <= performance.now() - origin);
  const unpinned = setup({ ...bcastKey, placement: 'unpinned' });
  const b = await unpinned.go();
  assert.ok(b.ok);
  assert.equal(b.rep.startMs, undefined, 'no origin, no start time');
  assert.deepEqual([...exec.probedCpus, ...unpinned.exec.probedCpus], [0, -1], 'same-core: the client CPU; unpinned: wherever it runs');
});

test('a good broadcast repetition: one channel, N subscribers, the lossless check passes', async () => {
  const { exec, go } = setup(bcastKey);
  const out = await go();
  assert.ok(out.ok, JSON.stringify(out));
  assert.equal(exec.peers.length, 3);
  assert.deepEqual(out.rep.delivery, { expected: 300, delivered: 300, lost: 0, duplicated: 0, corrupted: 0, late: 0, refused: 0 });
  assertCleanedUp(exec);
});

test('a peer that dies before READY fails the repetition with its reason', async () => {
  const { exec, go } = setup(rpcKey, (n) => (n === 1 ? { ready: 'die', stderr: 'ipcbench-peer: attach: no such device' } : {}));
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /server peer exited with status 1 before it was ready: ipcbench-peer: attach: no such device/);
  assert.ok(!exec.log.some((l) => l.startsWith('runRpc')), 'the timed loop never started');
  assertCleanedUp(exec);
});

test('peers that never say READY are bounded by the ready timeout', async () => {
  const { exec, go } = setup(rpcKey, () => ({ ready: 'never' }), {}, { readyTimeoutMs: 50 });
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /did not become ready within 50 ms/);
  assertCleanedUp(exec);
});

test('a peer that dies mid-run aborts the native waits and is named in the reason', async () => {
  const { exec, go } = setup(bcastKey, (n) => (n === 2 ? { dieDuringRun: 3, stderr: 'ipcbench-peer: injected exit at message 15' } : {}));
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /aborted by the harness; subscriber peer exited with status 3: ipcbench-peer: injected exit at message 15/);
  assert.ok(exec.log.includes('abort 1'));
  assertCleanedUp(exec);
});

test('when the native side sees the death first (EOF), the reason still tells how the peer died', async () => {
  const { exec, go } = setup(rpcKey, (n) => (n === 0 ? { dieDuringRun: 3, stderr: 'ipcbench-peer: injected exit' } : {}), { failsOnPeerDeath: true });
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /peer closed the connection; server peer exited with status 3: ipcbench-peer: injected exit/);
  assertCleanedUp(exec);
});

test('the reason tells how the peer died even when its death reaches the harness late (loaded machine)', async () => {
  const { exec, go } = setup(rpcKey, (n) => (n === 0 ? { dieDuringRun: 3, deathSeenAfterMs: 2500, stderr: 'ipcbench-peer: injected exit' } : {}), {
    failsOnPeerDeath: true,
  });
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /peer closed the connection; server peer exited with status 3: ipcbench-peer: injected exit/);
  assert.ok(exec.peers[1]!.killed, 'the live peer was killed, and is not the story');
  assertCleanedUp(exec);
});

test('a hang is bounded by the timeout: peers killed, the peer stderr quoted, for every workload', async () => {
  for (const key of [rpcKey, bcastKey]) {
    const { exec, go } = setup(key, () => ({ stderr: 'ipcbench-peer: injected hang at message 10' }), { outcome: 'hang' }, { timeoutMs: 50 });
    const out = await go();
    assert.ok(!out.ok);
    assert.match(out.reason, /timed out after 50 ms past the planned duration; peers killed \(peer said: ipcbench-peer: injected hang at message 10\)/);
    assert.ok(exec.peers.every((p) => p.killed));
    assertCleanedUp(exec);
  }
});

test('an error record from the native loop is the reason (integrity check)', async () => {
  const { exec, go } = setup(rpcKey, () => ({}), { outcome: 'fail' });
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /integrity check failed on reply 7/);
  assertCleanedUp(exec);
});

test('a peer that does not exit after the goodbye is killed and reported', async () => {
  const { exec, go } = setup(rpcKey, (n) => (n === 0 ? { hangAfterBye: true } : {}), {}, { exitGraceMs: 50 });
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /did not exit within 50 ms of the goodbye/);
  assertCleanedUp(exec);
});

test('a peer that exits non-zero after the goodbye, or sends no report, fails the repetition', async () => {
  const a = setup(rpcKey, (n) => (n === 1 ? { exitCode: 4, stderr: 'oops' } : {}));
  const outA = await a.go();
  assert.ok(!outA.ok && /server peer exited with status 4: oops/.test(outA.reason));
  const b = setup(rpcKey, (n) => (n === 1 ? { noReport: true } : {}));
  const outB = await b.go();
  assert.ok(!outB.ok && /server peer sent no report/.test(outB.reason));
  assertCleanedUp(a.exec);
  assertCleanedUp(b.exec);
});

test('a subscriber that lost a message fails the lossless check', async () => {
  const { exec, go } = setup(bcastKey, (n) => (n === 1 ? { report: { ops: 99, lost: 1 } } : {}));
  const out = await go();
  assert.ok(!out.ok);
  assert.match(out.reason, /lossless check failed: expected 300 deliveries, got 299 \(lost 1, duplicated 0\)/);
  assertCleanedUp(exec);
});
