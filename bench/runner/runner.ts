// SPDX-License-Identifier: MIT
// The runner: expands the matrix into groups of cases, and for each group asks the scheduler which cases get a
// repetition next (interleaved across transports), runs each in fresh peers through the repetition lifecycle, and
// saves the document after every group. It owns no measurement detail: skip policy (skip.ts), environments
// (env-pool.ts), repetitions (repetition.ts + bench/workloads/), decisions (scheduler.ts), summary (metrics.ts).
// One broken transport never aborts the matrix (unless --fail-fast); Ctrl-C stops cleanly, keeping what was measured.
import os from 'node:os';
import { summarize } from '../metrics.js';
import { expandMatrix, type CaseGroup } from '../matrix.js';
import type { RunOptions } from '../options.js';
import { caseLabel, type CaseResult, type ResultDocument } from '../result.js';
import { DRIVERS } from '../workloads/index.js';
import { findTransport } from '../../transports/index.js';
import type { Transport } from '../../transports/types.js';
import { EnvironmentPool } from './env-pool.js';
import { NativeExecutor, type Executor } from './executor.js';
import { runRepetition, type RepetitionTiming } from './repetition.js';
import { caseDone, nextRound, type CaseProgress, type SchedulePolicy } from './scheduler.js';
import { skipReason } from './skip.js';
import { runBudgetedLoop, type BudgetedCase } from './budgeted.js';
import { precisionOf } from '../case-precision.js';
import { inWindows, slowWindows, type TimedValue } from '../statistics/slow-windows.js';
import type { Repetition } from '../result.js';

/** What is left to do after the last repetition of a budgeted run (summaries, saving), kept out of the budget. */
const BUDGET_RESERVE_MS = 3000;

export interface RunnerHooks {
  /** A repetition finished (progress bars). */
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (message: string) => void;
  /** Called after every group with the document so far (the writer saves it). */
  onSave?: (doc: ResultDocument) => Promise<void>;
  /** The executor (tests pass a fake); default: the native addon and real peers. */
  executor?: Executor;
  /** CPUs of the machine (tests); default: os.availableParallelism(). */
  cpus?: number;
  /**
   * performance.now() at which the --budget clock started (default: when run() starts). The CLI passes 0, the
   * process start, so that the budget bounds the whole command, not only the measuring.
   */
  budgetStartMs?: number;
}

interface CaseRun extends CaseProgress {
  transport: Transport;
  /** Its unrun repetitions are off the progress total already. */
  settled: boolean;
  result: CaseResult;
  closed: boolean;
  estimates: number[];
  elapsedMs: number[];
}

export class Runner {
  private readonly exec: Executor;
  private readonly pool: EnvironmentPool;
  private readonly cpus: number;
  private readonly policy: SchedulePolicy;
  /** performance.now() when this runner was made: the origin of every repetition's startMs. */
  private readonly origin = performance.now();

  constructor(
    private readonly opts: RunOptions,
    private readonly doc: ResultDocument,
    private readonly signal: AbortSignal,
    private readonly hooks: RunnerHooks = {},
  ) {
    this.exec = hooks.executor ?? new NativeExecutor();
    this.cpus = hooks.cpus ?? os.availableParallelism();
    this.pool = new EnvironmentPool(signal, (m) => this.log(m));
    this.policy = { maxRepetitions: opts.repetitions, minRepetitions: opts.minRepetitions, ciTarget: opts.ciTarget, seed: opts.seed };
    signal.addEventListener('abort', () => this.exec.stopAll(), { once: true });
  }

  private log(msg: string): void {
    this.hooks.log?.(msg);
  }

  async run(): Promise<ResultDocument> {
    if (this.opts.budgetMs > 0) return this.runBudgeted();
    const groups = expandMatrix(this.opts, this.doc.host.env);
    let total = groups.reduce((n, g) => n + g.keys.length * this.opts.repetitions, 0);
    let done = 0;
    const progress = {
      tick: (label: string) => this.hooks.onProgress?.(++done, total, label),
      /** Repetitions that will not run after all (skips, early stops, errors): the total shrinks. */
      drop: (n: number) => {
        total -= n;
      },
    };
    try {
      for (const group of groups) {
        if (this.signal.aborted) break;
        const results = await this.runGroup(group, progress);
        this.doc.cases.push(...results);
        await this.hooks.onSave?.(this.doc);
        if (this.opts.failFast && results.some((r) => r.state === 'errored')) {
          this.log('stopping at the first errored case (--fail-fast)');
          break;
        }
      }
    } finally {
      await this.pool.teardownAll();
    }
    // fixed counts: the off-speed stretches are found once at the end; their repetitions are left out, not repeated
    this.markSlowStretches();
    if (this.doc.slowStretches) for (const c of this.doc.cases) if (c.repetitions.length) c.summary = summarize(c.repetitions, this.opts.seed);
    this.markPrecision(0, 0, false);
    return this.doc;
  }

  /**
   * Find the off-speed stretches of the machine so far (bench/statistics/slow-windows.ts) and set aside the repetitions
   * that started in them: the estimates leave them out, and the budget repeats them. Re-judged after every round.
   */
  private markSlowStretches(): void {
    const values: TimedValue[] = [];
    const reps: Repetition[] = [];
    this.doc.cases.forEach((c, caseIndex) => {
      if (c.state !== 'ok') return;
      for (const r of c.repetitions)
        if (r.startMs !== undefined && Number.isFinite(r.latency.p50)) {
          values.push({ caseIndex, startMs: r.startMs, value: r.latency.p50 });
          reps.push(r);
        }
    });
    const windows = slowWindows(values);
    for (const r of reps) {
      if (inWindows(r.startMs, windows)) r.setAside = true;
      else delete r.setAside;
    }
    if (windows.length) this.doc.slowStretches = windows;
    else delete this.doc.slowStretches;
  }

  /** Flag every measured case with whether its median p50 met --ci-target, and count them in the document. */
  private markPrecision(budgetMs: number, elapsedMs: number, budgetExhausted: boolean): void {
    if (!(this.opts.ciTarget > 0)) return;
    for (const c of this.doc.cases) if (c.state === 'ok' && c.repetitions.length) c.precision = precisionOf(c.repetitions, this.opts.ciTarget, this.opts.seed);
    const measured = this.doc.cases.filter((c) => c.precision);
    if (measured.length)
      this.doc.precision = {
        target: this.opts.ciTarget,
        met: measured.filter((c) => c.precision!.met).length,
        measured: measured.length,
        budgetMs,
        elapsedMs,
        budgetExhausted,
      };
  }

  /** One repetition of one case, through the shared lifecycle; the case is closed (state, reason) on failure. */
  private async repetition(c: CaseRun, index: number): Promise<{ ok: true; rep: Repetition } | { ok: false; reason: string }> {
    const live = await this.pool.acquire(c.transport);
    if ('failed' in live) {
      c.result.state = 'errored';
      c.result.reason = live.failed;
      return { ok: false, reason: live.failed };
    }
    c.result.transportVersion = live.env.version;
    const outcome = await runRepetition(
      {
        exec: this.exec,
        key: c.result.key,
        transport: c.transport,
        env: live.env,
        index,
        timing: this.timing(),
        seed: this.opts.seed,
        fault: this.opts.fault,
        cpus: this.cpus,
        originMs: this.origin,
      },
      DRIVERS[c.result.key.workload],
    );
    if (!outcome.ok && !this.signal.aborted) {
      const diagnosis = outcome.timedOut ? await this.pool.discard(c.transport) : undefined;
      c.result.state = 'errored';
      c.result.reason = `repetition ${index + 1}: ${outcome.reason}${diagnosis ? `; ${diagnosis}` : ''}`;
    }
    return outcome;
  }

  /** How long each repetition runs, the same in both scheduling modes. */
  private timing(): RepetitionTiming {
    return { warmupMs: this.opts.warmupMs, durationMs: this.opts.durationMs, maxOps: this.opts.maxOps, timeoutMs: this.opts.timeoutMs };
  }

  /**
   * --budget (the default): every case of the whole matrix in one pool; rounds of repetitions planned by
   * budget.ts from the precision each case has reached (every chosen case once per round, in matrix order, so
   * transports and cases stay interleaved); the document is saved after each round.
   */
  private async runBudgeted(): Promise<ResultDocument> {
    const started = this.hooks.budgetStartMs ?? performance.now();
    const runs: CaseRun[] = expandMatrix(this.opts, this.doc.host.env)
      .flatMap((g) => g.keys)
      .map((key) => ({
        transport: findTransport(key.transport)!,
        result: { key, state: 'ok', startedAt: new Date().toISOString(), repetitions: [] },
        closed: false,
        settled: false,
        estimates: [],
        elapsedMs: [],
      }));
    const pool: BudgetedCase[] = runs.map((c) => ({ repetitions: c.result.repetitions, finished: false, spentMs: 0 }));
    for (const [i, c] of runs.entries()) {
      const status = this.doc.transports.find((s) => s.name === c.transport.name);
      const skip = skipReason(c.result.key, c.transport, status, this.pool.peek(c.transport), this.cpus);
      if (skip) {
        c.result.state = skip.state;
        c.result.reason = skip.reason;
        pool[i]!.finished = true;
      }
    }
    this.doc.cases.push(...runs.map((c) => c.result));
    let done = 0;
    const planned = () => pool.reduce((n, c) => n + (c.finished ? c.repetitions.length : Math.max(c.repetitions.length + 1, this.opts.minRepetitions)), 0);
    let loop: Awaited<ReturnType<typeof runBudgetedLoop>> | undefined;
    try {
      loop = await runBudgetedLoop(pool, {
        budgetMs: Math.max(0, this.opts.budgetMs - BUDGET_RESERVE_MS - (performance.now() - started)),
        target: this.opts.ciTarget,
        minRepetitions: this.opts.minRepetitions,
        maxRepetitions: this.opts.repetitions,
        seed: this.opts.seed,
        signal: this.signal,
        now: () => performance.now(),
        run: (i, r) => this.repetition(runs[i]!, r),
        onRepetition: (i) => this.hooks.onProgress?.(++done, Math.max(done, planned()), caseLabel(runs[i]!.result.key)),
        onRound: async () => {
          this.markSlowStretches();
          await this.hooks.onSave?.(this.doc);
          if (this.opts.failFast && runs.some((c) => c.result.state === 'errored')) {
            this.log('stopping at the first errored case (--fail-fast)');
            for (const c of pool) c.finished = true;
          }
        },
      });
    } finally {
      await this.pool.teardownAll();
    }
    // the stretches were marked after the last round (onRound runs after every round, an interrupted one too)
    for (const c of runs) {
      if (c.result.repetitions.length) c.result.summary = summarize(c.result.repetitions, this.opts.seed);
      if (c.result.state === 'ok' && c.result.repetitions.length === 0) {
        c.result.state = 'errored';
        c.result.reason = 'interrupted before any repetition finished';
      }
    }
    this.markPrecision(this.opts.budgetMs, Math.round(performance.now() - started), loop?.budgetExhausted ?? false);
    return this.doc;
  }

  private async runGroup(group: CaseGroup, progress: { tick: (label: string) => void; drop: (n: number) => void }): Promise<CaseResult[]> {
    const runs: CaseRun[] = group.keys.map((key) => ({
      transport: findTransport(key.transport)!,
      result: { key, state: 'ok', startedAt: new Date().toISOString(), repetitions: [] },
      closed: false,
      settled: false,
      estimates: [],
      elapsedMs: [],
    }));
    const settle = (c: CaseRun) => {
      if (!c.settled) progress.drop(this.policy.maxRepetitions - c.estimates.length);
      c.settled = true;
    };
    const close = (c: CaseRun, state: CaseResult['state'], reason: string) => {
      settle(c);
      c.result.state = state;
      c.result.reason = reason;
      c.closed = true;
    };
    for (const c of runs) {
      const status = this.doc.transports.find((s) => s.name === c.transport.name);
      const skip = skipReason(c.result.key, c.transport, status, this.pool.peek(c.transport), this.cpus, this.opts.fault);
      if (skip) close(c, skip.state, skip.reason);
    }
    for (let round = nextRound(runs, this.policy); round.length && !this.signal.aborted; round = nextRound(runs, this.policy)) {
      for (const i of round) {
        if (this.signal.aborted) break;
        const c = runs[i]!;
        const live = await this.pool.acquire(c.transport);
        if ('failed' in live) {
          close(c, 'errored', live.failed);
          continue;
        }
        c.result.transportVersion = live.env.version;
        const index = c.estimates.length;
        const started = Date.now();
        const outcome = await runRepetition(
          {
            exec: this.exec,
            key: c.result.key,
            transport: c.transport,
            env: live.env,
            index,
            timing: this.timing(),
            seed: this.opts.seed,
            fault: this.opts.fault,
            cpus: this.cpus,
          },
          DRIVERS[c.result.key.workload],
        );
        if (!outcome.ok) {
          if (this.signal.aborted) break;
          const diagnosis = outcome.timedOut ? await this.pool.discard(c.transport) : undefined;
          c.estimates.push(NaN); // counts as run for the progress total
          close(c, 'errored', `repetition ${index + 1}: ${outcome.reason}${diagnosis ? `; ${diagnosis}` : ''}`);
        } else {
          c.result.repetitions.push(outcome.rep);
          c.estimates.push(outcome.rep.latency.p50);
          c.elapsedMs.push(Date.now() - started);
          if (caseDone(c, this.policy)) settle(c); // early stop: the total shrinks before the tick shows it
        }
        progress.tick(caseLabel(c.result.key));
      }
    }
    return runs.map((c) => {
      if (c.result.repetitions.length) c.result.summary = summarize(c.result.repetitions, this.opts.seed);
      if (c.result.state === 'ok' && c.result.repetitions.length === 0) {
        c.result.state = 'errored';
        c.result.reason = 'interrupted before any repetition finished';
      }
      return c.result;
    });
  }
}
