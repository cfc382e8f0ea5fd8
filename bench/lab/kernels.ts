// SPDX-License-Identifier: MIT
// One entry point for every lab kernel id: built from source (`ipcbench-*`, kernel.ts) or Debian's stock
// image (`debian-*`, stock.ts). What the boot and the module build need is the same either way.
import { type KernelId, type LabVariant, DEFAULT_KERNEL, checkVariant, kernelSpec } from './config.js';
import { ensureKernel } from './kernel.js';
import { ensureStockKernel } from './stock.js';

export interface LabKernel {
  kernel: KernelId;
  kind: 'built' | 'stock';
  variant: LabVariant;
  /** The image qemu boots (-kernel). */
  bzImage: string;
  /** Stock kernels: the suite's initramfs (busybox + 9p/virtio modules). */
  initrd?: string;
  /** Build out-of-tree modules with `make -C <moduleTree> M=<dir> modules` (a built tree, or Debian's headers). */
  moduleTree: string;
  /** `uname -r` inside. */
  release: string;
  /** Debian package version of the source or the image. */
  version: string;
  configHash?: string;
  /** The kernel's .config. */
  config: string;
  /** How binder appears: built in with binderfs, or Debian's binder_linux module (devices= parameter). */
  binder: 'binderfs' | 'module';
  binderModule?: string;
  /** Stock kernels: the unpacked lib/modules and boot/, bind-mounted over /lib/modules and /boot inside. */
  modulesDir?: string;
  bootDir?: string;
  /** Made by this call (built or downloaded) rather than found in the cache. */
  built: boolean;
}

export interface EnsureLabKernelOptions {
  kernel?: KernelId;
  variant?: LabVariant;
  log?: (line: string) => void;
  signal?: AbortSignal;
  force?: boolean;
}

/** Build, download or find the lab kernel of an id (and variant). */
export async function ensureLabKernel(o: EnsureLabKernelOptions = {}): Promise<LabKernel> {
  const kernel = o.kernel ?? DEFAULT_KERNEL;
  const variant = o.variant ?? 'default';
  checkVariant(kernel, variant);
  if (kernelSpec(kernel).kind === 'stock') {
    const s = await ensureStockKernel(kernel, { log: o.log, signal: o.signal, force: o.force });
    return {
      kernel,
      kind: 'stock',
      variant,
      bzImage: s.bzImage,
      initrd: s.initrd,
      moduleTree: s.headers,
      release: s.release,
      version: s.version,
      config: s.config,
      binder: 'module',
      binderModule: s.binderModule,
      modulesDir: s.modulesDir,
      bootDir: s.bootDir,
      built: s.built,
    };
  }
  const k = await ensureKernel({ kernel, variant, log: o.log, signal: o.signal, force: o.force });
  return {
    kernel,
    kind: 'built',
    variant,
    bzImage: k.bzImage,
    moduleTree: k.tree,
    release: k.release,
    version: k.sourceVersion,
    configHash: k.configHash,
    config: k.config,
    binder: 'binderfs',
    built: k.built,
  };
}
