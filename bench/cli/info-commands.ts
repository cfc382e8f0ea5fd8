// SPDX-License-Identifier: MIT
// `ipcbench list` (every transport: available or not, why, its version) and `ipcbench env` (the host metadata
// recorded with every result, and the preflight warnings).
import { EXIT } from '../../common/errors.js';
import { collectHost, preflightWarnings } from '../host.js';
import { probeAll } from '../probe.js';
import { TRANSPORTS } from '../../transports/index.js';

export async function listCommand(json: boolean): Promise<number> {
  const statuses = await probeAll();
  if (json) {
    process.stdout.write(`${JSON.stringify(statuses, null, 1)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...statuses.map((s) => s.name.length));
  for (const s of statuses) {
    const t = TRANSPORTS.find((x) => x.name === s.name)!;
    const state = s.available ? `available${s.version ? ` (${s.version})` : ''}` : `unavailable: ${s.reason}`;
    process.stdout.write(`${s.name.padEnd(width)}  ${state}\n${' '.repeat(width)}  ${t.description}; workloads: ${t.workloads.join(', ')}\n`);
  }
  return EXIT.ok;
}

export function envCommand(json: boolean): number {
  const host = collectHost();
  const warnings = preflightWarnings(host);
  if (json) process.stdout.write(`${JSON.stringify({ host, warnings }, null, 1)}\n`);
  else {
    for (const [k, v] of Object.entries(host)) process.stdout.write(`${k.padEnd(15)} ${Array.isArray(v) ? v.join(' ') : String(v)}\n`);
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
  }
  return EXIT.ok;
}
