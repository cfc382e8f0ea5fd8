// SPDX-License-Identifier: MIT
// Where a built (`ipcbench-*`) lab kernel lives in the cache: one directory per (source version, config hash,
// variant), its release, and pruning of outdated entries.
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BuiltKernelSpec,
  DEFAULT_KERNEL,
  type KernelId,
  LabError,
  type LabVariant,
  configHash,
  kernelDirName,
  kernelPaths,
  kernelSpec,
  labCacheRoot,
  readFragments,
  sourceVersion,
} from './config.js';

/** The source spec of a built (`ipcbench-*`) kernel id. */
export function builtSpec(id: KernelId = DEFAULT_KERNEL): BuiltKernelSpec {
  const spec = kernelSpec(id);
  if (spec.kind !== 'built') throw new LabError(`${id} is a stock kernel: it is downloaded, not built from source`);
  return spec;
}

/** Resolve the cache entry for a variant without building anything. */
export function kernelLocation(variant: LabVariant = 'default', kernel: KernelId = DEFAULT_KERNEL) {
  const spec = builtSpec(kernel);
  const version = sourceVersion(spec.tarball, spec.sourcePackage);
  const hash = configHash(readFragments(variant));
  const dir = join(labCacheRoot(), kernelDirName(version, hash, variant));
  return { version, hash, spec, ...kernelPaths(dir) };
}

/** `uname -r` of a built tree (include/config/kernel.release), or the source version when unknown. */
export function treeRelease(tree: string, fallback: string): string {
  try {
    return readFileSync(join(tree, 'include', 'config', 'kernel.release'), 'utf8').trim() || fallback;
  } catch {
    return fallback;
  }
}

/**
 * Each cache entry is ~1.6 GB: after a build, keep the newest `keep` entries of the variant (the new one and
 * the previous one, which someone may still be building modules against) and remove older ones that no build
 * holds locked. Returns the removed directories.
 */
export function pruneOldKernels(variant: LabVariant, keep = 2, root = labCacheRoot(), series?: string): string[] {
  const entries = readdirSync(root, { withFileTypes: true })
    // one series' builds never push out another's (6.1.x and 6.12.x entries live side by side)
    .filter((d) => d.isDirectory() && d.name.endsWith(`-${variant}`) && (series === undefined || d.name.startsWith(`${series}.`)))
    .map((d) => kernelPaths(join(root, d.name)))
    .map((p) => ({ p, mtime: existsSync(p.stamp) ? statSync(p.stamp).mtimeMs : statSync(p.dir).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  for (const { p } of entries.slice(keep)) {
    if (existsSync(p.lock)) continue;
    rmSync(p.dir, { recursive: true, force: true });
    removed.push(p.dir);
  }
  return removed;
}
