// The result document: the one record every output reads. Versioned; validated with zod on read so a corrupt,
// truncated or foreign file is reported with its name and the first problem, never half-used.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { summarize } from './metrics.js';

export const SCHEMA_NAME = 'ipcbench-result';
/**
 * 2: the stored summary is keyed and scaled by the metric table (bench/metrics.ts). 3: a repetition's operations per
 * second are stored under the metric's name, `throughput` (versions 1 and 2 called it `opsPerSec`). 1 and 2 are still
 * read, and upgraded on reading (below), so every reader sees one vocabulary and files of different versions compare.
 */
export const SCHEMA_VERSION = 3;
const READABLE_VERSIONS = [1, 2, 3];

import { ENVIRONMENTS, LOOP_MODES, PLACEMENTS, ROLES, WORKLOADS, type CaseKey } from '../common/vocabulary.js';

export { ENVIRONMENTS, PLACEMENTS, ROLES, WORKLOADS, type CaseKey };

export const caseKeySchema = z.object({
  transport: z.string(),
  workload: z.enum(WORKLOADS),
  size: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  subscribers: z.number().int().nonnegative(),
  uninterested: z.number().int().nonnegative(),
  placement: z.enum(PLACEMENTS),
  mode: z.enum(LOOP_MODES),
  rate: z.number().nonnegative(),
  env: z.enum(ENVIRONMENTS),
}) satisfies z.ZodType<CaseKey>;

export const latencySchema = z.object({
  count: z.number(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
  mean: z.number(),
  /** HdrHistogram V2 compressed, base64 ("HISTF..."): decode with hdr-histogram-js or any HdrHistogram tool. */
  histogram: z.string().optional(),
});
export type Latency = z.infer<typeof latencySchema>;

export const processCpuSchema = z.object({
  role: z.enum(ROLES),
  pid: z.number().int().optional(),
  userNs: z.number(),
  sysNs: z.number(),
  vcsw: z.number(),
  ivcsw: z.number(),
});
export type ProcessCpu = z.infer<typeof processCpuSchema>;

export const deliverySchema = z.object({
  expected: z.number(),
  delivered: z.number(),
  lost: z.number(),
  duplicated: z.number(),
  corrupted: z.number(),
  late: z.number(),
  refused: z.number(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const repetitionSchema = z.object({
  index: z.number().int().nonnegative(),
  /** When the repetition's peers were started, in ms from the start of the run (a time axis for drift studies). */
  startMs: z.number().optional(),
  /**
   * The machine's speed just before the repetition: ns of a fixed piece of work (system calls, a 16 KiB copy,
   * arithmetic) on the case's first CPU, the shortest of 7 timings. A covariate for drift studies.
   */
  probeNs: z.number().optional(),
  /**
   * Started in an off-speed stretch of the machine (the document's slowStretches): left out of the case's estimates
   * and precision, and repeated when the time budget allows (docs/statistics.md, "Slow stretches").
   */
  setAside: z.boolean().optional(),
  ops: z.number(),
  bytes: z.number(),
  wallNs: z.number(),
  /** Operations per second of wall time: the metric `throughput` (named `opsPerSec` before schema version 3). */
  throughput: z.number(),
  mbPerSec: z.number(),
  /** rpc: round trip per call; broadcast: send -> delivery at each interested subscriber. All ns. */
  latency: latencySchema,
  lastSubscriber: latencySchema.optional(),
  publishCall: latencySchema.optional(),
  delivery: deliverySchema.optional(),
  cpu: z.array(processCpuSchema),
  cpuNsPerOp: z.object({ total: z.number(), byRole: z.record(z.string(), z.number()) }),
  ctxSwitchesPerOp: z.number(),
});
export type Repetition = z.infer<typeof repetitionSchema>;

export const estimateSchema = z.object({
  median: z.number(),
  low: z.number(),
  high: z.number(),
  n: z.number().int(),
});
export type Estimate = z.infer<typeof estimateSchema>;

export const summarySchema = z.record(z.string(), estimateSchema);
export type Summary = z.infer<typeof summarySchema>;

export const precisionSchema = z.object({
  metric: z.literal('p50'),
  target: z.number(),
  /** Relative 95% CI half-width; null when it cannot be told (fewer than 2 repetitions). */
  halfWidth: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  met: z.boolean(),
});
export type Precision = z.infer<typeof precisionSchema>;

export const CASE_STATES = ['ok', 'skipped', 'unavailable', 'errored'] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const caseResultSchema = z.object({
  key: caseKeySchema,
  state: z.enum(CASE_STATES),
  reason: z.string().optional(),
  transportVersion: z.string().optional(),
  startedAt: z.string(),
  repetitions: z.array(repetitionSchema),
  /** Median over repetitions with a bootstrap 95% CI, per metric id of bench/metrics.ts, in its unit. */
  summary: summarySchema.optional(),
  /**
   * Whether the median p50 met the run's precision target (--ci-target): its hierarchical-bootstrap 95% CI
   * (bench/case-precision.ts). A case with met = false is flagged in the table and the report.
   */
  precision: precisionSchema.optional(),
});
export type CaseResult = z.infer<typeof caseResultSchema>;

/** The running kernel's facts that change IPC costs (bench/kernel-facts.ts). Optional: older results lack them. */
export const kernelFactsSchema = z.object({
  release: z.string(),
  /** uname -v */
  version: z.string(),
  /** The lab kernel id (ipcbench-6.1, debian-6.12, ...) when run inside the lab. */
  labKernel: z.string().optional(),
  /** none, voluntary, full, lazy, rt; "(dynamic)" when chosen at boot (PREEMPT_DYNAMIC). */
  preemption: z.string(),
  hz: z.number().int().positive().optional(),
  mitigations: z.object({
    summary: z.string(),
    /** /sys/devices/system/cpu/vulnerabilities/<name> -> its line */
    vulnerabilities: z.record(z.string(), z.string()),
    /** Mitigation options of the kernel config (name without CONFIG_ -> value), when the config is readable. */
    config: z.record(z.string(), z.string()).optional(),
    /** mitigations= on the kernel command line */
    cmdline: z.string().optional(),
  }),
  userNamespaces: z.object({ available: z.boolean(), detail: z.string() }),
  /** Where the kernel config was read (absent: no config found; preemption and HZ are then guesses or unknown). */
  configSource: z.string().optional(),
});
export type KernelFacts = z.infer<typeof kernelFactsSchema>;

export const hostSchema = z.object({
  hostname: z.string(),
  cpuModel: z.string(),
  cores: z.number(),
  onlineCpus: z.number(),
  smt: z.string(),
  governor: z.string(),
  kernel: z.string(),
  virtualization: z.string(),
  loadAverage: z.array(z.number()),
  memoryBytes: z.number(),
  node: z.string(),
  addon: z.string(),
  ipcbench: z.string(),
  gitSha: z.string(),
  env: z.enum(ENVIRONMENTS),
  kernelFacts: kernelFactsSchema.optional(),
});
export type Host = z.infer<typeof hostSchema>;

export const transportStatusSchema = z.object({
  name: z.string(),
  available: z.boolean(),
  reason: z.string().optional(),
  version: z.string().optional(),
});
export type TransportStatus = z.infer<typeof transportStatusSchema>;

export const resultDocumentSchema = z.object({
  schema: z.literal(SCHEMA_NAME),
  schemaVersion: z.number().int(),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  complete: z.boolean(),
  interrupted: z.boolean().optional(),
  argv: z.array(z.string()),
  options: z.record(z.string(), z.unknown()),
  host: hostSchema,
  warnings: z.array(z.string()),
  transports: z.array(transportStatusSchema),
  cases: z.array(caseResultSchema),
  /**
   * Stretches of the run in which every case was slower or faster alike (the machine, not a transport): ms from the
   * run's start, the cases' median deviation (+0.2 = 20% slower), and how many repetitions started in them
   * (bench/statistics/slow-windows.ts).
   */
  slowStretches: z.array(z.object({ fromMs: z.number(), toMs: z.number(), effect: z.number(), repetitions: z.number().int() })).optional(),
  /** How the run used its time budget and how many cases met the precision target. */
  precision: z
    .object({
      target: z.number(),
      met: z.number().int(),
      measured: z.number().int(),
      budgetMs: z.number(),
      elapsedMs: z.number(),
      budgetExhausted: z.boolean(),
    })
    .optional(),
});
export type ResultDocument = z.infer<typeof resultDocumentSchema>;

export class ResultFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ResultFileError';
  }
}

/** Validate an already-parsed document; `file` names it in errors. */
export function parseResultDocument(data: unknown, file: string): ResultDocument {
  if (typeof data === 'object' && data !== null && 'schemaVersion' in data) {
    const v = (data as { schemaVersion: unknown }).schemaVersion;
    if (!READABLE_VERSIONS.includes(v as number))
      throw new ResultFileError(file, `schema version ${String(v)} is not supported (this ipcbench reads ${READABLE_VERSIONS.join(' and ')})`);
  }
  const parsed = resultDocumentSchema.safeParse(renameLegacyFields(data));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ResultFileError(file, `not an ipcbench result file: ${where}: ${issue.message}`);
  }
  return upgrade(parsed.data);
}

/**
 * Versions 1 and 2 stored a repetition's throughput as `opsPerSec`: give it the metric's name before validation (on
 * a copy of the cases; the caller's object is left alone). Anything not shaped like a result document passes through
 * untouched, for the schema to report.
 */
function renameLegacyFields(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const doc = data as { schemaVersion?: unknown; cases?: unknown };
  if (doc.schemaVersion !== 1 && doc.schemaVersion !== 2) return data;
  if (!Array.isArray(doc.cases)) return data;
  const cases = doc.cases.map((c: unknown) => {
    const reps = (c as { repetitions?: unknown } | null)?.repetitions;
    if (!Array.isArray(reps)) return c;
    const renamed = reps.map((r: unknown) => {
      if (typeof r !== 'object' || r === null || !('opsPerSec' in r) || 'throughput' in r) return r;
      const { opsPerSec, ...rest } = r as { opsPerSec: unknown };
      return { ...rest, throughput: opsPerSec };
    });
    return { ...(c as object), repetitions: renamed };
  });
  return { ...doc, cases };
}

/**
 * Version 1 stored a summary under other names and units (opsPerSec, cpuUsPerOp, latency in ns): recompute it from
 * the repetitions with today's metric table, so that every reader sees one vocabulary. Version 2's summary is
 * today's; its repetitions were renamed above.
 */
function upgrade(doc: ResultDocument): ResultDocument {
  if (doc.schemaVersion === SCHEMA_VERSION) return doc;
  if (doc.schemaVersion === 1) {
    const seed = typeof doc.options.seed === 'number' ? doc.options.seed : 1;
    for (const c of doc.cases) c.summary = c.repetitions.length ? summarize(c.repetitions, seed) : undefined;
  }
  return { ...doc, schemaVersion: SCHEMA_VERSION };
}

/** Read and validate a result file. Throws ResultFileError naming the file and the problem. */
export async function readResultFile(file: string): Promise<ResultDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ResultFileError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(file, `corrupt or truncated JSON (${(err as Error).message})`);
  }
  return parseResultDocument(data, file);
}

export function caseLabel(k: CaseKey): string {
  const parts = [k.transport, k.workload, k.size >= 1024 && k.size % 1024 === 0 ? `${k.size / 1024}K` : `${k.size}B`, k.placement];
  if (k.concurrency > 1) parts.push(`x${k.concurrency}`);
  if (k.workload === 'broadcast') parts.push(`N=${k.subscribers}`, `K=${k.uninterested}`, k.mode === 'open' ? `open@${k.rate}/s` : 'closed');
  if (k.env !== 'host') parts.push(k.env);
  return parts.join(' ');
}
