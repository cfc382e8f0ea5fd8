// SPDX-License-Identifier: MIT
// `ipcbench module build kdbus`: our module (native/kernel/kdbus) built out of tree, DKMS-style, against the
// running kernel's headers (/lib/modules/$(uname -r)/build) or any prepared tree (a lab kernel, Debian's
// unpacked linux-headers), into the cache: <cache>/ipcbench/modules/<release>/kdbus/kdbus.ko.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, release as osRelease } from 'node:os';
import { dirname, join } from 'node:path';
import { acquireLock } from '../lab/lock.js';
import { repoRoot } from '../lab/config.js';
import { ModuleError, distroIds, headersHint, moduleRelease, readText, treeRelease } from './kernel-info.js';

export const MODULE_NAMES = ['kdbus', 'binder'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

/** `${XDG_CACHE_HOME:-$HOME/.cache}/ipcbench/modules` */
export function moduleCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(base, 'ipcbench', 'modules');
}

export function kdbusSourceDir(root = repoRoot()): string {
  return join(root, 'native', 'kernel', 'kdbus');
}

/** The files kbuild needs (Kbuild, *.c, *.h), sorted. */
function sourceFiles(src: string): string[] {
  return readdirSync(src)
    .filter((f) => f === 'Kbuild' || /\.[ch]$/.test(f))
    .sort();
}

/** 12 hex digits over the module's sources: a changed source builds again. */
export function sourceHash(src = kdbusSourceDir()): string {
  const h = createHash('sha256');
  for (const f of sourceFiles(src)) h.update(`${f}\n`).update(readFileSync(join(src, f)));
  return h.digest('hex').slice(0, 12);
}

/**
 * One build directory per (release, tree): the lab's default and debug trees share a release string but not
 * their objects. <cache>/ipcbench/modules/<release>-<tree hash>/kdbus/
 */
export function moduleBuildDir(release: string, tree: string, root = moduleCacheRoot()): string {
  return join(root, `${release}-${createHash('sha256').update(tree).digest('hex').slice(0, 8)}`, 'kdbus');
}

/** Built kdbus.ko files for a release, newest first: the own cache, then the IPCBENCH_MODULE_PATH dirs. */
export function moduleCandidates(release: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const roots = [moduleCacheRoot(env), ...(env.IPCBENCH_MODULE_PATH ?? '').split(':').filter((p) => p.startsWith('/'))];
  const found: { ko: string; mtime: number }[] = [];
  for (const r of roots) {
    let dirs: string[];
    try {
      dirs = readdirSync(r).filter((d) => d.startsWith(`${release}-`) && /^[0-9a-f]{8}$/.test(d.slice(release.length + 1)));
    } catch {
      continue;
    }
    for (const d of dirs) {
      const ko = join(r, d, 'kdbus', 'kdbus.ko');
      try {
        found.push({ ko, mtime: statSync(ko).mtimeMs });
      } catch {
        // not built (yet)
      }
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.ko);
}

/** The newest built kdbus.ko for a release (vermagic checked), or undefined. */
export function findKdbusModule(release = osRelease(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const ko of moduleCandidates(release, env)) if (moduleRelease(readFileSync(ko)) === release) return ko;
  return undefined;
}

export interface BuildOptions {
  /** A prepared kernel tree or headers directory (default /lib/modules/$(uname -r)/build). */
  kernelDir?: string;
  log?: (line: string) => void;
  /** Rebuild even when the cached module matches the sources. */
  force?: boolean;
  signal?: AbortSignal;
}

export interface BuiltModule {
  ko: string;
  release: string;
  kernelDir: string;
  sourceHash: string;
  built: boolean;
}

/** What to do about a failed module build, when the output says. */
export function buildFailureHint(output: string, tree: string): string | undefined {
  if (/command not found|No such file or directory.*(gcc|cc)|make: not found/.test(output))
    return 'install the compiler and make: apt-get install build-essential (Fedora: dnf install gcc make)';
  // from 6.12, modpost refuses an out-of-tree module when the tree does not list the kernel's exported symbols
  if (/Module\.symvers is missing/.test(output))
    return `the tree has no Module.symvers (the symbols the kernel exports): run make -C ${tree} modules once (distribution headers packages ship it)`;
  return undefined;
}

function hasPahole(): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d && existsSync(join(d, 'pahole')));
}

function runMake(args: string[], signal?: AbortSignal): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('make', args, { encoding: 'utf8', maxBuffer: 32 << 20, signal }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Build kdbus.ko for the kernel of a tree, or reuse the cached one when the sources did not change. */
export async function buildKdbus(o: BuildOptions = {}): Promise<BuiltModule> {
  const running = osRelease();
  const modulesRoot = process.env.IPCBENCH_MODULES_ROOT;
  const defaultDir =
    !existsSync(`/lib/modules/${running}/build`) && modulesRoot?.startsWith('/') && existsSync(join(modulesRoot, 'lib', 'modules', running, 'build'))
      ? join(modulesRoot, 'lib', 'modules', running, 'build')
      : `/lib/modules/${running}/build`;
  const kernelDir = o.kernelDir ?? defaultDir;
  if (!existsSync(join(kernelDir, 'Makefile'))) {
    if (o.kernelDir) throw new ModuleError(`${o.kernelDir} is not a kernel tree or headers directory (no Makefile)`, undefined, 2);
    throw new ModuleError(
      `the running kernel's build files are missing (${defaultDir})`,
      `${headersHint(running, distroIds(readText('/etc/os-release')))}; or give a prepared tree with --kernel-dir DIR`,
    );
  }
  const release = treeRelease(kernelDir);
  if (!release)
    throw new ModuleError(`${kernelDir} is not prepared for module builds (no include/generated/utsrelease.h)`, `make -C ${kernelDir} modules_prepare`);
  const src = kdbusSourceDir();
  if (!existsSync(join(src, 'Kbuild'))) throw new ModuleError(`the kdbus sources are missing (${src})`);
  const hash = sourceHash(src);
  let tree = kernelDir;
  try {
    tree = realpathSync(kernelDir);
  } catch {
    // keep as given
  }
  const dir = moduleBuildDir(release, tree);
  const ko = join(dir, 'kdbus.ko');
  const stampPath = join(dir, 'built.json');
  const fresh = () => {
    const stamp = readText(stampPath);
    if (o.force || !stamp || !existsSync(ko)) return false;
    const s = JSON.parse(stamp) as { sourceHash?: string; kernelDir?: string };
    return s.sourceHash === hash && s.kernelDir === tree;
  };
  if (fresh()) return { ko, release, kernelDir: tree, sourceHash: hash, built: false };
  // one build per directory at a time (two lab runs may ask at once)
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  const unlock = await acquireLock(join(dirname(dir), 'build.lock'), o.log ?? (() => {}), o.signal);
  try {
    if (fresh()) return { ko, release, kernelDir: tree, sourceHash: hash, built: false };
    return await compile(src, dir, tree, release, hash, o.signal, o.log);
  } finally {
    unlock();
  }
}

async function compile(
  src: string,
  dir: string,
  tree: string,
  release: string,
  hash: string,
  signal?: AbortSignal,
  log?: (l: string) => void,
): Promise<BuiltModule> {
  const ko = join(dir, 'kdbus.ko');
  const stampPath = join(dir, 'built.json');
  const o = { log, signal };
  o.log?.(`module build: kdbus for ${release} against ${tree}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const f of sourceFiles(src)) copyFileSync(join(src, f), join(dir, f));
  // Kernels that ship vmlinux with their headers (Debian 6.12) add BTF type info to modules with pahole; it
  // only serves BPF introspection, so without pahole build without it rather than fail
  const wantsBtf = /^CONFIG_DEBUG_INFO_BTF_MODULES=y$/m.test(readText(join(tree, '.config')) ?? '') && existsSync(join(tree, 'vmlinux'));
  const btf = wantsBtf && !hasPahole() ? ['CONFIG_DEBUG_INFO_BTF_MODULES='] : [];
  if (btf.length) o.log?.('module build: pahole is not installed (apt-get install dwarves): building without BTF type info');
  const r = await runMake(['-C', tree, `M=${dir}`, ...btf, 'modules'], o.signal);
  writeFileSync(join(dir, 'build.log'), r.output, { mode: 0o644 });
  if (r.code !== 0 || !existsSync(ko)) {
    const tail = r.output.trim().split('\n').slice(-15).join('\n');
    const hint = buildFailureHint(r.output, tree);
    // the compiler's first error names the cause; the tail is often only the make lines that follow it
    const firstError = r.output.split('\n').find((l) => /\berror:/.test(l));
    throw new ModuleError(
      `building kdbus against ${tree} failed (make exit ${r.code})${firstError ? `: ${firstError.trim()}` : ''}; last lines of ${join(dir, 'build.log')}:\n${tail}`,
      hint,
    );
  }
  const got = moduleRelease(readFileSync(ko));
  if (got !== release) throw new ModuleError(`the built kdbus.ko says vermagic ${got ?? '(none)'}, expected ${release}`);
  writeFileSync(stampPath, `${JSON.stringify({ release, kernelDir: tree, sourceHash: hash, builtAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o644 });
  return { ko, release, kernelDir: tree, sourceHash: hash, built: true };
}
