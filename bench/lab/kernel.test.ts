// SPDX-License-Identifier: MIT
// ensureKernel on a cache entry built before the recipe wrote Module.symvers (6.12's modpost refuses an
// out-of-tree module without it): the file is written once with `make modules`, nothing is rebuilt. The tree
// here is a stand-in whose Makefile records each call, in a private cache (XDG_CACHE_HOME).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { LINUX_SOURCE_TARBALL } from './config.js';
import { ensureKernel } from './kernel.js';
import { kernelLocation } from './kernel-cache.js';

const skip = existsSync(LINUX_SOURCE_TARBALL) ? false : `${LINUX_SOURCE_TARBALL} is missing (scripts/setup installs linux-source-6.1)`;
const quiet = { log: () => {}, progress: () => {} };

/** A cached entry (built.json, bzImage) whose tree's `make modules` runs `recipe` and counts its calls. */
function fakeEntry(recipe: string) {
  const loc = kernelLocation('default', 'ipcbench-6.1');
  mkdirSync(dirname(loc.bzImage), { recursive: true, mode: 0o700 });
  writeFileSync(loc.bzImage, 'not a kernel\n');
  writeFileSync(loc.stamp, '{}\n');
  writeFileSync(join(loc.tree, 'Makefile'), `modules:\n\techo call >> calls\n\t${recipe}\n`);
  return loc;
}

function withCache(fn: () => Promise<void>) {
  return async () => {
    const cache = mkdtempSync(join(tmpdir(), 'ipcbench-kernel-test-'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      await fn();
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
      rmSync(cache, { recursive: true, force: true });
    }
  };
}

test(
  'a cached kernel without Module.symvers gets it from make modules once, and is not rebuilt',
  { skip },
  withCache(async () => {
    const loc = fakeEntry('echo "0x0 printk vmlinux EXPORT_SYMBOL" > Module.symvers');
    const first = await ensureKernel({ kernel: 'ipcbench-6.1', ...quiet });
    assert.equal(first.built, false);
    assert.match(readFileSync(join(loc.tree, 'Module.symvers'), 'utf8'), /printk/);
    const again = await ensureKernel({ kernel: 'ipcbench-6.1', ...quiet });
    assert.equal(again.built, false);
    assert.equal(readFileSync(join(loc.tree, 'calls'), 'utf8'), 'call\n', 'make modules ran exactly once');
    assert.equal(readFileSync(loc.stamp, 'utf8'), '{}\n', 'the cache entry was kept, not rebuilt');
  }),
);

test(
  'make modules that leaves no Module.symvers is a readable lab error, and the entry is kept',
  { skip },
  withCache(async () => {
    const loc = fakeEntry('true');
    await assert.rejects(ensureKernel({ kernel: 'ipcbench-6.1', ...quiet }), (e: Error) => {
      assert.equal(e.name, 'LabError');
      assert.match(e.message, /Module\.symvers is missing/);
      return true;
    });
    assert.ok(existsSync(loc.stamp) && existsSync(loc.bzImage));
  }),
);
