// SPDX-License-Identifier: MIT
// dbus-daemon (the reference implementation) on a private bus, one per run, in the run's 0700 directory.
//
// Transports (see docs/dbus.md):
//   dbus-daemon          sd-bus client, payload as `ay`           (native dbus-sdbus)
//   dbus-daemon-memfd    sd-bus client, payload as a sealed memfd (native dbus-sdbus-memfd)
//   dbus-daemon-libdbus  libdbus client, payload as `ay`          (native dbus-libdbus)
//
// The bus is session-like (any name may be owned, everything may be sent) with the limits raised so that the
// payload sweep works up to the D-Bus specification's own limits: the system-bus defaults would cap messages at
// 32 MiB and queue far less per connection. Nothing else of the machine's configuration is read (no includes, no
// service directories, no activation): the bus exists only for the benchmark.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DBUS_MESSAGE_MAX,
  launcherPath,
  lockDownSocket,
  output,
  queueBytes,
  startBusProcess,
  stopBusProcess,
  locateDaemon,
  busTransport,
  stopBus,
  type BusFlavour,
} from './dbus-bus.js';
import type { SetupContext, TransportEnv } from './types.js';


function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The generated configuration (exported for the tests). */
export function daemonConfig(socketPath: string, queue = queueBytes()): string {
  const limit = (name: string, value: number) => `  <limit name="${name}">${value}</limit>`;
  return [
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"',
    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
    '<busconfig>',
    '  <type>session</type>',
    `  <listen>unix:path=${escapeXml(socketPath)}</listen>`,
    '  <auth>EXTERNAL</auth>',
    '  <policy context="default">',
    '    <allow send_destination="*" eavesdrop="true"/>',
    '    <allow eavesdrop="true"/>',
    '    <allow own="*"/>',
    '  </policy>',
    limit('max_incoming_bytes', queue),
    limit('max_outgoing_bytes', queue),
    limit('max_incoming_unix_fds', 4096),
    limit('max_outgoing_unix_fds', 4096),
    limit('max_message_size', DBUS_MESSAGE_MAX),
    limit('max_message_unix_fds', 16),
    // a peer that hangs is detected by the harness (--timeout); the daemon must not answer NoReply first
    limit('reply_timeout', 3_600_000),
    limit('max_replies_per_connection', 50_000),
    limit('max_match_rules_per_connection', 50_000),
    limit('max_connections_per_user', 10_000),
    limit('max_pending_service_starts', 0),
    '</busconfig>',
    '',
  ].join('\n');
}

export async function daemonVersion(bin: string): Promise<string | undefined> {
  const out = await output(bin, ['--version']);
  const m = out && /(\d+\.\d+\.\d+)/.exec(out.split('\n')[0] ?? '');
  return m ? `dbus-daemon ${m[1]}` : undefined;
}

/** Start a private dbus-daemon in ctx.dir; exported for the tests and the benchmark script. */
export async function startDaemon(ctx: SetupContext): Promise<TransportEnv> {
  const where = locateDaemon('dbus-daemon');
  if ('reason' in where) throw new Error(where.reason);
  const bin = where.path;
  const socketPath = join(ctx.dir, 'bus');
  const config = join(ctx.dir, 'dbus-daemon.conf');
  await writeFile(config, daemonConfig(socketPath), { mode: 0o600 });
  const version = await daemonVersion(bin);
  // through our launcher (exec mode): the daemon gets PR_SET_PDEATHSIG, so it dies with the harness even when
  // teardown never runs (SIGKILL); the launcher prints the daemon's pid on fd 3, then the daemon its address
  const { state, lines } = await startBusProcess(
    ctx,
    launcherPath(),
    ['exec', '--', bin, '--nofork', '--nopidfile', '--nosyslog', '--print-address=3', `--config-file=${config}`],
    'dbus-daemon',
    2,
    socketPath,
  );
  const pid = Number(lines.find((l) => /^\d+$/.test(l)));
  const address = lines.find((l) => l.startsWith('unix:'));
  try {
    if (!address || !pid) throw new Error(`dbus-daemon announced something unexpected: ${JSON.stringify(lines)}`);
    lockDownSocket(socketPath);
  } catch (err) {
    await stopBusProcess(state);
    throw err;
  }
  state.extraPids.push(pid);
  return { address, daemonPids: [pid], version, state };
}

/** Kept under its own name for the tests and scripts/dbus-bench. */
export const stopDaemon = stopBus;

const daemonFlavour: BusFlavour = {
  daemon: 'dbus-daemon',
  async daemonVersion(bin) {
    const version = await daemonVersion(bin);
    return version ? { version } : { reason: `${bin} --version failed` };
  },
  start: startDaemon,
};

export const dbusDaemon = busTransport(daemonFlavour, 'dbus-daemon', 'sd-bus', 'bytes', 'private dbus-daemon, sd-bus client, payload as ay', 31);
export const dbusDaemonMemfd = busTransport(
  daemonFlavour,
  'dbus-daemon-memfd',
  'sd-bus',
  'memfd',
  'private dbus-daemon, sd-bus client, payload as a sealed memfd (h)',
  32,
);
export const dbusDaemonLibdbus = busTransport(
  daemonFlavour,
  'dbus-daemon-libdbus',
  'libdbus',
  'bytes',
  'private dbus-daemon, libdbus client, payload as ay',
  33,
);

export const transports = [dbusDaemon, dbusDaemonMemfd, dbusDaemonLibdbus];
