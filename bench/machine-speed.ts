// SPDX-License-Identifier: MIT
// The machine's speed over a run (docs/statistics.md, "The machine's speed"): every repetition records when it
// started (startMs) and the speed probe taken just before it (probeNs: a fixed piece of work on the case's CPU).
// These lines show, per stretch of the run, the median probe against the run's median probe beside the median of
// the cases' repetition p50s against their own medians, and how well the probe tells a slow repetition: the
// correlation of the two log ratios over all repetitions, and per probe band the cases' median deviation.
// Printed by bench/precision.ts and bench/study/speed.ts.
import type { ResultDocument } from './result.js';
import { median } from './statistics/index.js';

interface Point {
  t: number;
  probe: number;
  dev: number;
}

/** The report's lines, or undefined when fewer than 10 repetitions carry a start time and a probe. */
export function machineSpeedLines(doc: ResultDocument, binS = 10): string[] | undefined {
  const points: Point[] = [];
  for (const c of doc.cases) {
    if (c.state !== 'ok' || c.repetitions.length < 3) continue;
    const m = median(c.repetitions.map((r) => r.latency.p50));
    if (!(m > 0)) continue;
    for (const r of c.repetitions)
      if (r.startMs !== undefined && r.probeNs !== undefined) points.push({ t: r.startMs, probe: r.probeNs, dev: Math.log(r.latency.p50 / m) });
  }
  if (points.length < 10) return undefined;
  const probeMedian = median(points.map((p) => p.probe));
  for (const p of points) p.probe = Math.log(p.probe / probeMedian);
  const pct = (l: number) => `${l >= 0 ? '+' : ''}${((Math.exp(l) - 1) * 100).toFixed(1)}%`;
  const out: string[] = [`${points.length} repetitions; median probe ${(probeMedian / 1000).toFixed(1)} µs`];
  out.push(`  stretch      reps  probe vs run   cases' p50 vs their median`);
  const bins = new Map<number, Point[]>();
  for (const p of points) {
    const b = Math.floor(p.t / 1000 / binS);
    bins.set(b, [...(bins.get(b) ?? []), p]);
  }
  for (const b of [...bins.keys()].sort((x, y) => x - y)) {
    const ps = bins.get(b)!;
    out.push(
      `  ${String(b * binS).padStart(4)}-${String((b + 1) * binS).padEnd(4)} s ${String(ps.length).padStart(4)}  ${pct(median(ps.map((p) => p.probe))).padStart(10)}   ${pct(median(ps.map((p) => p.dev))).padStart(10)}`,
    );
  }
  const mx = points.reduce((a, p) => a + p.probe, 0) / points.length;
  const my = points.reduce((a, p) => a + p.dev, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const p of points) {
    sxy += (p.probe - mx) * (p.dev - my);
    sxx += (p.probe - mx) ** 2;
    syy += (p.dev - my) ** 2;
  }
  out.push(`  correlation of log(probe / run median) with log(p50 / case median), all repetitions: ${(sxy / Math.sqrt(sxx * syy)).toFixed(2)}`);
  out.push(`  probe band            reps  cases' p50 vs their median: median [middle 80%]`);
  const bands: [string, number, number][] = [
    ['faster than -3%', -Infinity, Math.log(0.97)],
    ['-3% .. +3%', Math.log(0.97), Math.log(1.03)],
    ['+3% .. +10%', Math.log(1.03), Math.log(1.1)],
    ['slower than +10%', Math.log(1.1), Infinity],
  ];
  for (const [name, lo, hi] of bands) {
    const ds = points
      .filter((p) => p.probe >= lo && p.probe < hi)
      .map((p) => p.dev)
      .sort((a, b) => a - b);
    if (!ds.length) continue;
    const q = (f: number) => ds[Math.min(ds.length - 1, Math.floor(f * ds.length))]!;
    out.push(`  ${name.padEnd(20)} ${String(ds.length).padStart(5)}  ${pct(median(ds)).padStart(8)} [${pct(q(0.1))}, ${pct(q(0.9))}]`);
  }
  return out;
}
