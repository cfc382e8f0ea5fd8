// SPDX-License-Identifier: MIT
// The registry of transports, by convention: every module in this directory that exports `transports` (see
// types.ts TransportModule) is registered; adding a transport adds a file and edits nothing here. Order = the
// transports' `order`, then name (the order of tables and charts).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Transport, TransportModule } from './types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXT = /\.(js|ts)$/.exec(fileURLToPath(import.meta.url))?.[0] ?? '.js';

// Compiled (dist/transports/*.js): tsc never deletes the output of a removed source, so in a checkout only modules
// whose transports/*.ts still exists count.
const SOURCE = join(HERE, '..', '..', 'transports');
const fromSource = EXT === '.js' && existsSync(join(SOURCE, 'index.ts'));

function isModuleFile(f: string): boolean {
  if (!f.endsWith(EXT) || f.endsWith(`.d${EXT}`) || /\.test\.|^index\.|^types\./.test(f)) return false;
  return !fromSource || existsSync(join(SOURCE, f.replace(/\.js$/, '.ts')));
}

async function load(): Promise<Transport[]> {
  const found: Transport[] = [];
  for (const f of readdirSync(HERE).filter(isModuleFile).sort()) {
    const mod = (await import(pathToFileURL(`${HERE}/${f}`).href)) as Partial<TransportModule>;
    if (Array.isArray(mod.transports)) found.push(...mod.transports);
  }
  const seen = new Set<string>();
  for (const t of found) {
    if (seen.has(t.name)) throw new Error(`two transports are called ${t.name} (transports/*.ts)`);
    seen.add(t.name);
  }
  return found.sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a.name.localeCompare(b.name));
}

const registered: Transport[] = await load();
export const TRANSPORTS: readonly Transport[] = registered;

export function findTransport(name: string): Transport | undefined {
  return TRANSPORTS.find((t) => t.name === name);
}

const names: string[] = registered.map((t) => t.name);
export const TRANSPORT_NAMES: readonly string[] = names;

/** Add a transport at run time (a plug-in loaded with --plugin, transports/plugin.ts). */
export function registerTransport(t: Transport): void {
  if (findTransport(t.name)) throw new Error(`two transports are called ${t.name}`);
  registered.push(t);
  names.push(t.name);
}
