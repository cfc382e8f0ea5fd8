// The `report` and `compare` subcommands. This file only declares flags and maps errors to exit codes; the work
// is in report.ts and compare.ts. Exit codes: 0 fine, 1 regression found (compare), 2 usage or input error.
import { Command, InvalidArgumentError, Option, type CommanderError } from 'commander';
import { writeFile } from 'node:fs/promises';
import { readResultFile, ResultFileError } from '../bench/result.js';
import { compareResults, DEFAULT_COMPARE_OPTIONS, exitCodeOf } from './compare.js';
import { COMPARE_FORMATS, formatComparison, type CompareFormat } from './compare-format.js';
import { toBencherMetricFormat, toGithubActionBenchmark } from './export.js';
import { METRICS } from './metrics.js';
import { DEFAULT_REFERENCE } from './model.js';
import { readNoiseFile } from './noise-model.js';
import { REPORT_FORMATS, UsageError, writeReport, type ReportFormat } from './report.js';
import { EXIT } from '../common/errors.js';

export const EXIT_OK = 0;
export const EXIT_REGRESSION = 1;
export const EXIT_USAGE = EXIT.usage;

function percent(value: string): number {
  const n = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n >= 1000) throw new InvalidArgumentError('expected a percentage such as 5 or 7.5');
  return n / 100;
}

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError('expected a number between 0 and 1, such as 0.05');
  return n;
}

function metricList(value: string): string[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !METRICS.some((m) => m.id === id));
  if (unknown.length) throw new InvalidArgumentError(`unknown metric(s) ${unknown.join(', ')}; known: ${METRICS.map((m) => m.id).join(', ')}`);
  return ids;
}

/**
 * svg.ts's MissingOptionalPackageError, told by its name: importing svg.ts here would load vega and vega-lite into
 * every ipcbench command (seconds of start-up inside the emulated lab); report.ts loads it only for SVG and PNG.
 */
function isMissingOptionalPackage(err: unknown): err is Error {
  return err instanceof Error && err.name === 'MissingOptionalPackageError';
}

/** One boundary for errors: known problems become one line on stderr and exit code 2; bugs keep their stack. */
async function guarded(command: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof ResultFileError || err instanceof UsageError || isMissingOptionalPackage(err)) {
      process.stderr.write(`ipcbench ${command}: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw err;
  }
}

/**
 * Commander exits with 1 on a usage error (unknown option, missing argument); 1 means "regression" here, so
 * usage errors must exit 2. Commander has already printed its message when this runs, and would exit the
 * process itself right after, so exiting here only changes the code.
 */
function usageErrorsExit2(cmd: Command): Command {
  return cmd.exitOverride((err: CommanderError) => {
    if (err.exitCode === 0) process.exit(0); // --help, --version
    process.exit(EXIT_USAGE);
  });
}

export function registerReportCommands(program: Command): void {
  const report = program
    .command('report')
    .description('write a report from result files: HTML with charts (self-contained, offline), SVG/PNG charts, Markdown, CSV or JSON')
    .argument(
      '<results...>',
      'result files (results/<run-id>.json) or run bundles (results/<run-id>/, host and lab); several runs of one environment give a trend, in the order given',
    )
    .option('-o, --output <dir|file>', 'output file (extension picks the format) or directory; md/csv/json go to stdout without it')
    .addOption(new Option('-f, --format <format>', 'output format (default: from -o extension, else html)').choices(REPORT_FORMATS))
    .option('--reference <transport>', 'transport the ratio chart and column divide by', DEFAULT_REFERENCE)
    .addHelpText(
      'after',
      '\nExamples:\n  ipcbench report results/run.json -o report.html\n  ipcbench report results/*.json -o site/   (writes site/index.html with a trend)\n' +
        '  ipcbench report results/run.json --format svg -o charts/\n  ipcbench report results/run.json --format md >> "$GITHUB_STEP_SUMMARY"\n' +
        '\nPNG needs the optional package "canvas" (npm install canvas); SVG needs nothing extra.',
    )
    .action(async (files: string[], opts: { output?: string; format?: ReportFormat; reference: string }) => {
      await guarded('report', async () => {
        const written = await writeReport(files, {
          ...(opts.output !== undefined ? { output: opts.output } : {}),
          ...(opts.format !== undefined ? { format: opts.format } : {}),
          reference: opts.reference,
        });
        for (const w of written) process.stderr.write(`wrote ${w}\n`);
      });
    });
  usageErrorsExit2(report);

  const compare = program
    .command('compare')
    .description('compare two result files case by case; exit 1 when a change is both significant and beyond the threshold')
    .argument('<baseline>', 'baseline result file (e.g. from the main branch)')
    .argument('<current>', 'current result file (e.g. from the pull request)')
    .addOption(
      new Option('--threshold <percent>', 'smallest change that counts, for medians, throughput and CPU')
        .argParser(percent)
        .default(DEFAULT_COMPARE_OPTIONS.threshold, `${DEFAULT_COMPARE_OPTIONS.threshold * 100}%`),
    )
    .addOption(
      new Option('--tail-threshold <percent>', 'smallest change that counts for tail percentiles (p99)')
        .argParser(percent)
        .default(DEFAULT_COMPARE_OPTIONS.tailThreshold, `${DEFAULT_COMPARE_OPTIONS.tailThreshold * 100}%`),
    )
    .option('--alpha <p>', 'significance level of the Mann–Whitney test', probability, DEFAULT_COMPARE_OPTIONS.alpha)
    .option('--metrics <ids>', `comma-separated metrics to compare (default ${DEFAULT_COMPARE_OPTIONS.metrics.join(',')})`, metricList)
    .addOption(
      new Option('--correction <method>', 'multiple-comparison correction of the p-values: none, or holm (fewer false alarms, needs more repetitions)')
        .choices(['none', 'holm'])
        .default('none'),
    )
    .option('--normalize <transport>', 'compare ratios to this transport measured in the same run (baseline from another machine)')
    .option('--noise <file>', "calibrated run-to-run noise (ipcbench calibrate): raises each case's threshold to its floor")
    .addOption(new Option('--format <format>', 'output format').choices(COMPARE_FORMATS).default('text'))
    .option('-v, --verbose', 'text format: list every comparison, not only the flagged and borderline ones')
    .option('--bmf <file>', 'also write the current run in Bencher Metric Format JSON')
    .option('--gh-benchmark <file>', 'also write the current run as github-action-benchmark customSmallerIsBetter JSON')
    .addHelpText('after', '\nExit codes: 0 no regression, 1 regression found, 2 usage or input error.\nThresholds are percentages: --threshold 5 means 5%.')
    .action(
      async (
        baselineFile: string,
        currentFile: string,
        opts: {
          threshold: number;
          tailThreshold: number;
          alpha: number;
          correction: 'none' | 'holm';
          metrics?: string[];
          normalize?: string;
          noise?: string;
          format: CompareFormat;
          bmf?: string;
          ghBenchmark?: string;
          verbose?: boolean;
        },
      ) => {
        await guarded('compare', async () => {
          const baseline = await readResultFile(baselineFile);
          const current = await readResultFile(currentFile);
          if (opts.normalize) {
            const present = (doc: typeof baseline) => doc.cases.some((c) => c.key.transport === opts.normalize && c.state === 'ok');
            if (!present(baseline) || !present(current))
              throw new UsageError(
                `--normalize ${opts.normalize}: that transport has no successful case in ${!present(baseline) ? baselineFile : currentFile}`,
              );
          }
          const comparison = compareResults(
            baseline,
            current,
            { baseline: baselineFile, current: currentFile },
            {
              threshold: opts.threshold,
              tailThreshold: opts.tailThreshold,
              alpha: opts.alpha,
              correction: opts.correction,
              ...(opts.metrics ? { metrics: opts.metrics } : {}),
              ...(opts.normalize ? { normalize: opts.normalize } : {}),
              ...(opts.noise ? { noise: await readNoiseFile(opts.noise) } : {}),
            },
          );
          if (opts.bmf) await writeFile(opts.bmf, JSON.stringify(toBencherMetricFormat(current), null, 2) + '\n');
          if (opts.ghBenchmark) await writeFile(opts.ghBenchmark, JSON.stringify(toGithubActionBenchmark(current), null, 2) + '\n');
          process.stdout.write(formatComparison(comparison, opts.format, opts.verbose ?? false));
          process.exitCode = exitCodeOf(comparison) === 1 ? EXIT_REGRESSION : EXIT_OK;
        });
      },
    );
  usageErrorsExit2(compare);
}
