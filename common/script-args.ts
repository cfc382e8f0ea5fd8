// SPDX-License-Identifier: MIT
// Flags of the benchmark and study scripts (not the CLI, which uses commander): node's parseArgs, with a bad flag
// reported as one line plus the script's usage and exit code 2, never a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from './errors.js';

export function scriptArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    process.stderr.write(`${(e as Error).message.split('\n')[0]}\nusage: ${usage}\n`);
    process.exit(EXIT.usage);
  }
}
