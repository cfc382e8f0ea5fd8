// SPDX-License-Identifier: MIT
// What we configure the buses with: a dbus-daemon config that is private (no includes, no service directories, one
// unix socket) with the limits raised, and a dbus-broker version check that refuses layouts we do not know.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BROKER_VERSIONS, dbusBroker, startBroker } from './dbus-broker.js';
import { DBUS_MESSAGE_MAX, launcherPath, queueBytes } from './dbus-bus.js';
import { daemonConfig } from './dbus-daemon.js';
import { nativeHas, tempContext } from './dbus-testkit.js';

test('the generated dbus-daemon config listens only on our socket, includes nothing of the machine, raises the limits', () => {
  const conf = daemonConfig('/tmp/x/bus');
  assert.match(conf, /<listen>unix:path=\/tmp\/x\/bus<\/listen>/);
  assert.equal(conf.match(/<listen>/g)!.length, 1);
  assert.doesNotMatch(conf, /tcp:|<include|<includedir|servicedir|<user>/);
  assert.match(conf, new RegExp(`<limit name="max_message_size">${DBUS_MESSAGE_MAX}</limit>`));
  assert.match(conf, new RegExp(`<limit name="max_outgoing_bytes">${queueBytes({})}</limit>`));
  assert.match(conf, /<limit name="max_replies_per_connection">50000<\/limit>/);
  assert.match(daemonConfig('/tmp/a&b/bus'), /unix:path=\/tmp\/a&amp;b\/bus/);
  assert.equal(queueBytes({ IPCBENCH_DBUS_QUEUE_BYTES: '1048576' }), 1048576);
  assert.equal(queueBytes({ IPCBENCH_DBUS_QUEUE_BYTES: 'junk' }), 1024 * 1024 * 1024);
});

test('an unknown dbus-broker version is refused with a clear message (probe, setup and the launcher itself)', async () => {
  const ctx = await tempContext('broker-version');
  const fake = join(ctx.dir, 'dbus-broker');
  const old = process.env.IPCBENCH_DBUS_BROKER;
  try {
    await writeFile(fake, '#!/bin/sh\necho "dbus-broker 31"\n');
    await chmod(fake, 0o700);
    process.env.IPCBENCH_DBUS_BROKER = fake;
    const p = await dbusBroker.probe();
    if (nativeHas('dbus-sdbus')) {
      assert.equal(p.available, false);
      assert.match(p.reason!, new RegExp(`dbus-broker 31 is not supported.*${BROKER_VERSIONS.min} to ${BROKER_VERSIONS.max}`));
      await assert.rejects(startBroker(ctx), /dbus-broker 31 is not supported/);
      const stderr = await new Promise<string>((resolve) =>
        execFile(launcherPath(), ['broker', '--socket', join(ctx.dir, 'bus'), '--version', '31'], (_e, _o, err) => resolve(String(err))),
      );
      assert.match(stderr, /dbus-broker version 31 is not supported/);
    }
  } finally {
    if (old === undefined) delete process.env.IPCBENCH_DBUS_BROKER;
    else process.env.IPCBENCH_DBUS_BROKER = old;
    await rm(ctx.dir, { recursive: true, force: true });
  }
});
