// Expand options into cases, grouped so that the transports of one group are measured interleaved
// (repetition r of every transport before repetition r+1 of any), which keeps machine drift from favouring one.
import type { RunOptions } from './options.js';
import type { CaseKey, Host } from './result.js';

export interface CaseGroup {
  /** Same key for every transport but the transport itself. */
  keys: CaseKey[];
}

export function expandMatrix(o: RunOptions, env: Host['env']): CaseGroup[] {
  const groups: CaseGroup[] = [];
  const base = { mode: 'closed' as const, rate: 0, env, uninterested: 0, subscribers: 0, concurrency: 1 };
  for (const workload of o.workloads) {
    if (workload === 'rpc') {
      for (const placement of o.placements)
        for (const concurrency of o.concurrency)
          for (const size of o.sizes) groups.push({ keys: o.transports.map((transport) => ({ ...base, transport, workload, size, placement, concurrency })) });
    } else {
      for (const placement of o.broadcastPlacements)
        for (const subscribers of o.subscribers)
          for (const size of o.broadcastSizes)
            groups.push({
              keys: o.transports.map((transport) => ({
                ...base,
                transport,
                workload,
                size,
                placement,
                subscribers,
                uninterested: o.uninterested,
                mode: o.mode,
                rate: o.mode === 'open' ? o.rate : 0,
              })),
            });
    }
  }
  return groups;
}

/** CPUs for the two ends of RPC pair i (-1 = unpinned). */
export function rpcCpus(placement: CaseKey['placement'], pair: number, cpus: number): { client: number; server: number } {
  if (placement === 'unpinned') return { client: -1, server: -1 };
  const client = pair % cpus;
  return { client, server: placement === 'same-core' ? client : (pair + 1) % cpus };
}

/** CPUs for the publisher and subscriber i. */
export function broadcastCpus(placement: CaseKey['placement'], subscriber: number, cpus: number): { publisher: number; subscriber: number } {
  if (placement === 'unpinned') return { publisher: -1, subscriber: -1 };
  if (placement === 'same-core') return { publisher: 0, subscriber: 0 };
  return { publisher: 0, subscriber: 1 + (subscriber % Math.max(1, cpus - 1)) };
}
