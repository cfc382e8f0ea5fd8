// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configHash, fragmentPaths, kernelDirName, kernelPaths, labCacheRoot, readFragments, sanitizeVersion } from './config.js';
import { missingOptions } from './kernel.js';
import { pruneOldKernels } from './kernel-cache.js';

test('the config hash is stable for the same fragments and changes with any byte or the recipe', () => {
  const frags = [{ name: 'lab.config', text: 'CONFIG_SMP=y\n' }];
  assert.equal(configHash(frags), configHash([{ ...frags[0]! }]));
  assert.match(configHash(frags), /^[0-9a-f]{12}$/);
  assert.notEqual(configHash(frags), configHash([{ name: 'lab.config', text: 'CONFIG_SMP=n\n' }]));
  assert.notEqual(configHash(frags), configHash(frags, 2));
  assert.notEqual(configHash(frags), configHash([...frags, { name: 'lab-debug.config', text: '' }]), 'an added fragment changes it');
});

test('the default and debug variants have different cache entries', () => {
  const def = configHash(readFragments('default'));
  const dbg = configHash(readFragments('debug'));
  assert.notEqual(def, dbg);
  assert.equal(fragmentPaths('default').length, 1);
  assert.equal(fragmentPaths('debug').length, 2);
  assert.equal(kernelDirName('6.1.192-2', def, 'default'), `6.1.192-2-${def}-default`);
});

test('the cache follows XDG_CACHE_HOME, else ~/.cache, and keeps its layout', () => {
  assert.equal(labCacheRoot({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/ipcbench/lab');
  assert.equal(labCacheRoot({ HOME: '/home/u' }), '/home/u/.cache/ipcbench/lab');
  // a relative XDG_CACHE_HOME is invalid by the spec: ignored
  assert.equal(labCacheRoot({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' }), '/home/u/.cache/ipcbench/lab');
  const p = kernelPaths('/c/6.1-abc-default');
  assert.equal(p.tree, '/c/6.1-abc-default/tree');
  assert.equal(p.bzImage, '/c/6.1-abc-default/tree/arch/x86/boot/bzImage');
});

test('source versions cannot escape the cache directory', () => {
  assert.equal(sanitizeVersion('6.1.192-2'), '6.1.192-2');
  assert.equal(sanitizeVersion('../../etc'), '.._.._etc');
  assert.equal(sanitizeVersion('1:6.1+b1~rc'), '1_6.1+b1~rc');
});

test('the default fragment asks for everything the lab depends on', () => {
  const text = readFragments('default')
    .map((f) => f.text)
    .join('\n');
  for (const opt of [
    'CONFIG_ANDROID_BINDER_IPC=y',
    'CONFIG_ANDROID_BINDERFS=y',
    'CONFIG_ANDROID_BINDER_DEVICES="binder,hwbinder,vndbinder"',
    'CONFIG_NET_9P=y',
    'CONFIG_NET_9P_VIRTIO=y',
    'CONFIG_9P_FS=y',
    'CONFIG_VIRTIO_PCI=y',
    'CONFIG_DEVTMPFS=y',
    'CONFIG_TMPFS=y',
    'CONFIG_FUTEX=y',
    'CONFIG_EPOLL=y',
    'CONFIG_EVENTFD=y',
    'CONFIG_SYSVIPC=y',
    'CONFIG_UNIX=y',
    'CONFIG_SERIAL_8250_CONSOLE=y',
    'CONFIG_64BIT=y',
    'CONFIG_SMP=y',
    'CONFIG_BINFMT_ELF=y',
    'CONFIG_BINFMT_SCRIPT=y',
    'CONFIG_MODULES=y',
    'CONFIG_MODULE_UNLOAD=y',
    'CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y',
    '# CONFIG_PTP_1588_CLOCK_KVM is not set',
    // kdbus translates metadata into the receiver's pid and user namespace (conformance line 22)
    'CONFIG_NAMESPACES=y',
    'CONFIG_PID_NS=y',
    'CONFIG_USER_NS=y',
  ])
    assert.ok(text.split('\n').includes(opt), `lab.config lacks ${opt}`);
  const debug = readFileSync(fragmentPaths('debug')[1]!, 'utf8');
  for (const opt of ['CONFIG_KASAN=y', 'CONFIG_PROVE_LOCKING=y', 'CONFIG_DEBUG_ATOMIC_SLEEP=y'])
    assert.ok(debug.split('\n').includes(opt), `lab-debug.config lacks ${opt}`);
});

test('options Kconfig dropped are reported', () => {
  const frag = 'CONFIG_A=y\nCONFIG_B="x,y"\n# CONFIG_C is not set\nCONFIG_D=y\n';
  const final = 'CONFIG_A=y\nCONFIG_B="x,y"\nCONFIG_C=y\n# CONFIG_D is not set\n';
  assert.deepEqual(missingOptions([frag], final), ['CONFIG_C off (got y)', 'CONFIG_D=y (got unset)']);
  assert.deepEqual(missingOptions([frag], 'CONFIG_A=y\nCONFIG_B="x,y"\nCONFIG_D=y\n'), []);
});

test('tailFile-style helpers never throw on a missing log', async () => {
  const { tailFile } = await import('./build-step.js');
  const dir = mkdtempSync(join(tmpdir(), 'ipcbench-test-'));
  try {
    assert.equal(tailFile(join(dir, 'nope')), '(no log)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('old kernel builds of a variant are pruned, the newest two and locked ones kept', () => {
  const root = mkdtempSync(join(tmpdir(), 'ipcbench-test-'));
  try {
    const make = (name: string, age: number, locked = false) => {
      const p = kernelPaths(join(root, name));
      mkdirSync(p.dir);
      writeFileSync(p.stamp, '{}');
      const t = Date.now() / 1000 - age;
      utimesSync(p.stamp, t, t);
      if (locked) writeFileSync(p.lock, '1');
      return p.dir;
    };
    const newest = make('v-a-default', 10);
    const previous = make('v-b-default', 20);
    const old = make('v-c-default', 30);
    const oldLocked = make('v-d-default', 40, true);
    const debug = make('v-e-debug', 50);
    assert.deepEqual(pruneOldKernels('default', 2, root), [old]);
    for (const d of [newest, previous, oldLocked, debug]) assert.ok(existsSync(d), d);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('kernel ids: the default, the known ones, and a readable error for others', async () => {
  const { parseKernelId, checkVariant, kernelSpec, KERNEL_IDS } = await import('./config.js');
  assert.equal(parseKernelId(undefined), 'ipcbench-6.1');
  assert.equal(parseKernelId(''), 'ipcbench-6.1');
  for (const id of KERNEL_IDS) assert.equal(parseKernelId(id), id);
  assert.throws(() => parseKernelId('debian-5.10'), /unknown lab kernel 'debian-5\.10'[\s\S]*ipcbench-6\.1, ipcbench-6\.12, debian-6\.1, debian-6\.12/);
  assert.equal(kernelSpec('ipcbench-6.12').kind, 'built');
  assert.match((kernelSpec('ipcbench-6.12') as { tarball: string }).tarball, /linux-source-6\.12\.tar\.xz$/);
  assert.equal(kernelSpec('debian-6.12').kind, 'stock');
  assert.doesNotThrow(() => checkVariant('ipcbench-6.12', 'debug'));
  assert.throws(() => checkVariant('debian-6.1', 'debug'), /stock build: it has no 'debug' variant/);
});

test("pruning keeps each series' builds: a 6.12 build never removes the 6.1 ones", () => {
  const root = mkdtempSync(join(tmpdir(), 'ipcbench-prune-series-'));
  try {
    const make = (name: string, age: number) => {
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'built.json'), '{}');
      const t = new Date(Date.now() - age * 1000);
      utimesSync(join(dir, 'built.json'), t, t);
      return dir;
    };
    const a = make('6.1.192-3-aaaaaaaaaaaa-default', 30);
    const b = make('6.1.192-3-bbbbbbbbbbbb-default', 20);
    const c = make('6.12.117-1~deb12u1-aaaaaaaaaaaa-default', 10);
    const d = make('6.12.117-1~deb12u1-bbbbbbbbbbbb-default', 5);
    const e = make('6.12.117-1~deb12u1-cccccccccccc-default', 1);
    assert.deepEqual(pruneOldKernels('default', 2, root, '6.12'), [c]);
    for (const kept of [a, b, d, e]) assert.ok(existsSync(kept));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
