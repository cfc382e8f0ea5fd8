// The CLI only declares flags; this file turns their strings into one validated, typed RunOptions value.
import { UsageError } from '../common/errors.js';
import { PLACEMENTS, WORKLOADS, type Placement, type Workload } from '../common/vocabulary.js';
import { parseDuration } from './runner/budget.js';

function parseBudget(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms > 24 * 3_600_000)
    throw new UsageError(`bad --budget '${text}': expected a duration such as 3m, 90s or 1m30s (0 = fixed repetition counts)`);
  return ms;
}

export type { Placement, Workload };
export const WORKLOAD_NAMES: readonly Workload[] = WORKLOADS;

export interface RunOptions {
  transports: string[];
  workloads: Workload[];
  sizes: number[];
  broadcastSizes: number[];
  placements: Placement[];
  broadcastPlacements: Placement[];
  concurrency: number[];
  subscribers: number[];
  uninterested: number;
  mode: 'closed' | 'open';
  rate: number;
  repetitions: number;
  minRepetitions: number;
  /** Wall-clock budget for the whole matrix in ms (0 = fixed repetition counts, the pre-budget behaviour). */
  budgetMs: number;
  ciTarget: number;
  durationMs: number;
  warmupMs: number;
  timeoutMs: number;
  out: string;
  json: boolean;
  failFast: boolean;
  progress: boolean;
  seed: number;
  /** Test hook: make the peers misbehave ("corrupt@100", "crash@50", "hang@50", "exit@10", "skip@20"). */
  fault?: string;
  /** Test hook: end each repetition after this many timed operations even before --duration is up (0: never). */
  maxOps: number;
}

export const DEFAULTS = {
  workloads: 'rpc,broadcast',
  // The default matrix is what a 3-minute budget can measure to ±2% on a small machine (docs/statistics.md,
  // "The default matrix"): 64 B (the classic ping-pong size) to 1 MiB in steps of 16 (the single-copy vs
  // double-copy story still shows), RPC on one core. Cross-core, unpinned and the sizes in between are one flag
  // away (-p same-core,cross-core -s 64..1M --subscribers 1,2,4,8,16,32 is the full matrix).
  sizes: '64,4K,64K,1M',
  broadcastSizes: '64',
  placement: 'same-core',
  // broadcast: the publisher on one CPU, subscribers on the others (one placement keeps the default run short);
  // 1 and 16 subscribers, the ends the fan-out finding needs (4 cost 23 cases that met ±2% in none of the 3 minutes)
  broadcastPlacement: 'cross-core',
  concurrency: '1',
  subscribers: '1,16',
  uninterested: '0',
  mode: 'closed',
  rate: '10000',
  // With the time budget (the default), --repetitions is the most any one case gets and --min-repetitions what
  // every case gets first; the budget decides in between (bench/budget.ts, docs/statistics.md).
  repetitions: '40',
  minRepetitions: '5',
  budget: '3m',
  ciTarget: '2',
  duration: '60',
  warmup: '20',
  timeout: '20000',
  out: 'results',
} as const;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, kb: 1024, m: 1 << 20, mib: 1 << 20, mb: 1 << 20 };

/** "64", "4K", "1MiB" -> bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`bad size '${text}': use a number of bytes with an optional K or M suffix (e.g. 64, 4K, 1M)`);
  return Number(m[1]) * unit;
}

/** "64,4K" or "64..1M" (powers of 4) or "64..1M:x2" (factor 2). */
export function parseSizes(text: string, minimum: number, maximum = 256 << 20): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const range = /^(.+?)\.\.(.+?)(?::x(\d+))?$/.exec(part);
    if (range) {
      const lo = parseSize(range[1]!);
      const hi = parseSize(range[2]!);
      const factor = range[3] ? Number(range[3]) : 4;
      if (factor < 2) throw new UsageError(`bad size range '${part}': the factor must be 2 or more`);
      if (lo > hi) throw new UsageError(`bad size range '${part}': ${lo} is larger than ${hi}`);
      for (let s = lo; s <= hi; s *= factor) out.push(s);
    } else out.push(parseSize(part));
  }
  if (out.length === 0) throw new UsageError('no sizes given');
  for (const s of out) {
    if (s < minimum) throw new UsageError(`bad size ${s}: every message carries a ${minimum}-byte header, so the smallest size is ${minimum}`);
    if (s > maximum) throw new UsageError(`bad size ${s}: the largest supported size is ${maximum} bytes`);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

export function parseCount(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`bad ${what} '${text}': expected a whole number from ${min} to ${max}`);
  return n;
}

export function parseCounts(text: string, what: string, min: number, max: number): number[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new UsageError(`no ${what} given`);
  return [...new Set(parts.map((p) => parseCount(p, what, min, max)))].sort((a, b) => a - b);
}

export function parseList<T extends string>(text: string, what: string, valid: readonly T[]): T[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new UsageError(`no ${what} given (valid: ${valid.join(', ')})`);
  for (const p of parts) if (!valid.includes(p as T)) throw new UsageError(`unknown ${what} '${p}' (valid: ${valid.join(', ')})`);
  return [...new Set(parts)] as T[];
}

export interface RawRunFlags {
  transports?: string;
  workloads: string;
  sizes: string;
  broadcastSizes: string;
  placement: string;
  broadcastPlacement: string;
  concurrency: string;
  subscribers: string;
  uninterested: string;
  mode: string;
  rate: string;
  repetitions: string;
  minRepetitions: string;
  budget?: string;
  ciTarget: string;
  duration: string;
  warmup: string;
  timeout: string;
  out: string;
  json?: boolean;
  failFast?: boolean;
  progress?: boolean;
  seed?: string;
  fault?: string;
  maxOps?: string;
}

export function parseRunOptions(raw: RawRunFlags, transportNames: readonly string[], defaultTransports: readonly string[], headerSize: number): RunOptions {
  const transports = raw.transports ? parseList(raw.transports, 'transport', transportNames) : [...defaultTransports];
  const repetitions = parseCount(raw.repetitions, 'repetition count', 1, 1000);
  const minRepetitions = Math.min(parseCount(raw.minRepetitions, 'minimum repetition count', 1, 1000), repetitions);
  const ciTarget = Number(raw.ciTarget);
  if (!Number.isFinite(ciTarget) || ciTarget < 0 || ciTarget > 100)
    throw new UsageError(`bad --ci-target '${raw.ciTarget}': expected a percentage from 0 to 100`);
  const mode = parseList(raw.mode, 'mode', ['closed', 'open'] as const);
  if (mode.length !== 1) throw new UsageError('give one --mode: closed or open');
  if (raw.fault && !/^(corrupt|crash|hang|exit|skip)@\d+$/.test(raw.fault))
    throw new UsageError(`bad --fault '${raw.fault}': expected corrupt|crash|hang|exit|skip@SEQ`);
  return {
    transports,
    workloads: parseList(raw.workloads, 'workload', WORKLOAD_NAMES),
    sizes: parseSizes(raw.sizes, headerSize),
    broadcastSizes: parseSizes(raw.broadcastSizes, headerSize),
    placements: parseList(raw.placement, 'placement', PLACEMENTS),
    broadcastPlacements: parseList(raw.broadcastPlacement, 'placement', PLACEMENTS),
    concurrency: parseCounts(raw.concurrency, 'concurrency', 1, 64),
    subscribers: parseCounts(raw.subscribers, 'subscriber count', 1, 256),
    uninterested: parseCount(raw.uninterested, 'uninterested subscriber count', 0, 255),
    mode: mode[0]!,
    rate: parseCount(raw.rate, 'rate', 1, 10_000_000),
    repetitions,
    minRepetitions,
    budgetMs: parseBudget(raw.budget ?? DEFAULTS.budget),
    ciTarget: ciTarget / 100,
    durationMs: parseCount(raw.duration, 'duration (ms)', 1, 3_600_000),
    warmupMs: parseCount(raw.warmup, 'warm-up (ms)', 0, 600_000),
    timeoutMs: parseCount(raw.timeout, 'timeout (ms)', 100, 3_600_000),
    out: raw.out,
    json: Boolean(raw.json),
    failFast: Boolean(raw.failFast),
    progress: raw.progress !== false,
    seed: raw.seed ? parseCount(raw.seed, 'seed', 0, 2 ** 31) : 1,
    fault: raw.fault,
    maxOps: raw.maxOps ? parseCount(raw.maxOps, 'operation count', 1, 2 ** 31) : 0,
  };
}
