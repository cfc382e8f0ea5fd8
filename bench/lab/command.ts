// SPDX-License-Identifier: MIT
// `ipcbench lab build | run | exec`: declares the flags; the work is in kernel.ts, boot.ts and run.ts.
import { type Command, Option } from 'commander';
import type { AccelChoice } from './accel.js';
import { bootLab } from './boot.js';
import { KERNEL_IDS, LAB_VARIANTS, LabError, LabInterrupted, type LabVariant, checkVariant, parseKernelId } from './config.js';
import { ensureLabKernel } from './kernels.js';
import { labRun, stripHostOnlyArgs } from './run.js';

function variantOption(): Option {
  return new Option('--variant <variant>', 'kernel variant: default, or debug (KASAN, lockdep) for testing kernel code')
    .choices(LAB_VARIANTS)
    .default('default');
}

function kernelOption(): Option {
  return new Option('--kernel <id>', 'lab kernel: ipcbench-6.1 (ours, default), ipcbench-6.12, debian-6.1, debian-6.12 (Debian stock); docs/kernels.md')
    .choices(KERNEL_IDS)
    .default(process.env.IPCBENCH_LAB_KERNEL || 'ipcbench-6.1');
}

function accelOption(): Option {
  return new Option('--accel <accel>', 'auto: KVM when a test boot proves it works, else TCG')
    .choices(['auto', 'kvm', 'tcg'])
    .default(process.env.IPCBENCH_LAB_ACCEL || 'auto');
}

function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new LabError(`bad timeout '${text}': expected seconds > 0`);
  return n;
}

/** Ctrl-C / SIGTERM abort the VM (a second one exits at once). */
function withSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const on = (sig: NodeJS.Signals) => {
    if (++count > 1) process.exit(130);
    process.stderr.write(`\n${sig}: stopping the lab VM\n`);
    controller.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return fn(controller.signal).finally(() => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  });
}

/** LabErrors are the user's to fix: one message, exit 3 (no stack trace). */
async function guarded(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    process.stderr.write(`ipcbench: ${err.message}\n`);
    process.exitCode = err instanceof LabInterrupted ? 130 : 3;
  }
}

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('our own kernel under qemu (Binder, binderfs, kdbus module): build, run, exec');

  lab
    .command('build')
    .description('build (ipcbench-*) or download (debian-*) the lab kernel, or find it in the cache; prints its image and module tree')
    .addOption(kernelOption())
    .addOption(variantOption())
    .option('--force', 'rebuild even when cached')
    .option('--print-tree', 'print only the tree to build modules against (make -C <tree> M=<dir> modules)')
    .action(async (o: { kernel: string; variant: LabVariant; force?: boolean; printTree?: boolean }) =>
      guarded(() =>
        withSignals(async (signal) => {
          const kernel = parseKernelId(o.kernel);
          checkVariant(kernel, o.variant);
          const k = await ensureLabKernel({ kernel, variant: o.variant, force: o.force, signal });
          if (o.printTree) process.stdout.write(`${k.moduleTree}\n`);
          else
            process.stdout.write(
              [
                `kernel   ${k.kernel} (${k.kind === 'stock' ? "Debian's stock image" : 'built from source'})`,
                `variant  ${k.variant}`,
                `version  ${k.version}`,
                `release  ${k.release}`,
                ...(k.configHash ? [`config   ${k.configHash}`] : []),
                `bzImage  ${k.bzImage}`,
                ...(k.initrd ? [`initrd   ${k.initrd}`] : []),
                `tree     ${k.moduleTree}`,
                `binder   ${k.binder === 'binderfs' ? 'built in, binderfs' : `binder_linux module (${k.binderModule ?? 'missing'}), no binderfs`}`,
                `cached   ${k.built ? 'no (made now)' : 'yes'}`,
                '',
              ].join('\n'),
            );
          return 0;
        }),
      ),
    );

  lab
    .command('exec')
    .description('boot the lab and run one shell command inside; its output streams here, its exit code is ours')
    .addOption(kernelOption())
    .addOption(variantOption())
    .addOption(accelOption())
    .option('--timeout <seconds>', 'kill the VM after this long, boot included', '600')
    .option('--kernel-arg <param>', 'extra guest kernel parameter, e.g. loglevel=7 (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .argument('<command...>', 'shell command (put it after --)')
    .action(async (words: string[], o: { kernel: string; variant: LabVariant; accel: AccelChoice; timeout: string; kernelArg: string[] }) =>
      guarded(() =>
        withSignals(async (signal) => {
          const kernel = parseKernelId(o.kernel);
          checkVariant(kernel, o.variant);
          const r = await bootLab({
            command: words.join(' '),
            kernel,
            variant: o.variant,
            accel: o.accel,
            timeoutMs: seconds(o.timeout) * 1000,
            kernelArgs: o.kernelArg,
            signal,
          });
          process.stderr.write(
            `lab: ${r.kernel.kernel} (${r.kernel.release}), ${r.env} (${r.accelReason}), booted in ${(r.bootMs / 1000).toFixed(1)} s, exit ${r.exitCode}\n`,
          );
          return r.exitCode;
        }),
      ),
    );

  lab
    .command('run')
    .description('run `ipcbench run [options]` inside the lab; result files (env lab-tcg or lab-kvm) land in --out')
    .addOption(kernelOption())
    .addOption(variantOption())
    .addOption(accelOption())
    .option('--lab-timeout <seconds>', 'kill the VM after this long, boot included', '3600')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('--lab-help', 'help for the lab side; every other option goes to `ipcbench run` (see ipcbench run --help)')
    .argument('[run-options...]', 'options for `ipcbench run`, e.g. --transports binder,pipe --sizes 64')
    .action(async (_args: string[], o: { kernel: string; variant: LabVariant; accel: AccelChoice; labTimeout: string }, cmd: Command) =>
      guarded(() =>
        withSignals(async (signal) => {
          const kernel = parseKernelId(o.kernel);
          checkVariant(kernel, o.variant);
          const { forward, out } = stripHostOnlyArgs(cmd.args);
          const r = await labRun({
            runArgs: forward,
            out,
            kernel,
            variant: o.variant,
            accel: o.accel,
            timeoutMs: seconds(o.labTimeout) * 1000,
            signal,
          });
          process.stderr.write(
            `lab: ${r.kernel.kernel} (${r.kernel.release}), ${r.env} (${r.accelReason}), booted in ${(r.bootMs / 1000).toFixed(1)} s; results: ${r.files.length ? r.files.join(', ') : 'none'}\n`,
          );
          if (r.exitCode === 0 && r.files.length === 0) {
            process.stderr.write('lab: the run inside finished but wrote no result file\n');
            return 1;
          }
          return r.exitCode;
        }),
      ),
    );
}
