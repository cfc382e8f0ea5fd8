// `ipcbench trend <results...>`: change points over a history of runs. Exit 0 (a report, not a gate), 2 on bad input.
import { Command, Option } from 'commander';
import { readResultFile, ResultFileError } from '../bench/result.js';
import { METRICS } from './metrics.js';
import { formatTrends, trends } from './trend.js';

export function registerTrendCommand(program: Command): void {
  program
    .command('trend')
    .description('per case, is a metric stable over a history of runs, did it step at one run, or is it drifting (change-point detection)')
    .argument('<results...>', 'result files of the same case list (any order: sorted by start time)')
    .addOption(new Option('--metric <id>', 'metric to follow').choices(METRICS.map((m) => m.id)).default('p50'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'md', 'json']).default('text'))
    .option('--changed', 'list only cases with a step or a drift')
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    })
    .action(async (files: string[], o: { metric: string; format: 'text' | 'md' | 'json'; changed?: boolean }) => {
      try {
        const docs = [];
        for (const f of files) docs.push(await readResultFile(f));
        let list = trends(docs, o.metric);
        if (o.changed) list = list.filter((t) => t.analysis.kind === 'step' || t.analysis.kind === 'drift');
        process.stdout.write(formatTrends(list, o.format));
        if (docs.length < 3) process.stderr.write(`ipcbench trend: ${docs.length} run(s): at least 3 are needed to tell a step from noise\n`);
      } catch (err) {
        if (err instanceof ResultFileError) {
          process.stderr.write(`ipcbench trend: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
}
