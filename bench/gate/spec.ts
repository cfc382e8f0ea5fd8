// What `gate --baseline/--candidate` name: one build of the thing under test.
//   ./build/libmyipc.so[=name][,VAR=value...]     a transport plug-in (bench/plugin-transport.ts)
//   dbus-broker@/opt/pr/bin/dbus-broker[,...]      a bus-daemon transport with that daemon binary
//   pipe[,VAR=value...]                            a built-in transport with its environment
// VAR=value pairs are set in the harness's and the peers' environment while that side sets up and runs (the
// daemon is found, the plug-in reads its configuration), and restored afterwards.
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../common/errors.js';
import { findTransport } from '../../transports/index.js';
import type { Transport, TransportEnv, SetupContext } from '../../transports/types.js';
import { loadPluginTransport } from '../plugin-transport.js';

export interface SideSpec {
  text: string;
  kind: 'plugin' | 'transport';
  /** Plug-in file or transport name. */
  target: string;
  /** Name for a plug-in, daemon binary for a bus transport. */
  name?: string;
  daemon?: string;
  env: Record<string, string>;
}

const DAEMON_VARIABLE: Record<string, string> = {
  'dbus-daemon': 'IPCBENCH_DBUS_DAEMON',
  'dbus-broker': 'IPCBENCH_DBUS_BROKER',
};

export function parseSideSpec(text: string, flag: string): SideSpec {
  const parts = text.split(',');
  const head = parts[0]!.trim();
  const env: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(p.trim());
    if (!m) throw new UsageError(`${flag} '${text}': '${p}' is not VAR=value`);
    env[m[1]!] = m[2]!;
  }
  if (!head) throw new UsageError(`${flag}: empty spec`);
  if (/\.so(\.\d+)*(=[\w.-]+)?$/.test(head) || head.includes('/')) {
    if (head.includes('@')) throw new UsageError(`${flag} '${text}': a plug-in takes no @daemon`);
    const eq = head.lastIndexOf('=');
    const file = eq > 0 ? head.slice(0, eq) : head;
    return { text, kind: 'plugin', target: file, ...(eq > 0 ? { name: head.slice(eq + 1) } : {}), env };
  }
  const [name, daemon] = head.split('@', 2) as [string, string | undefined];
  return { text, kind: 'transport', target: name, ...(daemon ? { daemon } : {}), env };
}

/** Run `f` with `vars` set in process.env (inherited by the peers it starts), then restore the environment. */
export async function withEnv<T>(vars: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  try {
    return await f();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The Transport one side runs: the plug-in loaded under a side-specific name, or the built-in transport under a
 * side-specific name whose setup/teardown run inside the side's environment (so a bus transport starts the
 * side's daemon binary). `label` names the side in results ("baseline", "candidate").
 */
export function sideTransport(spec: SideSpec, label: string): { transport: Transport; env: Record<string, string> } {
  const env = { ...spec.env };
  if (spec.kind === 'plugin') {
    const t = loadPluginTransport(spec.target, spec.name ?? `${label}`);
    return { transport: t, env };
  }
  const base = findTransport(spec.target);
  if (!base) throw new UsageError(`unknown transport '${spec.target}' in '${spec.text}'`);
  if (spec.daemon) {
    const variable = DAEMON_VARIABLE[base.name.replace(/-(memfd|libdbus)$/, '')];
    if (!variable) throw new UsageError(`'${spec.text}': ${base.name} runs no bus daemon, so @daemon does not apply`);
    const path = resolve(spec.daemon);
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new UsageError(`'${spec.text}': ${path} is not an executable file`);
    }
    env[variable] = path;
  }
  const t: Transport = {
    ...base,
    name: label,
    description: `${base.description} (${spec.text})`,
    probe: () => withEnv(env, () => base.probe()),
    ...(base.setup ? { setup: (ctx: SetupContext) => withEnv(env, () => base.setup!(ctx)) } : {}),
    ...(base.teardown ? { teardown: (e: TransportEnv) => withEnv(env, () => base.teardown!(e)) } : {}),
  };
  return { transport: t, env };
}
