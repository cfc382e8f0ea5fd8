// SPDX-License-Identifier: MIT
// Shared by the workload drivers: native numbers into the result record's shapes.
import { compressV2 } from '../histogram.js';
import type { NativeLatency, NativeUsage } from '../native.js';
import type { Latency, ProcessCpu } from '../result.js';
import type { ProcCpu } from '../procstat.js';

export function latencyFrom(n: NativeLatency): Latency {
  return {
    count: n.count,
    min: n.min,
    p50: n.p50,
    p90: n.p90,
    p99: n.p99,
    p999: n.p999,
    max: n.max,
    mean: n.mean,
    histogram: n.count ? compressV2(n.encoded) : undefined,
  };
}

export function usageToCpu(role: ProcessCpu['role'], u: NativeUsage | ProcCpu, pid?: number): ProcessCpu {
  return { role, pid, userNs: u.userNs, sysNs: u.sysNs, vcsw: u.vcsw, ivcsw: u.ivcsw };
}

/** CPU per operation: total, by role, and context switches. */
export function cpuPerOp(cpu: readonly ProcessCpu[], ops: number): { total: number; byRole: Record<string, number>; ctx: number } {
  const byRole: Record<string, number> = {};
  let total = 0;
  let ctx = 0;
  for (const c of cpu) {
    const ns = c.userNs + c.sysNs;
    byRole[c.role] = (byRole[c.role] ?? 0) + ns / Math.max(1, ops);
    total += ns;
    ctx += c.vcsw + c.ivcsw;
  }
  return { total: total / Math.max(1, ops), byRole, ctx: ctx / Math.max(1, ops) };
}
