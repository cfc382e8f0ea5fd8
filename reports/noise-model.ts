// The calibrated run-level noise model (`ipcbench calibrate`), stored as JSON beside the results: for every case
// and metric, how far apart two runs of identical code land on this machine. `compare --noise <file>` raises
// its threshold to that floor per case, so drift between two separate runs no longer reads as a regression.
// Method and its sources: bench/statistics/noise.ts and docs/statistics.md.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ResultFileError, type ResultDocument } from '../bench/result.js';
import { median, noiseFromLogRatios, type NoiseEstimate } from '../bench/statistics/index.js';
import { GATED_METRICS, metric, valuesOf } from './metrics.js';
import { caseId } from './model.js';

export const NOISE_SCHEMA = 'ipcbench-noise';
export const NOISE_SCHEMA_VERSION = 1;

const estimateSchema = z.object({
  pairs: z.number().int().nonnegative(),
  sigma: z.number(),
  sigmaUpper: z.number(),
  floor: z.number(),
  worstSeen: z.number(),
});

export const noiseFileSchema = z.object({
  schema: z.literal(NOISE_SCHEMA),
  schemaVersion: z.literal(NOISE_SCHEMA_VERSION),
  createdAt: z.string(),
  host: z.object({ hostname: z.string(), cpuModel: z.string(), env: z.string() }),
  /** An A/A pair exceeds the floor with probability 1 − level. */
  level: z.number(),
  runs: z.array(z.object({ baseline: z.string(), candidate: z.string() })),
  cases: z.record(z.string(), z.record(z.string(), estimateSchema)),
});
export type NoiseFile = z.infer<typeof noiseFileSchema>;

/** Build the noise model from A/A pairs of result documents (identical code, measured one after the other). */
export function calibrateFromPairs(
  pairs: readonly (readonly [ResultDocument, ResultDocument])[],
  o: { metrics?: readonly string[]; level?: number } = {},
): NoiseFile {
  const metrics = o.metrics ?? GATED_METRICS;
  const level = o.level ?? 0.99;
  const ratios = new Map<string, Map<string, number[]>>();
  for (const [a, b] of pairs) {
    const bCases = new Map(b.cases.map((c) => [caseId(c.key), c]));
    for (const ca of a.cases) {
      const cb = bCases.get(caseId(ca.key));
      if (!cb || ca.state !== 'ok' || cb.state !== 'ok') continue;
      for (const id of metrics) {
        const def = metric(id);
        const ma = median(valuesOf(ca.repetitions, def));
        const mb = median(valuesOf(cb.repetitions, def));
        if (!(ma > 0 && mb > 0)) continue;
        const perCase = ratios.get(caseId(ca.key)) ?? new Map<string, number[]>();
        perCase.set(id, [...(perCase.get(id) ?? []), Math.log(mb / ma)]);
        ratios.set(caseId(ca.key), perCase);
      }
    }
  }
  const cases: Record<string, Record<string, NoiseEstimate>> = {};
  for (const [id, perMetric] of ratios) {
    cases[id] = {};
    for (const [m, l] of perMetric) cases[id]![m] = noiseFromLogRatios(l, { level });
  }
  const first = pairs[0]?.[0];
  return {
    schema: NOISE_SCHEMA,
    schemaVersion: NOISE_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    host: { hostname: first?.host.hostname ?? '', cpuModel: first?.host.cpuModel ?? '', env: first?.host.env ?? 'host' },
    level,
    runs: pairs.map(([a, b]) => ({ baseline: a.runId, candidate: b.runId })),
    cases,
  };
}

export async function readNoiseFile(file: string): Promise<NoiseFile> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ResultFileError(file, e.code ? `cannot read: ${e.code}` : `corrupt or truncated JSON (${e.message})`);
  }
  const parsed = noiseFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ResultFileError(file, `not an ipcbench noise file (from ipcbench calibrate): ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The calibrated floor for a case and metric, when the model has it with at least 2 pairs. */
export function noiseFloor(noise: NoiseFile | undefined, id: string, metricId: string): number | undefined {
  const e = noise?.cases[id]?.[metricId];
  return e && e.pairs >= 2 && Number.isFinite(e.floor) ? e.floor : undefined;
}
