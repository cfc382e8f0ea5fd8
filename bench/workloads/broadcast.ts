// SPDX-License-Identifier: MIT
// The broadcast workload driver: one channel, the publisher in the harness (native/workloads/broadcast.c), N
// subscriber peers of which the last K are uninterested. The record merges the subscribers' delivery histograms
// and checks that every interested subscriber got every broadcast exactly once, intact (closed loop).
import { compressV2, mergeHistograms } from '../histogram.js';
import { broadcastCpus } from '../matrix.js';
import type { BroadcastRecord } from '../native.js';
import type { ProcessCpu, Repetition } from '../result.js';
import type { RepetitionContext, WorkloadDriver, WorkloadPlan } from '../runner/repetition.js';
import { cpuPerOp, latencyFrom, usageToCpu } from './record.js';

export const broadcastDriver: WorkloadDriver = {
  plan(ctx: RepetitionContext): WorkloadPlan<BroadcastRecord> {
    const { key, transport: t, env } = ctx;
    const n = key.subscribers;
    const interested = Array.from({ length: n }, (_, i) => i < n - key.uninterested);
    const lateNs = key.mode === 'open' ? Math.round(1e9 / key.rate) : 0;
    return {
      channels: [{ transport: t.native, variant: t.variant, maxMsg: key.size, subscribers: n, address: env.address }],
      peers: interested.map((isInterested, i) => ({
        channel: 0,
        slot: i,
        spec: {
          transport: t.native,
          variant: t.variant,
          role: 'subscriber',
          maxMsg: key.size,
          cpu: broadcastCpus(key.placement, i, ctx.cpus).subscriber,
          address: env.address,
          subscribers: n,
          index: i,
          interested: isInterested,
          lateNs,
          fault: i === 0 ? ctx.fault : undefined,
          extraArgs: t.peerArgs?.(env),
        },
      })),
      run: (handles) =>
        ctx.exec.runBroadcast(handles[0]!, {
          interested,
          warmupNs: ctx.timing.warmupMs * 1e6,
          durationNs: ctx.timing.durationMs * 1e6,
          maxOps: ctx.timing.maxOps,
          rate: key.mode === 'open' ? key.rate : 0,
          seed: ctx.seed + ctx.index,
          cpu: broadcastCpus(key.placement, 0, ctx.cpus).publisher,
        }),
      finish(rec, reports, daemonCpu) {
        const cpu: ProcessCpu[] = [usageToCpu('publisher', rec.publisherCpu, process.pid)];
        const histograms: string[] = [];
        const delivery = {
          expected: rec.ops * interested.filter(Boolean).length,
          delivered: 0,
          lost: 0,
          duplicated: 0,
          corrupted: 0,
          late: 0,
          refused: rec.refused,
        };
        for (const r of reports) {
          cpu.push(usageToCpu('subscriber', r, r.pid));
          if (r.histogram && r.ops) histograms.push(compressV2(Buffer.from(r.histogram, 'base64')));
          delivery.delivered += r.ops;
          delivery.lost += r.lost;
          delivery.duplicated += r.duplicated;
          delivery.corrupted += r.corrupted;
          delivery.late += r.late;
        }
        cpu.push(...daemonCpu);
        const per = cpuPerOp(cpu, rec.ops);
        const secs = rec.wallNs / 1e9;
        const rep: Repetition = {
          index: ctx.index,
          ops: rec.ops,
          bytes: delivery.delivered * key.size,
          wallNs: rec.wallNs,
          throughput: rec.ops / secs,
          mbPerSec: (delivery.delivered * key.size) / secs / 1e6,
          latency: histograms.length ? mergeHistograms(histograms) : { count: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 },
          lastSubscriber: key.mode === 'closed' ? latencyFrom(rec.lastSubscriber) : undefined,
          publishCall: latencyFrom(rec.publishCall),
          delivery,
          cpu,
          cpuNsPerOp: { total: per.total, byRole: per.byRole },
          ctxSwitchesPerOp: per.ctx,
        };
        if (delivery.corrupted) return { ok: false, reason: `integrity check failed: ${delivery.corrupted} corrupted message(s) delivered` };
        if (key.mode === 'closed' && (delivery.lost || delivery.duplicated || delivery.delivered !== delivery.expected))
          return {
            ok: false,
            reason: `lossless check failed: expected ${delivery.expected} deliveries, got ${delivery.delivered} (lost ${delivery.lost}, duplicated ${delivery.duplicated})`,
          };
        return { ok: true, rep };
      },
    };
  },
};
