// SPDX-License-Identifier: MIT
// The D-Bus failure modes the issue lists, each a clear per-case outcome that never hangs and never leaks a
// process: daemon binary missing, daemon dying during a run, a payload over the bus limit, a peer killed mid-call.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import type { RpcRecord } from '../common/addon.js';
import { REPO_ROOT } from '../bench/native.js';
import { DEFAULTS, parseRunOptions } from '../bench/options.js';
import { fakeDocument } from '../bench/runner/document.fake.js';
import { NativeExecutor, type RpcRunOptions } from '../bench/runner/executor.js';
import { Runner } from '../bench/runner/runner.js';
import { TRANSPORT_NAMES } from './index.js';
import { dbusBroker, dbusBrokerMemfd, startBroker, stopBroker } from './dbus-broker.js';
import { busState, checkBus, locateDaemon } from './dbus-bus.js';
import { dbusDaemon, dbusDaemonMemfd, startDaemon, stopDaemon } from './dbus-daemon.js';
import { dbusP2p } from './dbus-p2p.js';
import { alive, nativeHas, processesMentioning, runRpcOnce, tempContext, waitFor } from './dbus-testkit.js';

const MiB = 1024 * 1024;
const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const haveDaemon = !('reason' in locateDaemon('dbus-daemon'));
const haveBroker = !('reason' in locateDaemon('dbus-broker'));
const haveSdbus = nativeHas('dbus-sdbus');

function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env[name];
  process.env[name] = value;
  return fn().finally(() => {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  });
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, maxBuffer: 64 * MiB, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

test('daemon binary missing: probe says which and how to install, setup fails with the same reason', async () => {
  for (const [variable, t, start, hint] of [
    ['IPCBENCH_DBUS_DAEMON', dbusDaemon, startDaemon, /apt-get install dbus\b/],
    ['IPCBENCH_DBUS_BROKER', dbusBroker, startBroker, /apt-get install dbus-broker/],
  ] as const) {
    await withEnv(variable, '/nonexistent/bin/daemon', async () => {
      const p = await t.probe();
      assert.equal(p.available, false);
      assert.match(p.reason!, /not found at \/nonexistent\/bin\/daemon/);
      assert.match(p.reason!, hint);
      const ctx = await tempContext('missing');
      try {
        await assert.rejects(start(ctx), hint);
      } finally {
        await rm(ctx.dir, { recursive: true, force: true });
      }
    });
  }
  assert.match(
    (locateDaemon('dbus-broker', { PATH: '/nonexistent' }, []) as { reason: string }).reason,
    /^dbus-broker not installed \(apt-get install dbus-broker\)$/,
  );
});

test('payload over the bus limit: skipped with the reason, memfd unaffected', () => {
  const c = (size: number) => ({ workload: 'rpc' as const, size, subscribers: 0, concurrency: 1 });
  for (const t of [dbusDaemon, dbusBroker, dbusP2p]) {
    assert.equal(t.skipReason!(c(64 * MiB), {}), undefined, `${t.name} 64 MiB fits`);
    assert.match(t.skipReason!(c(128 * MiB), {})!, new RegExp(`message of 128 MiB exceeds ${t.name}'s limit`));
  }
  assert.equal(dbusDaemonMemfd.skipReason!(c(256 * MiB), {}), undefined);
  assert.equal(dbusBrokerMemfd.skipReason!(c(256 * MiB), {}), undefined);
});

test(
  'payload over the bus limit through the runner: the case is skipped, not crashed, and no bus is started',
  { skip: !haveDaemon && 'dbus-daemon not installed' },
  async () => {
    const tmp = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-limit-'));
    try {
      const r = await cli(['run', '-t', 'dbus-daemon', '-w', 'rpc', '-s', '128M', '-p', 'unpinned', '-r', '1', '--json', '--no-progress', '-o', tmp], {
        ...process.env,
        TMPDIR: tmp,
      });
      const doc = JSON.parse(r.stdout) as { cases: { state: string; reason?: string }[] };
      assert.equal(doc.cases.length, 1);
      assert.equal(doc.cases[0]!.state, 'skipped', r.stderr);
      assert.match(doc.cases[0]!.reason!, /128 MiB exceeds dbus-daemon's limit/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
);

for (const bus of [
  { name: 'dbus-daemon', start: startDaemon, stop: stopDaemon, have: haveDaemon },
  { name: 'dbus-broker', start: startBroker, stop: stopBroker, have: haveBroker },
]) {
  test(
    `${bus.name} exits during a run: the call fails with a reason, the peer exits, check() reports it`,
    { skip: (!bus.have || !haveSdbus) && 'not installed / not built' },
    async () => {
      const ctx = await tempContext(`${bus.name}-dies`);
      const env = await bus.start(ctx);
      try {
        const started = Date.now();
        const { outcome, peerExit } = await runRpcOnce('dbus-sdbus', env.address, {
          size: 64,
          durationMs: 10_000,
          during: async () => {
            await new Promise((r) => setTimeout(r, 200));
            process.kill(env.daemonPids![0]!, 'SIGKILL');
          },
        });
        assert.ok(!outcome.ok, 'the repetition failed');
        assert.match(outcome.reason, /^call: /);
        assert.ok(Date.now() - started < 5_000, 'no hang until the planned end');
        assert.notEqual(await peerExit, 0, 'the peer saw its connection go');
        await busState(env)!.done;
        assert.match(checkBus(env)!, new RegExp(`${bus.name}.*(killed|exited)`));
      } finally {
        await bus.stop(env);
        await rm(ctx.dir, { recursive: true, force: true });
      }
      assert.ok(!alive(env.daemonPids![0]!));
    },
  );
}

test(
  'a peer killed mid-call: per-case errors, the other transport still runs, daemons and peers reaped',
  { skip: (!haveDaemon || !haveBroker || !haveSdbus) && 'not installed / not built' },
  async () => {
    const tmp = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-crash-'));
    try {
      const r = await cli(
        [
          'run',
          '-t',
          'dbus-daemon,dbus-broker',
          '-w',
          'rpc',
          '-s',
          '64',
          '-p',
          'unpinned',
          '-r',
          '2',
          // until a fixed operation count, not for a short time: a loaded machine must still reach message 50
          '-d',
          '60000',
          '--max-ops',
          '60',
          '--warmup',
          '10',
          '--timeout',
          '5000',
          '--fault',
          'crash@50',
          '--json',
          '--no-progress',
          '-o',
          tmp,
        ],
        { ...process.env, TMPDIR: tmp },
      );
      const doc = JSON.parse(r.stdout) as { cases: { key: { transport: string }; state: string; reason?: string }[] };
      assert.deepEqual(doc.cases.map((c) => c.key.transport).sort(), ['dbus-broker', 'dbus-daemon']);
      for (const c of doc.cases) {
        assert.equal(c.state, 'errored', `${c.key.transport}: ${c.reason}`);
        assert.match(c.reason!, /peer|call/, c.reason);
      }
      // every bus and peer lived under TMPDIR (the runner's mkdtemp): none may remain
      assert.ok(await waitFor(() => true, 100));
      assert.deepEqual(await processesMentioning(tmp), []);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
);

// Under an open-loop flood with 1 MiB quotas, which outcome a bus reaches depends on scheduling: dbus-broker
// disconnects the publisher once its quota is exceeded (usual when the machine is busy, the subscribers fall
// behind), or the subscribers keep up and every signal arrives (usual on a quiet machine); dbus-daemon throttles
// the publisher, and may reject a signal to a subscriber whose queue is full. So this asserts what holds in every
// outcome: each case ends ok or errored (never hangs); ok means every expected delivery arrived intact or was
// counted lost, nothing duplicated or corrupted; errored carries the reason the bus gave; no bus or peer remains.
test(
  'flood with small bus quotas: each bus ends in a clear state (ok and every message accounted for, or errored with the reason), no hang, no leak',
  { skip: (!haveDaemon || !haveBroker || !haveSdbus) && 'not installed / not built' },
  async () => {
    const tmp = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-flood-'));
    try {
      const r = await cli(
        [
          'run',
          '-t',
          'dbus-daemon,dbus-broker',
          '-w',
          'broadcast',
          '--broadcast-sizes',
          '64K',
          '--subscribers',
          '3',
          '--uninterested',
          '1',
          '--mode',
          'open',
          '--rate',
          '20000',
          '-p',
          'unpinned',
          '-r',
          '1',
          '-d',
          '300',
          '--timeout',
          '15000',
          '--json',
          '--no-progress',
          '-o',
          tmp,
        ],
        { ...process.env, TMPDIR: tmp, IPCBENCH_DBUS_QUEUE_BYTES: String(MiB) },
      );
      type Delivery = { expected: number; delivered: number; lost: number; duplicated: number; corrupted: number };
      const doc = JSON.parse(r.stdout) as { cases: { key: { transport: string }; state: string; reason?: string; repetitions: { delivery?: Delivery }[] }[] };
      assert.deepEqual(doc.cases.map((c) => c.key.transport).sort(), ['dbus-broker', 'dbus-daemon']);
      for (const c of doc.cases) {
        const name = c.key.transport;
        if (c.state === 'ok') {
          assert.equal(c.repetitions.length, 1, `${name}: one repetition`);
          const d = c.repetitions[0]!.delivery!;
          assert.ok(d.expected > 0, `${name}: something was published`);
          assert.equal(d.corrupted, 0, `${name}: nothing corrupted`);
          assert.equal(d.duplicated, 0, `${name}: nothing duplicated`);
          assert.ok(d.delivered <= d.expected, `${name}: ${d.delivered} delivered of ${d.expected}`);
          assert.ok(d.delivered + d.lost >= d.expected, `${name}: every expected delivery arrived or was counted lost (${JSON.stringify(d)})`);
        } else {
          assert.equal(c.state, 'errored', `${name}: ${c.state} ${c.reason}`);
          assert.match(c.reason!, /^repetition 1: .*(Connection reset by peer|timed out after 15000 ms)/, `${name}: ${c.reason}`);
        }
      }
      assert.equal(r.code, doc.cases.some((c) => c.state === 'errored') ? 1 : 0, r.stderr);
      assert.deepEqual(await processesMentioning(tmp), []);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
);

// A bus daemon that stops answering mid-case (SIGSTOP): the repetition times out, the case is errored with the
// reason (which names the stopped daemon), the daemon is killed (a timed-out repetition's environment is torn
// down), and the next case gets a fresh bus that works.
for (const bus of [
  { name: 'dbus-daemon', have: haveDaemon },
  { name: 'dbus-broker', have: haveBroker },
]) {
  test(
    `${bus.name} stopped (SIGSTOP) mid-case: the case times out errored with the reason, the daemon is killed, the next case gets a fresh bus`,
    { skip: (!bus.have || !haveSdbus) && 'not installed / not built' },
    async () => {
      const tmp = await mkdtemp(join(os.tmpdir(), 'ipcbench-test-sigstop-'));
      const oldTmp = process.env.TMPDIR;
      process.env.TMPDIR = tmp; // the pool's mkdtemp: every bus of this run lives under tmp
      const stopped: number[] = [];
      class StopsTheBus extends NativeExecutor {
        override runRpc(handles: number[], o: RpcRunOptions): Promise<RpcRecord> {
          const run = super.runRpc(handles, o);
          if (stopped.length === 0) {
            // the first case's timed loop is running (every peer said READY): freeze its bus
            const daemons = busPids(tmp);
            assert.equal(daemons.length, 1, `one ${bus.name} under ${tmp}`);
            stopped.push(daemons[0]!);
            process.kill(daemons[0]!, 'SIGSTOP');
          }
          return run;
        }
      }
      try {
        const opts = parseRunOptions(
          {
            ...DEFAULTS,
            transports: bus.name,
            workloads: 'rpc',
            sizes: '64,128',
            placement: 'unpinned',
            repetitions: '1',
            minRepetitions: '1',
            budget: '0',
            duration: '200',
            warmup: '10',
            timeout: '1500',
          },
          TRANSPORT_NAMES,
          TRANSPORT_NAMES,
          32,
        );
        const doc = fakeDocument([bus.name]);
        await new Runner(opts, doc, new AbortController().signal, { executor: new StopsTheBus() }).run();
        assert.equal(stopped.length, 1);
        const [first, second] = doc.cases;
        assert.equal(first!.state, 'errored', JSON.stringify(first));
        assert.match(first!.reason!, /^repetition 1: timed out after 1500 ms past the planned duration/);
        assert.match(first!.reason!, new RegExp(`${bus.name} \\(pid ${stopped[0]}\\) is stopped`));
        assert.ok(await waitFor(() => !alive(stopped[0]!), 5_000), 'the stopped daemon was killed');
        assert.equal(second!.state, 'ok', `the next case ran on a fresh bus: ${second!.reason}`);
        assert.equal(second!.repetitions.length, 1);
        assert.deepEqual(await processesMentioning(tmp), [], 'no bus or peer remains');
      } finally {
        for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGKILL');
        if (oldTmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = oldTmp;
        await rm(tmp, { recursive: true, force: true });
      }
    },
  );
}

/** The bus daemons (not their launcher) started for dir: their launcher's command line mentions it. */
function busPids(dir: string): number[] {
  const out: number[] = [];
  const argv = (pid: string) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!/^dbus-(daemon|broker)$/.test(basename(argv(e)[0] ?? ''))) continue;
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (ppid && argv(ppid).some((a) => a.includes(dir))) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
