// SPDX-License-Identifier: MIT
// The RPC workload driver: `concurrency` independent client/server pairs, one channel and one server peer each;
// the clients run in the harness (native/workloads/rpc.c, one pinned thread per pair).
import { rpcCpus } from '../matrix.js';
import type { RpcRecord } from '../native.js';
import type { ProcessCpu } from '../result.js';
import type { RepetitionContext, WorkloadDriver, WorkloadPlan } from '../runner/repetition.js';
import { cpuPerOp, latencyFrom, usageToCpu } from './record.js';

export const rpcDriver: WorkloadDriver = {
  plan(ctx: RepetitionContext): WorkloadPlan<RpcRecord> {
    const { key, transport: t, env } = ctx;
    const pairs = Array.from({ length: key.concurrency }, (_, i) => rpcCpus(key.placement, i, ctx.cpus));
    return {
      channels: pairs.map(() => ({ transport: t.native, variant: t.variant, maxMsg: key.size, address: env.address })),
      // an in-process transport's far side lives in the harness: no peer process
      peers: t.inProcess
        ? []
        : pairs.map((cpus, i) => ({
            channel: i,
            slot: 0,
            spec: {
              transport: t.native,
              variant: t.variant,
              role: 'server',
              maxMsg: key.size,
              cpu: cpus.server,
              address: env.address,
              fault: ctx.fault,
              extraArgs: t.peerArgs?.(env),
            },
          })),
      run: (handles) =>
        ctx.exec.runRpc(handles, {
          warmupNs: ctx.timing.warmupMs * 1e6,
          durationNs: ctx.timing.durationMs * 1e6,
          maxOps: ctx.timing.maxOps,
          seed: ctx.seed + ctx.index,
          cpus: pairs.map((c) => c.client),
        }),
      finish(rec, reports, daemonCpu) {
        const cpu: ProcessCpu[] = rec.clientCpu.map((u) => usageToCpu('client', u, process.pid));
        for (const r of reports) cpu.push(usageToCpu('server', r, r.pid));
        cpu.push(...daemonCpu);
        const per = cpuPerOp(cpu, rec.ops);
        const secs = rec.wallNs / 1e9;
        return {
          ok: true,
          rep: {
            index: ctx.index,
            ops: rec.ops,
            bytes: rec.bytes,
            wallNs: rec.wallNs,
            throughput: rec.ops / secs,
            mbPerSec: rec.bytes / secs / 1e6,
            latency: latencyFrom(rec.latency),
            cpu,
            cpuNsPerOp: { total: per.total, byRole: per.byRole },
            ctxSwitchesPerOp: per.ctx,
          },
        };
      },
    };
  },
};
