// SPDX-License-Identifier: MIT
// The skip policy: why a case cannot run here at all (before any repetition), as a tagged state with a reason.
import type { CaseKey, TransportStatus } from '../result.js';
import type { Transport, TransportEnv } from '../../transports/types.js';

export type SkipVerdict = { state: 'skipped' | 'unavailable'; reason: string } | undefined;

export function skipReason(key: CaseKey, t: Transport, status: TransportStatus | undefined, env: TransportEnv, cpus: number, fault?: string): SkipVerdict {
  if (status && !status.available) return { state: 'unavailable', reason: status.reason ?? 'unavailable' };
  if (!t.workloads.includes(key.workload)) {
    const why = t.unsupported?.[key.workload];
    return { state: 'skipped', reason: `${t.name} does not implement the ${key.workload} workload${why ? `: ${why}` : ''}` };
  }
  if (t.inProcess && fault) return { state: 'skipped', reason: `${t.name} runs in-process: there is no peer to inject --fault ${fault} into` };
  if (key.placement === 'cross-core' && cpus < 2) return { state: 'skipped', reason: 'cross-core placement needs at least 2 CPUs' };
  if (key.workload === 'broadcast' && key.uninterested >= key.subscribers)
    return { state: 'skipped', reason: `--uninterested ${key.uninterested} leaves no interested subscriber among ${key.subscribers}` };
  const skip = t.skipReason?.({ workload: key.workload, size: key.size, subscribers: key.subscribers, concurrency: key.concurrency }, env);
  return skip ? { state: 'skipped', reason: skip } : undefined;
}
