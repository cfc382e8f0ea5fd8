// `ipcbench report`: read result files, build the model once, write it in the asked format. Every format
// shares this one signature: (model) -> text or files.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { buildCharts } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildModel, DEFAULT_REFERENCE, loadRuns } from './model.js';
import { renderCsv, renderJson } from './tabular.js';
import { UsageError } from '../common/errors.js';

export const REPORT_FORMATS = ['html', 'svg', 'png', 'md', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A problem with how the command was called (exit code 2, like an unreadable input): the one UsageError. */
export { UsageError };

export interface ReportOptions {
  output?: string;
  format?: ReportFormat;
  reference?: string;
  /** Where md/csv/json go without -o. */
  stdout?: (text: string) => void;
}

const SINGLE_FILE: Record<Exclude<ReportFormat, 'svg' | 'png'>, string> = {
  html: 'index.html',
  md: 'report.md',
  csv: 'summary.csv',
  json: 'summary.json',
};

const EXTENSION_FORMAT: Record<string, ReportFormat> = { '.html': 'html', '.htm': 'html', '.md': 'md', '.csv': 'csv', '.json': 'json' };

export function resolveFormat(output: string | undefined, format: ReportFormat | undefined): ReportFormat {
  if (format) return format;
  const byExt = output ? EXTENSION_FORMAT[extname(output).toLowerCase()] : undefined;
  return byExt ?? 'html';
}

/**
 * Result files, with run bundles (the directory `ipcbench run` writes when it measured the lab too:
 * results/<run-id>/host.json, lab-tcg.json, …) opened into their files, host first.
 */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const st = await stat(input).catch(() => undefined);
    if (!st?.isDirectory()) {
      out.push(input);
      continue;
    }
    const names = (await readdir(input))
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort((a, b) => (a === 'host.json' ? -1 : b === 'host.json' ? 1 : a.localeCompare(b)));
    if (!names.length) throw new UsageError(`${input} is a directory without result files`);
    out.push(...names.map((n) => join(input, n)));
  }
  return out;
}

/** Write the report; returns the paths written (empty when it went to stdout). */
export async function writeReport(files: readonly string[], o: ReportOptions): Promise<string[]> {
  if (!files.length) throw new UsageError('give at least one result file');
  const format = resolveFormat(o.output, o.format);
  const model = buildModel(await loadRuns(await expandInputs(files)), o.reference ?? DEFAULT_REFERENCE);

  if (format === 'svg' || format === 'png') {
    if (!o.output) throw new UsageError(`--format ${format} writes one file per chart: give a directory with -o`);
    if (extname(o.output)) throw new UsageError(`--format ${format} writes one file per chart: -o must be a directory, not ${o.output}`);
    await mkdir(o.output, { recursive: true });
    // vega and vega-lite load here, not with the CLI: every other command starts without them.
    const { renderPng, renderSvg } = await import('./svg.js');
    const written: string[] = [];
    for (const chart of buildCharts(model).charts) {
      const path = join(o.output, `${chart.id}.${format}`);
      await writeFile(path, format === 'svg' ? await renderSvg(chart.spec) : await renderPng(chart.spec));
      written.push(path);
    }
    return written;
  }

  const text = format === 'html' ? renderHtml(model) : format === 'md' ? renderMarkdown(model) : format === 'csv' ? renderCsv(model) : renderJson(model);
  if (!o.output) {
    if (format === 'html') throw new UsageError('the HTML report needs -o <dir|file.html>');
    (o.stdout ?? ((t: string) => process.stdout.write(t)))(text);
    return [];
  }
  let path = o.output;
  const byExt = EXTENSION_FORMAT[extname(path).toLowerCase()];
  if (byExt && byExt !== format) throw new UsageError(`-o ${path} looks like ${byExt} but --format is ${format}: give a matching file name or a directory`);
  if (!byExt) {
    await mkdir(path, { recursive: true });
    path = join(path, SINGLE_FILE[format]);
  }
  await writeFile(path, text);
  return [path];
}
