// The gate's measuring loop: baseline and candidate interleaved inside one run. For every case, pair j runs the
// baseline then the candidate when j is even and the other way round when it is odd (ABBA), each repetition in
// fresh peers through the runner's one repetition lifecycle, so that slow drift, warm caches and the order
// itself hit both sides alike. A case gets --pairs pairs, then more, one per round, while the verdict on any of
// its gated metrics is undecided (its paired CI reaches across the threshold) or a regression, up to --max-pairs
// or the time budget: a sequential design, so the pairs go where the decision is close, and a regression is
// only ever declared on all the pairs a case can get (no stopping at a lucky look).
import os from 'node:os';
import type { ResultDocument, CaseResult, CaseKey } from '../result.js';
import { caseLabel } from '../result.js';
import { expandMatrix } from '../matrix.js';
import { summarize } from '../metrics.js';
import type { RunOptions } from '../options.js';
import { EnvironmentPool } from '../runner/env-pool.js';
import { NativeExecutor, type Executor } from '../runner/executor.js';
import { runRepetition, type RepOutcome } from '../runner/repetition.js';
import { skipReason } from '../runner/skip.js';
import { DRIVERS } from '../workloads/index.js';
import { precisionOf } from '../case-precision.js';
import type { Transport } from '../../transports/types.js';
import type { TransportStatus } from '../result.js';
import { withEnv } from './spec.js';

export interface GateSide {
  transport: Transport;
  env: Record<string, string>;
  status: TransportStatus;
  doc: ResultDocument;
}

export interface GateLoopOptions {
  minPairs: number;
  maxPairs: number;
  budgetMs: number;
  /**
   * The gate's decision on a case from its pairs so far: 'open' while some gated metric is undecided (its CI
   * reaches across the threshold) or shows a regression, 'closed' once every metric is decided without one
   * (reports/gate.ts caseDecided). Without it a case runs exactly minPairs pairs.
   */
  decide?: (baseline: CaseResult, candidate: CaseResult) => 'open' | 'closed';
  /** performance.now() when the budget clock started. */
  startMs: number;
}

export interface GateHooks {
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (m: string) => void;
  onSave?: () => Promise<void>;
  executor?: Executor;
}

interface PairCase {
  key: CaseKey;
  a: CaseResult;
  b: CaseResult;
  open: boolean;
  spentMs: number;
  pairs: number;
}

export async function runGateLoop(
  run: RunOptions,
  sides: [GateSide, GateSide],
  o: GateLoopOptions,
  signal: AbortSignal,
  hooks: GateHooks = {},
): Promise<{ elapsedMs: number; budgetExhausted: boolean }> {
  const exec = hooks.executor ?? new NativeExecutor();
  const pool = new EnvironmentPool(signal, (m) => hooks.log?.(m));
  const cpus = os.availableParallelism();
  signal.addEventListener('abort', () => exec.stopAll(), { once: true });
  const [A, B] = sides;
  const keys = expandMatrix({ ...run, transports: ['*'] }, A.doc.host.env).flatMap((g) => g.keys);
  const cases: PairCase[] = keys.map((k) => {
    const mk = (s: GateSide): CaseResult => ({ key: { ...k, transport: s.transport.name }, state: 'ok', startedAt: new Date().toISOString(), repetitions: [] });
    return { key: k, a: mk(A), b: mk(B), open: true, spentMs: 0, pairs: 0 };
  });
  for (const c of cases)
    for (const [side, r] of [
      [A, c.a],
      [B, c.b],
    ] as const) {
      const skip = skipReason(r.key, side.transport, side.status, pool.peek(side.transport), cpus);
      if (skip) {
        r.state = skip.state;
        r.reason = skip.reason;
        c.open = false;
      }
    }
  A.doc.cases.push(...cases.map((c) => c.a));
  B.doc.cases.push(...cases.map((c) => c.b));

  const one = async (side: GateSide, r: CaseResult, index: number): Promise<RepOutcome> => {
    const live = await withEnv(side.env, () => pool.acquire(side.transport));
    if ('failed' in live) return { ok: false, reason: live.failed };
    r.transportVersion = live.env.version;
    return withEnv(side.env, () =>
      runRepetition(
        {
          exec,
          key: r.key,
          transport: side.transport,
          env: live.env,
          index,
          timing: { warmupMs: run.warmupMs, durationMs: run.durationMs, timeoutMs: run.timeoutMs },
          seed: run.seed,
          fault: run.fault,
          cpus,
          originMs: o.startMs,
        },
        DRIVERS[r.key.workload],
      ),
    );
  };

  let done = 0;
  const total = () => cases.reduce((n, c) => n + 2 * (c.open ? Math.max(c.pairs + 1, o.minPairs) : c.pairs), 0);
  const deadline = o.startMs + o.budgetMs;
  let budgetExhausted = false;
  try {
    for (let j = 0; j < o.maxPairs && !signal.aborted; j++) {
      const round = cases.filter((c) => c.open);
      if (!round.length) break;
      for (const c of round) {
        if (signal.aborted) break;
        const perPair = c.pairs ? c.spentMs / c.pairs : 0;
        if (j >= o.minPairs && performance.now() + perPair > deadline) {
          budgetExhausted = true;
          break;
        }
        const t0 = performance.now();
        const order =
          j % 2 === 0
            ? ([
                [A, c.a],
                [B, c.b],
              ] as const)
            : ([
                [B, c.b],
                [A, c.a],
              ] as const);
        let failed = false;
        for (const [side, r] of order) {
          const out = await one(side, r, j);
          hooks.onProgress?.(++done, Math.max(done, total()), `${caseLabel(c.key).replace(/^\* /, '')} ${side === A ? 'baseline' : 'candidate'}`);
          if (!out.ok) {
            if (signal.aborted) break;
            r.state = 'errored';
            r.reason = `pair ${j + 1}: ${out.reason}`;
            c.open = false;
            failed = true;
            break;
          }
          r.repetitions.push(out.rep);
        }
        if (failed || signal.aborted) continue;
        c.pairs++;
        c.spentMs += performance.now() - t0;
        if (c.pairs >= o.minPairs && (!o.decide || o.decide(c.a, c.b) === 'closed')) c.open = false;
      }
      await hooks.onSave?.();
      if (budgetExhausted) break;
    }
  } finally {
    await pool.teardownAll();
  }
  for (const side of sides)
    for (const r of side.doc.cases) {
      if (r.repetitions.length) {
        r.summary = summarize(r.repetitions, run.seed);
        if (run.ciTarget > 0) r.precision = precisionOf(r.repetitions, run.ciTarget, run.seed);
      }
      if (r.state === 'ok' && r.repetitions.length === 0) {
        r.state = 'errored';
        r.reason = 'interrupted before any repetition finished';
      }
    }
  return { elapsedMs: performance.now() - o.startMs, budgetExhausted };
}
