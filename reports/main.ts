#!/usr/bin/env node
// A standalone entry with only the report commands: `node dist/reports/main.js report|compare ...`. The tests
// drive it as a child process; the real CLI (bench/cli.ts) registers the same commands.
import { Command } from 'commander';
import { registerReportCommands } from './commands.js';

const program = new Command('ipcbench').description('ipcbench reports and comparisons');
registerReportCommands(program);
await program.parseAsync(process.argv);
