// SPDX-License-Identifier: MIT
// A private bus per run: created in the run's 0700 directory with an owner-only socket, usable by our clients, and
// gone without a trace (no process, no socket) after teardown. For both daemons, and for the sd-bus and libdbus
// clients; dbus-p2p needs no bus at all.
import assert from 'node:assert/strict';
import { stat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBroker, stopBroker } from './dbus-broker.js';
import { busState, checkBus, locateDaemon, startBusProcess } from './dbus-bus.js';
import { startDaemon, stopDaemon } from './dbus-daemon.js';
import { alive, nativeHas, runRpcOnce, tempContext, waitFor } from './dbus-testkit.js';
import type { SetupContext, TransportEnv } from './types.js';

const buses = [
  { name: 'dbus-daemon', start: startDaemon, stop: stopDaemon },
  { name: 'dbus-broker', start: startBroker, stop: stopBroker },
] as const;

for (const bus of buses) {
  const missing = 'reason' in locateDaemon(bus.name) ? `${bus.name} not installed` : !nativeHas('dbus-sdbus') ? 'built without sd-bus' : false;

  test(`${bus.name}: setup gives an owner-only socket in the 0700 dir, clients work, teardown leaves nothing`, { skip: missing }, async () => {
    const ctx = await tempContext(bus.name);
    let env: TransportEnv | undefined;
    try {
      assert.equal((await stat(ctx.dir)).mode & 0o777, 0o700);
      env = await bus.start(ctx);
      const state = busState(env)!;
      assert.match(env.version ?? '', new RegExp(`^${bus.name} \\d`));
      assert.ok(env.address?.startsWith(`unix:path=${ctx.dir}/`), env.address);
      const st = await stat(state.socketPath);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(st.uid, process.getuid!());
      assert.equal((await stat(ctx.dir)).mode & 0o777, 0o700);
      const pids = [state.child.pid!, ...env.daemonPids!];
      assert.equal(env.daemonPids!.length, 1);
      for (const pid of pids) assert.ok(alive(pid), `pid ${pid} should run`);

      for (const client of ['dbus-sdbus', 'dbus-sdbus-memfd', ...(nativeHas('dbus-libdbus') ? ['dbus-libdbus'] : [])]) {
        const { outcome, peerExit } = await runRpcOnce(client, env.address, { size: 4096, durationMs: 50 });
        assert.ok(outcome.ok, `${client}: ${outcome.ok ? '' : outcome.reason}`);
        assert.ok(outcome.rep.ops > 0);
        assert.equal(await peerExit, 0);
      }

      await bus.stop(env);
      env = undefined;
      assert.ok(await waitFor(() => pids.every((p) => !alive(p)), 3_000), 'bus processes reaped');
      await assert.rejects(stat(state.socketPath), { code: 'ENOENT' });
    } finally {
      if (env) await bus.stop(env);
      await rm(ctx.dir, { recursive: true, force: true });
    }
  });

  test(`${bus.name}: teardown is idempotent and also works when the bus already died`, { skip: missing }, async () => {
    const ctx: SetupContext = await tempContext(`${bus.name}-dead`);
    const env = await bus.start(ctx);
    try {
      process.kill(env.daemonPids![0]!, 'SIGKILL');
      await busState(env)!.done;
      await bus.stop(env);
      await bus.stop(env);
      assert.ok(!alive(env.daemonPids![0]!));
      assert.ok(!alive(busState(env)!.child.pid!));
    } finally {
      await rm(ctx.dir, { recursive: true, force: true });
    }
  });

  test(`${bus.name}: check() calls a bus broken as soon as its daemon is gone, before the launcher's exit is seen`, { skip: missing }, async () => {
    const ctx: SetupContext = await tempContext(`${bus.name}-gone`);
    const env = await bus.start(ctx);
    try {
      assert.equal(checkBus(env), undefined, 'a live bus is healthy');
      const pid = env.daemonPids![0]!;
      process.kill(pid, 'SIGKILL');
      // wait without yielding to the event loop: no 'exit' event of the launcher can be delivered meanwhile, so
      // check() sees what a runner sees when it checks between the daemon's death and that event
      const end = Date.now() + 10_000;
      while (alive(pid) && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      assert.ok(!alive(pid), 'the daemon died');
      assert.equal(busState(env)!.exited, undefined, 'the launcher exit was not seen yet');
      assert.match(checkBus(env) ?? '', new RegExp(`^${bus.name} \\(pid ${pid}\\) exited`));
    } finally {
      await bus.stop(env);
      await rm(ctx.dir, { recursive: true, force: true });
    }
  });
}

test('dbus-p2p: the sd-bus client and server talk D-Bus over a socketpair, no daemon', { skip: !nativeHas('dbus-p2p') && 'built without sd-bus' }, async () => {
  const { outcome, peerExit } = await runRpcOnce('dbus-p2p', undefined, { size: 64, durationMs: 50 });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  assert.ok(outcome.rep.ops > 0);
  assert.equal(await peerExit, 0);
});

test('a bus process that exits: the reason carries its last stderr line, even one that arrives after the exit', async () => {
  const ctx = await tempContext('bus-verdict');
  try {
    // the process exits at once; a child it left holds stderr (and the address pipe) and writes the verdict later,
    // so the exit is seen before the words: the reason must still have them
    const script = '(sleep 0.3; echo "ipcbench-bus-launch: the daemon was killed by signal 9" >&2) & exit 1';
    await assert.rejects(startBusProcess(ctx, '/bin/sh', ['-c', script], 'fake-bus', 1, join(ctx.dir, 'bus')), {
      message: 'fake-bus exited (code 1): ipcbench-bus-launch: the daemon was killed by signal 9',
    });
  } finally {
    await rm(ctx.dir, { recursive: true, force: true });
  }
});
