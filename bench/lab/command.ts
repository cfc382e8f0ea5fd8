// Placeholder until the lab lands (issue 6): registers nothing.
import type { Command } from 'commander';

export function registerLabCommands(_program: Command): void {}
