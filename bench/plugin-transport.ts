// The user's own IPC layer as a transport: a shared library filling the public plug-in interface
// (native/include/ipcbench/transport-plugin.h), loaded with dlopen() here (through the addon) and in every peer
// (--plugin). Everything else — workloads, integrity checks, statistics, reports, compare, gate — is unchanged.
// Not registered by transports/index.ts (no `transports` export): `run --plugin`, `gate` and the tests call
// loadPluginTransport().
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { native } from '../common/addon.js';
import { UsageError } from '../common/errors.js';
import { findTransport, registerTransport } from '../transports/index.js';
import type { Transport, Workload } from '../transports/types.js';

export interface PluginInfo {
  name: string;
  pluginName: string;
  version: string;
  description: string;
  rpc: boolean;
  broadcast: boolean;
  abi: number;
}

/**
 * Load the plug-in at `file` and register it as a transport (under `name`, or the plug-in's own name). A wrong
 * file, a missing symbol, an ABI version mismatch or missing operations are one-line UsageErrors.
 */
export function loadPluginTransport(file: string, name?: string): Transport {
  const path = resolve(file);
  try {
    if (!statSync(path).isFile()) throw new UsageError(`--plugin ${file}: not a file`);
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `--plugin ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read it (${(err as NodeJS.ErrnoException).code})`}`,
    );
  }
  let info: PluginInfo;
  try {
    info = (native() as unknown as { loadPlugin(p: string, n: string): PluginInfo }).loadPlugin(path, name ?? '');
  } catch (err) {
    throw new UsageError(`--plugin: ${(err as Error).message}`);
  }
  const existing = findTransport(info.name);
  if (existing) {
    if (existing.plugin === path) return existing;
    throw new UsageError(`--plugin ${file}: its name '${info.name}' is already a transport; give it another (${'--plugin'} path=name)`);
  }
  const workloads: Workload[] = [];
  if (info.rpc) workloads.push('rpc');
  if (info.broadcast) workloads.push('broadcast');
  const t: Transport = {
    name: info.name,
    native: info.name,
    description: `plug-in ${path}${info.description ? `: ${info.description}` : ''}`,
    workloads,
    order: 1000,
    plugin: path,
    probe: async () => ({ available: true, version: `${info.pluginName} ${info.version}`.trim() }),
    peerArgs: () => ['--plugin', path],
  };
  registerTransport(t);
  return t;
}

/** "path" or "path=name" (the name the results use, for two builds of one library). */
export function parsePluginArg(arg: string): { file: string; name?: string } {
  const eq = arg.lastIndexOf('=');
  if (eq > 0 && !arg.slice(eq + 1).includes('/')) return { file: arg.slice(0, eq), name: arg.slice(eq + 1) };
  return { file: arg };
}
