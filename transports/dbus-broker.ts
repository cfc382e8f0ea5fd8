// SPDX-License-Identifier: MIT
// dbus-broker on a private bus, one per run, started without systemd the way its own test-suite does it: our
// launcher (native/tools/bus-launch.c) creates the listening socket in the run's 0700 directory, hands the broker
// a controller socketpair (`dbus-broker --controller FD`) and installs the listener with an allow-everything
// policy through org.bus1.DBus.Broker.AddListener. The policy's wire layout depends on the broker release, so the
// version is read first and an unknown one is refused with a clear message.
//
// Transports (see docs/dbus.md):
//   dbus-broker          sd-bus client, payload as `ay`           (native dbus-sdbus)
//   dbus-broker-memfd    sd-bus client, payload as a sealed memfd (native dbus-sdbus-memfd)
//   dbus-broker-libdbus  libdbus client, payload as `ay`          (native dbus-libdbus)
import { join } from 'node:path';
import {
  launcherPath,
  lockDownSocket,
  nativeProbe,
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

/** Releases whose controller policy layout bus-launch.c knows (keep in sync with BROKER_MIN/MAX_VERSION there). */
export const BROKER_VERSIONS = { min: 32, max: 36 } as const;

/**
 * Per-user quotas: the defaults (16 MiB of queued bytes, 64 fds per user) would refuse the large end of the payload
 * sweep and the memfd variant under load; everything on this bus runs as one user.
 */
export const BROKER_LIMITS = { maxFds: 4096, maxMatches: 100_000, maxObjects: 100_000 };

export async function brokerVersion(bin: string): Promise<number | undefined> {
  const out = await output(bin, ['--version']);
  const m = out && /dbus-broker\s+(\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

function versionProblem(v: number): string | undefined {
  if (v < BROKER_VERSIONS.min || v > BROKER_VERSIONS.max)
    return `dbus-broker ${v} is not supported: its controller policy layout is known for versions ${BROKER_VERSIONS.min} to ${BROKER_VERSIONS.max} only`;
  return undefined;
}

/** Start a private dbus-broker in ctx.dir; exported for the tests and the benchmark script. */
export async function startBroker(ctx: SetupContext): Promise<TransportEnv> {
  const where = locateDaemon('dbus-broker');
  if ('reason' in where) throw new Error(where.reason);
  const bin = where.path;
  const v = await brokerVersion(bin);
  if (v === undefined) throw new Error(`${bin} --version did not print a version`);
  const problem = versionProblem(v);
  if (problem) throw new Error(problem);
  const socketPath = join(ctx.dir, 'bus');
  const { state, lines } = await startBusProcess(
    ctx,
    launcherPath(),
    [
      'broker',
      '--socket', socketPath,
      '--broker', bin,
      '--version', String(v),
      '--max-bytes', String(queueBytes()),
      '--max-fds', String(BROKER_LIMITS.maxFds),
      '--max-matches', String(BROKER_LIMITS.maxMatches),
      '--max-objects', String(BROKER_LIMITS.maxObjects),
    ],
    'dbus-broker',
    2,
    socketPath,
  );
  const pid = Number(lines[1]);
  try {
    if (!lines[0]?.startsWith('unix:') || !pid) throw new Error(`the broker launcher announced something unexpected: ${JSON.stringify(lines)}`);
    lockDownSocket(socketPath);
  } catch (err) {
    await stopBusProcess(state);
    throw err;
  }
  state.extraPids.push(pid);
  return { address: lines[0], daemonPids: [pid], version: `dbus-broker ${v}`, state };
}

/** Kept under its own name for the tests and scripts/dbus-bench. */
export const stopBroker = stopBus;

const brokerFlavour: BusFlavour = {
  daemon: 'dbus-broker',
  async daemonVersion(bin) {
    const v = await brokerVersion(bin);
    if (v === undefined) return { reason: `${bin} --version failed` };
    const problem = versionProblem(v);
    return problem ? { reason: problem } : { version: `dbus-broker ${v}` };
  },
  // the launcher talks to the broker's controller through sd-bus, whatever the client under test
  extraProbe: () => nativeProbe('dbus-sdbus'),
  start: startBroker,
};

export const dbusBroker = busTransport(brokerFlavour, 'dbus-broker', 'sd-bus', 'bytes', 'private dbus-broker, sd-bus client, payload as ay', 34);
export const dbusBrokerMemfd = busTransport(
  brokerFlavour,
  'dbus-broker-memfd',
  'sd-bus',
  'memfd',
  'private dbus-broker, sd-bus client, payload as a sealed memfd (h)',
  35,
);
export const dbusBrokerLibdbus = busTransport(
  brokerFlavour,
  'dbus-broker-libdbus',
  'libdbus',
  'bytes',
  'private dbus-broker, libdbus client, payload as ay',
  36,
);

export const transports = [dbusBroker, dbusBrokerMemfd, dbusBrokerLibdbus];
