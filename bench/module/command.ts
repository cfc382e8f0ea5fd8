// SPDX-License-Identifier: MIT
// `ipcbench module build|load|unload|status`: kernel transports on the user's own kernel (docs/kernels.md).
// Exit codes: 0 done (or nothing to do), 1 refused or failed here (the reason and the fix on stderr, nothing
// changed), 2 bad input.
import { type Command, Option } from 'commander';
import { MODULE_NAMES, type ModuleName, buildKdbus } from './build.js';
import { ModuleError } from './kernel-info.js';
import { DEFAULT_BINDER_DEVICES, formatStatus, loadBinder, loadKdbus, moduleStatus, unloadBinder, unloadKdbus } from './load.js';

async function guarded(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (err) {
    if (!(err instanceof ModuleError)) throw err;
    process.stderr.write(`ipcbench module: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
}

function moduleArg(name: string, allowed: readonly string[]): ModuleName {
  if (!allowed.includes(name)) throw new ModuleError(`unknown module '${name}' (valid: ${allowed.join(', ')})`, undefined, 2);
  return name as ModuleName;
}

export function registerModuleCommands(program: Command): void {
  const mod = program
    .command('module')
    .description("kernel transports on this machine's own kernel: build our kdbus module, load it or binder, unload, status");

  mod
    .command('build')
    .description('build our kdbus module against the running kernel (or --kernel-dir) into the cache; no root needed')
    .argument('<module>', 'kdbus')
    .option('--kernel-dir <dir>', 'a prepared kernel tree or headers directory (default /lib/modules/$(uname -r)/build)')
    .option('--force', 'rebuild even when the cached module matches the sources')
    .action(async (name: string, o: { kernelDir?: string; force?: boolean }) =>
      guarded(async () => {
        moduleArg(name, ['kdbus']);
        const m = await buildKdbus({ kernelDir: o.kernelDir, force: o.force, log: (l) => process.stderr.write(`${l}\n`) });
        process.stderr.write(`kdbus: ${m.built ? 'built' : 'up to date'} for ${m.release}\n`);
        process.stdout.write(`${m.ko}\n`);
        return 0;
      }),
    );

  mod
    .command('load')
    .description('as root: insmod our kdbus module, or make binder usable (binderfs, or binder_linux with a device pool)')
    .argument('<module>', MODULE_NAMES.join(' | '))
    .addOption(
      new Option('--devices <n>', 'binder without binderfs: devices in the pool (concurrent pairs need one each)').default(String(DEFAULT_BINDER_DEVICES)),
    )
    .option('--ko <file>', 'kdbus: load this module file instead of the one built for the running kernel')
    .action(async (name: string, o: { devices: string; ko?: string }) =>
      guarded(async () => {
        const m = moduleArg(name, MODULE_NAMES);
        const devices = Number(o.devices);
        if (!/^\d+$/.test(o.devices)) throw new ModuleError(`bad --devices '${o.devices}': expected a count`, undefined, 2);
        process.stdout.write(`${m === 'kdbus' ? await loadKdbus({ ko: o.ko }) : await loadBinder({ devices })}\n`);
        return 0;
      }),
    );

  mod
    .command('unload')
    .description('as root: rmmod kdbus, or unmount binderfs / rmmod binder_linux')
    .argument('<module>', MODULE_NAMES.join(' | '))
    .action(async (name: string) =>
      guarded(async () => {
        const m = moduleArg(name, MODULE_NAMES);
        process.stdout.write(`${m === 'kdbus' ? await unloadKdbus() : await unloadBinder()}\n`);
        return 0;
      }),
    );

  mod
    .command('status')
    .description('what is loaded, what is built for this kernel, and whether this kernel accepts our unsigned module')
    .option('--json', 'machine-readable')
    .action(async (o: { json?: boolean }) =>
      guarded(async () => {
        const s = moduleStatus();
        process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s)}\n`);
        return 0;
      }),
    );
}
