#!/usr/bin/env node
// ipcbench command line (package.json "bin"). Declares the subcommands only; bench/cli/ holds `run` (its flags,
// options.ts validates, the runner measures, cli/format.ts prints), `list` and `env`; bench/lab/, bench/module/,
// bench/gate/ and reports/ register their own. This file is the one error boundary: every error reaches the user
// as one line and an exit code (2 usage/input, 1 failed cases, 4 results not written to --out, 130/143/129
// stopped by SIGINT/SIGTERM/SIGHUP with the results so far kept; common/errors.ts).
import { Command, CommanderError } from 'commander';
import { UsageError, EXIT } from '../common/errors.js';
import { packageVersion } from './host.js';
import { NativeMissingError } from './native.js';
import type { RawRunFlags } from './options.js';
import { ResultFileError } from './result.js';
import { envCommand, listCommand } from './cli/info-commands.js';
import { addRunOptions, runCommand } from './cli/run-command.js';
import { registerLabCommands } from './lab/command.js';
import { registerModuleCommands } from './module/command.js';
import { registerGateCommands } from './gate/command.js';
import { registerReportCommands } from '../reports/commands.js';
import { registerTrendCommand } from '../reports/trend-command.js';

const EXAMPLES = `
Examples:
  $ ipcbench run                                   default matrix on every available transport
  $ ipcbench run --transports pipe,shm --sizes 64,4K,1M --placement cross-core
  $ ipcbench run --workloads broadcast --subscribers 1,4,16 --uninterested 2
  $ ipcbench run --workloads broadcast --mode open --rate 20000
  $ ipcbench run --json > run.json                 full result document on stdout, table on stderr
  $ ipcbench list                                  which transports work here, and why not
  $ ipcbench lab run --transports binder,pipe      kernel transports inside our own kernel under qemu`;

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let code: number = EXIT.ok;
  program
    .name('ipcbench')
    .description('Benchmark and compare Linux IPC: identical RPC and broadcast workloads over pipes, AF_UNIX, shared memory, D-Bus, Binder and kdbus')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showSuggestionAfterError()
    .addHelpText('after', EXAMPLES);
  addRunOptions(program.command('run').description('run the benchmark matrix and write results/<run-id>.json')).action(async (flags: RawRunFlags) => {
    code = await runCommand(flags, argv);
  });
  program
    .command('list')
    .description('list every transport: available or not, why, and its version')
    .option('--json', 'machine-readable')
    .action(async (o: { json?: boolean }) => {
      code = await listCommand(Boolean(o.json));
    });
  program
    .command('env')
    .description('show the host metadata recorded with every result, and the preflight warnings')
    .option('--json', 'machine-readable')
    .action((o: { json?: boolean }) => {
      code = envCommand(Boolean(o.json));
    });
  registerLabCommands(program);
  registerModuleCommands(program);
  registerReportCommands(program);
  registerGateCommands(program, addRunOptions, (c) => {
    code = c;
  });
  registerTrendCommand(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof UsageError || err instanceof ResultFileError || err instanceof NativeMissingError) {
      process.stderr.write(`ipcbench: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`ipcbench: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 70;
  }
  return typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ipcbench: ${String(err)}\n`);
    process.exitCode = 70;
  },
);
