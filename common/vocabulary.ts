// SPDX-License-Identifier: MIT
// The words every layer shares (the ground floor: bench/, transports/ and reports/ import it; it imports nothing).
// A case is one point of the matrix; its key names it in result files, tables and comparisons.

export const WORKLOADS = ['rpc', 'broadcast'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Where the two ends run: one CPU, two CPUs, or wherever the scheduler puts them. */
export const PLACEMENTS = ['same-core', 'cross-core', 'unpinned'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** Where a case ran: this machine, or our lab kernel under qemu (software or hardware virtualisation). */
export const ENVIRONMENTS = ['host', 'lab-tcg', 'lab-kvm'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Whose CPU time a number is. */
export const ROLES = ['client', 'server', 'publisher', 'subscriber', 'daemon'] as const;
export type Role = (typeof ROLES)[number];

export const LOOP_MODES = ['closed', 'open'] as const;
export type LoopMode = (typeof LOOP_MODES)[number];

/** One case of the matrix (bench/result.ts validates it with the same fields). */
export interface CaseKey {
  transport: string;
  workload: Workload;
  /** Every message of the case has this size, header included (bytes). */
  size: number;
  /** RPC: independent client/server pairs. */
  concurrency: number;
  /** Broadcast: subscribers N (0 for RPC). */
  subscribers: number;
  /** Broadcast: K of the N whose filter does not match. */
  uninterested: number;
  placement: Placement;
  mode: LoopMode;
  /** Open loop: messages per second (0 for closed loop). */
  rate: number;
  env: Environment;
}

/** What a transport's skipReason() sees of a case. */
export type CaseShape = Pick<CaseKey, 'workload' | 'size' | 'subscribers' | 'concurrency'>;
