#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The lab's performance bar, in one run:
//   1. inside the lab: binder RPC 64 B median p50 vs unix-stream and vs pipe (same VM, same kernel);
//   2. the virtualisation tax: the lab's pipe p50 vs the host's pipe p50 (same harness, same options).
// Usage: node dist/bench/lab-tax.js [--repetitions N] [--duration MS] [--out DIR] [--variant default|debug]
// Result files of both runs stay in --out (default results/lab-tax) for the reports.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LabError, type LabVariant, repoRoot } from './lab/config.js';
import { readResultFile } from './result.js';
import { labRun } from './lab/run.js';

interface Doc {
  host: { env: string; kernel?: string };
  cases: { key: { transport: string; placement: string; workload: string; size: number }; state: string; reason?: string; summary?: Record<string, { median: number; low: number; high: number }> }[];
}

const PLACEMENTS = ['same-core', 'cross-core'];

function p50(doc: Doc, transport: string, placement: string): { median: number; low: number; high: number } | undefined {
  const c = doc.cases.find((x) => x.key.transport === transport && x.key.placement === placement && x.key.workload === 'rpc');
  if (!c || c.state !== 'ok' || !c.summary?.p50) return undefined;
  return c.summary.p50;
}

/** Summaries are in the metric table's unit for p50, µs (bench/metrics.ts). */
function us(v: number | undefined): string {
  return v === undefined ? 'n/a' : `${v.toFixed(1)} µs`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`;
}

function newest(dir: string, before: Set<string>): string {
  const fresh = readdirSync(dir).filter((f) => f.endsWith('.json') && !before.has(f));
  if (fresh.length !== 1) throw new Error(`expected one new result file in ${dir}, found ${fresh.length}`);
  return join(dir, fresh[0]!);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      repetitions: { type: 'string', default: '5' },
      duration: { type: 'string', default: '300' },
      out: { type: 'string', default: 'results/lab-tax' },
      variant: { type: 'string', default: 'default' },
    },
  });
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const common = ['--workloads', 'rpc', '--sizes', '64', '--placement', PLACEMENTS.join(','), '-r', values.repetitions!, '--min-repetitions', values.repetitions!, '--ci-target', '0', '-d', values.duration!, '--no-progress'];

  process.stderr.write('lab-tax: host run (pipe)\n');
  const before = new Set(readdirSync(out));
  const host = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'bench', 'cli.js'), 'run', '--transports', 'pipe', ...common, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (host.status !== 0) throw new Error(`the host run failed (exit ${host.status})`);
  const hostDoc: Doc = await readResultFile(newest(out, before));

  process.stderr.write('lab-tax: lab run (binder, unix-stream, pipe)\n');
  const lab = await labRun({ runArgs: ['--transports', 'binder,unix-stream,pipe', ...common], out, variant: values.variant as LabVariant, onOutput: () => {} });
  if (lab.exitCode !== 0 || lab.files.length !== 1) throw new Error(`the lab run failed (exit ${lab.exitCode}); serial log ${lab.serialLog}`);
  const labDoc: Doc = await readResultFile(lab.files[0]!);

  const lines = [
    `RPC 64 B, median over ${values.repetitions} repetitions of p50 round-trip latency`,
    `lab: ${labDoc.host.env}${labDoc.host.env === 'lab-tcg' ? ' (software-emulated CPU: coarse ordering only, not real latency)' : ''}; host: ${hostDoc.host.env}`,
    '',
    `${'placement'.padEnd(11)} ${'binder'.padStart(11)} ${'unix-stream'.padStart(11)} ${'pipe'.padStart(11)} ${'binder/unix'.padStart(11)} ${'binder/pipe'.padStart(11)} ${'host pipe'.padStart(11)} ${'lab/host pipe'.padStart(13)}`,
  ];
  for (const pl of PLACEMENTS) {
    const b = p50(labDoc, 'binder', pl)?.median;
    const u = p50(labDoc, 'unix-stream', pl)?.median;
    const p = p50(labDoc, 'pipe', pl)?.median;
    const hp = p50(hostDoc, 'pipe', pl)?.median;
    lines.push(
      `${pl.padEnd(11)} ${us(b).padStart(11)} ${us(u).padStart(11)} ${us(p).padStart(11)} ${ratio(b, u).padStart(11)} ${ratio(b, p).padStart(11)} ${us(hp).padStart(11)} ${ratio(p, hp).padStart(13)}`,
    );
  }
  lines.push('', `result files: ${[...lab.files].join(', ')} (lab), and the host run in ${out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lab-tax: ${err instanceof LabError ? err.message : String((err as Error).stack ?? err)}\n`);
    process.exitCode = 1;
  },
);
