// SPDX-License-Identifier: MIT
// The lab kernel's identity: which source, which config fragments, where its build lives in the cache.
// Pure functions (plus small file reads) so the cache key is easy to test and stays stable: the kdbus
// module build and CI caches rely on the layout <cache>/ipcbench/lab/<source-version>-<config-hash>-<variant>/.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_VARIANTS = ['default', 'debug'] as const;
export type LabVariant = (typeof LAB_VARIANTS)[number];

/** Bumped when the build recipe (not the config) changes in a way that needs a fresh tree. */
export const RECIPE_VERSION = 1;

export const LINUX_SOURCE_PACKAGE = 'linux-source-6.1';
export const LINUX_SOURCE_TARBALL = '/usr/src/linux-source-6.1.tar.xz';

/**
 * The kernels the lab boots. `ipcbench-*`: our tinyconfig + fragments built from Debian's linux-source-<series>
 * (binder and binderfs built in). `debian-*`: Debian's own stock images, downloaded and unpacked into the cache,
 * never installed (binder_linux as a module, no binderfs; a small initramfs loads the 9p/virtio modules).
 */
export const KERNEL_IDS = ['ipcbench-6.1', 'ipcbench-6.12', 'debian-6.1', 'debian-6.12'] as const;
export type KernelId = (typeof KERNEL_IDS)[number];
export const DEFAULT_KERNEL: KernelId = 'ipcbench-6.1';

export interface BuiltKernelSpec {
  kind: 'built';
  id: KernelId;
  series: string;
  sourcePackage: string;
  tarball: string;
}

export interface StockKernelSpec {
  kind: 'stock';
  id: KernelId;
  series: string;
  /** The Debian package that depends on the current image of the series (resolved with apt-cache). */
  metaPackage: string;
}

export type KernelSpec = BuiltKernelSpec | StockKernelSpec;

export function kernelSpec(id: KernelId): KernelSpec {
  switch (id) {
    case 'ipcbench-6.1':
      return { kind: 'built', id, series: '6.1', sourcePackage: LINUX_SOURCE_PACKAGE, tarball: LINUX_SOURCE_TARBALL };
    case 'ipcbench-6.12':
      return { kind: 'built', id, series: '6.12', sourcePackage: 'linux-source-6.12', tarball: '/usr/src/linux-source-6.12.tar.xz' };
    case 'debian-6.1':
      return { kind: 'stock', id, series: '6.1', metaPackage: 'linux-image-amd64' };
    case 'debian-6.12':
      return { kind: 'stock', id, series: '6.12', metaPackage: 'linux-image-6.12-amd64' };
  }
}

/** A --kernel value (or IPCBENCH_LAB_KERNEL) checked against the known ids. */
export function parseKernelId(text: string | undefined): KernelId {
  if (text === undefined || text === '') return DEFAULT_KERNEL;
  if ((KERNEL_IDS as readonly string[]).includes(text)) return text as KernelId;
  throw new LabError(`unknown lab kernel '${text}'`, `use one of: ${KERNEL_IDS.join(', ')} (docs/kernels.md says which to pick)`);
}

/** The variants a kernel has: stock kernels are what Debian ships, so they have no debug build. */
export function checkVariant(id: KernelId, variant: LabVariant): void {
  if (kernelSpec(id).kind === 'stock' && variant !== 'default')
    throw new LabError(
      `the ${id} kernel is Debian's stock build: it has no '${variant}' variant`,
      'use --kernel ipcbench-6.1 or ipcbench-6.12 with --variant debug',
    );
}

/** The repository root (this file is bench/lab/config.ts, compiled to dist/bench/lab/config.js). */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = basename(dirname(dirname(here))) === 'dist' ? '../../..' : '../..';
  return resolve(here, up);
}

export function labScriptsDir(root = repoRoot()): string {
  return join(root, 'scripts', 'lab');
}

/** The fragments merged (in this order) on top of tinyconfig for a variant. */
export function fragmentPaths(variant: LabVariant, root = repoRoot()): string[] {
  const dir = labScriptsDir(root);
  const files = [join(dir, 'lab.config')];
  if (variant === 'debug') files.push(join(dir, 'lab-debug.config'));
  return files;
}

export interface Fragment {
  name: string;
  text: string;
}

export function readFragments(variant: LabVariant, root = repoRoot()): Fragment[] {
  return fragmentPaths(variant, root).map((p) => ({ name: basename(p), text: readFileSync(p, 'utf8') }));
}

/** 12 hex digits over the recipe version and every fragment (name and content, in merge order). */
export function configHash(fragments: readonly Fragment[], recipe = RECIPE_VERSION): string {
  const h = createHash('sha256');
  h.update(`ipcbench-lab-recipe-${recipe}\n`);
  for (const f of fragments) {
    h.update(`# fragment ${f.name}\n`);
    h.update(f.text);
  }
  return h.digest('hex').slice(0, 12);
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/ipcbench/lab` */
export function labCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(base, 'ipcbench', 'lab');
}

/** Directory names may only hold what a Debian version can hold, minus anything path-like. */
export function sanitizeVersion(v: string): string {
  return v.replace(/[^A-Za-z0-9.+~-]/g, '_');
}

export function kernelDirName(sourceVersion: string, hash: string, variant: LabVariant): string {
  return `${sanitizeVersion(sourceVersion)}-${hash}-${variant}`;
}

export class LabError extends Error {
  constructor(
    message: string,
    /** What the user should do about it. */
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
    this.name = 'LabError';
  }
}

/** Ctrl-C / SIGTERM: the VM or build was stopped on request (exit 130). */
export class LabInterrupted extends LabError {
  constructor(message = 'lab: interrupted; the VM was stopped') {
    super(message);
    this.name = 'LabInterrupted';
  }
}

/**
 * The version of the kernel source: the Debian package version when dpkg knows it (cheap), else the
 * tarball's size and mtime (still changes whenever the file is replaced).
 */
export function sourceVersion(tarball = LINUX_SOURCE_TARBALL, pkg = LINUX_SOURCE_PACKAGE): string {
  let st;
  try {
    st = statSync(tarball);
  } catch {
    throw new LabError(`the kernel source ${tarball} is missing`, `apt-get install ${pkg}`);
  }
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (v) return v;
  } catch {
    // not a dpkg system, or the tarball came from elsewhere
  }
  return `src${st.size.toString(16)}.${Math.floor(st.mtimeMs / 1000).toString(16)}`;
}

export interface KernelPaths {
  /** <cache>/ipcbench/lab/<version>-<hash>-<variant> */
  dir: string;
  /** The configured and built kernel tree: `make -C <tree> M=<module dir> modules` works against it. */
  tree: string;
  bzImage: string;
  /** Written last, only after a successful build: its presence means "cached". */
  stamp: string;
  buildLog: string;
  lock: string;
}

export function kernelPaths(dir: string): KernelPaths {
  const tree = join(dir, 'tree');
  return {
    dir,
    tree,
    bzImage: join(tree, 'arch', 'x86', 'boot', 'bzImage'),
    stamp: join(dir, 'built.json'),
    buildLog: join(dir, 'build.log'),
    lock: join(dir, 'build.lock'),
  };
}
