// SPDX-License-Identifier: MIT
// Debian's stock kernels in the lab (`--kernel debian-6.1|debian-6.12`): the image, headers and kbuild
// packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the cache (never
// installed on the host), modules.dep is generated with `depmod -b`, and a small initramfs (busybox + the
// 9p/virtio modules from the package) lets the kernel mount the host's root over 9p.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { type KernelId, LabError, type StockKernelSpec, kernelSpec, labCacheRoot, labScriptsDir, sanitizeVersion } from './config.js';
import { type CpioEntry, cpioArchive } from './cpio.js';
import { step } from './build-step.js';
import { acquireLock } from './lock.js';

const run = promisify(execFile);

/** Bumped when the unpacking / initramfs recipe changes (a new cache entry). */
export const STOCK_RECIPE = 1;

/** Modules the initramfs loads (with their dependencies) to reach the host's root over 9p. */
export const INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'virtio-rng'];

export interface StockPackages {
  image: string;
  version: string;
  /** linux-headers-<release> and what it needs to build modules (-common, linux-kbuild-*). */
  headers: string[];
  /** `uname -r` of the image. */
  release: string;
}

export interface StockKernel {
  kernel: KernelId;
  dir: string;
  release: string;
  version: string;
  packages: string[];
  bzImage: string;
  initrd: string;
  config: string;
  /** The unpacked lib/modules (bind-mounted over /lib/modules inside the lab). */
  modulesDir: string;
  /** The unpacked boot/ (bind-mounted over /boot inside the lab). */
  bootDir: string;
  /** linux-headers-<release>: `make -C <headers> M=<dir> modules`. */
  headers: string;
  binderModule?: string;
  built: boolean;
}

/** "Depends: x" lines of `apt-cache depends` output (alternatives included, virtual packages not). */
export function parseDepends(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\|?(?:Pre)?Depends:\s+([^\s<>]+)\s*$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The Candidate version in `apt-cache policy` output. */
export function parseCandidate(text: string): string | undefined {
  const m = /^\s*Candidate:\s*(\S+)\s*$/m.exec(text);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/** The image package the meta package points at, and the build-support packages of its headers. */
export function stockPackagesFrom(metaDepends: string, headersDepends: string, policy: string): StockPackages {
  const image = parseDepends(metaDepends).find((p) => /^linux-image-\d/.test(p));
  if (!image) throw new LabError('apt-cache: the meta package depends on no linux-image package');
  const release = image.replace(/^linux-image-/, '');
  const version = parseCandidate(policy);
  if (!version) throw new LabError(`apt-cache: no candidate version of ${image}`, 'apt-get update');
  const headers = [`linux-headers-${release}`, ...parseDepends(headersDepends).filter((p) => /^linux-(headers|kbuild)-/.test(p))];
  return { image, version, headers: [...new Set(headers)], release };
}

async function aptCache(args: string[]): Promise<string> {
  const r = await run('apt-cache', args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  return r.stdout;
}

async function resolvePackages(spec: StockKernelSpec): Promise<StockPackages> {
  const meta = await aptCache(['depends', '--no-recommends', '--no-suggests', spec.metaPackage]);
  const image = parseDepends(meta).find((p) => /^linux-image-\d/.test(p));
  if (!image) throw new LabError(`apt-cache knows no image behind ${spec.metaPackage}`, 'apt-get update (Debian 12 with bookworm-security in sources.list)');
  const release = image.replace(/^linux-image-/, '');
  const [headers, policy] = await Promise.all([
    aptCache(['depends', '--no-recommends', '--no-suggests', `linux-headers-${release}`]),
    aptCache(['policy', image]),
  ]);
  return stockPackagesFrom(meta, headers, policy);
}

function stockDirName(id: KernelId, version: string): string {
  return `${id}-${sanitizeVersion(version)}-r${STOCK_RECIPE}`;
}

function readyPath(dir: string): string {
  return join(dir, 'ready.json');
}

/** The newest complete cache entry of a stock kernel (used when apt cannot be asked). */
function newestCached(id: KernelId, root = labCacheRoot()): string | undefined {
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((d) => d.startsWith(`${id}-`) && d.endsWith(`-r${STOCK_RECIPE}`) && existsSync(readyPath(join(root, d))))
    .map((d) => join(root, d))
    .sort((a, b) => statSync(readyPath(b)).mtimeMs - statSync(readyPath(a)).mtimeMs)[0];
}

function loadReady(dir: string): StockKernel {
  return { ...(JSON.parse(readFileSync(readyPath(dir), 'utf8')) as StockKernel), built: false };
}

/** modules.dep ("kernel/fs/9p/9p.ko: kernel/fs/netfs/netfs.ko ...") as name -> path and path -> deps. */
export function parseModulesDep(text: string): { byName: Map<string, string>; deps: Map<string, string[]> } {
  const byName = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const path = m[1]!;
    byName.set(moduleName(path), path);
    deps.set(path, m[2]!.split(/\s+/).filter(Boolean));
  }
  return { byName, deps };
}

/** "kernel/drivers/char/hw_random/virtio-rng.ko.xz" -> "virtio_rng" (modprobe treats - and _ alike). */
export function moduleName(path: string): string {
  return basename(path)
    .replace(/\.ko(\.(xz|gz|zst))?$/, '')
    .replace(/-/g, '_');
}

/**
 * Module paths to insmod, dependencies first, for the wanted names. Names that are not modules (built into
 * this kernel, per modules.builtin) are skipped; an unknown name is an error.
 */
export function moduleLoadOrder(modulesDep: string, builtin: string, wanted: readonly string[]): string[] {
  const { byName, deps } = parseModulesDep(modulesDep);
  const builtIn = new Set(builtin.split('\n').filter(Boolean).map(moduleName));
  const order: string[] = [];
  const visit = (path: string, seen: Set<string>) => {
    if (order.includes(path)) return;
    if (seen.has(path)) throw new LabError(`modules.dep has a cycle through ${path}`);
    seen.add(path);
    for (const d of deps.get(path) ?? []) visit(d, seen);
    order.push(path);
  };
  for (const w of wanted) {
    const name = w.replace(/-/g, '_');
    const path = byName.get(name);
    if (path) visit(path, new Set());
    else if (!builtIn.has(name)) throw new LabError(`the kernel package has no module ${w} (and does not build it in)`);
  }
  return order;
}

async function buildInitramfs(root: string, release: string, out: string): Promise<string[]> {
  const mods = join(root, 'lib', 'modules', release);
  const order = moduleLoadOrder(
    readFileSync(join(mods, 'modules.dep'), 'utf8'),
    existsSync(join(mods, 'modules.builtin')) ? readFileSync(join(mods, 'modules.builtin'), 'utf8') : '',
    INITRAMFS_MODULES,
  );
  if (!existsSync('/bin/busybox')) throw new LabError('/bin/busybox is missing (the initramfs runs on it)', 'apt-get install busybox-static');
  const entries: CpioEntry[] = [
    { name: 'bin', kind: 'dir' },
    { name: 'dev', kind: 'dir' },
    { name: 'dev/console', kind: 'chardev', major: 5, minor: 1 },
    { name: 'proc', kind: 'dir' },
    { name: 'sys', kind: 'dir' },
    { name: 'newroot', kind: 'dir' },
    { name: 'modules', kind: 'dir' },
    { name: 'bin/busybox', kind: 'file', data: readFileSync('/bin/busybox') },
    { name: 'bin/sh', kind: 'symlink', data: 'busybox' },
    { name: 'init', kind: 'file', data: readFileSync(join(labScriptsDir(), 'initramfs-init')) },
  ];
  const names: string[] = [];
  for (const rel of order) {
    const file = join(mods, rel);
    // Debian 6.12 ships xz-compressed modules: decompress here so busybox insmod needs no xz support
    const data = rel.endsWith('.xz') ? (await run('xz', ['-dc', file], { encoding: 'buffer', maxBuffer: 64 << 20 })).stdout : readFileSync(file);
    const name = `${moduleName(rel)}.ko`;
    entries.push({ name: `modules/${name}`, kind: 'file', mode: 0o644, data });
    names.push(name);
  }
  entries.push({ name: 'modules/order', kind: 'file', mode: 0o644, data: `${names.join('\n')}\n` });
  writeFileSync(`${out}.tmp`, cpioArchive(entries), { mode: 0o600 });
  renameSync(`${out}.tmp`, out);
  return names;
}

export interface EnsureStockOptions {
  log?: (line: string) => void;
  signal?: AbortSignal;
  force?: boolean;
}

/** Fetch and unpack a Debian stock kernel into the cache (seconds to a minute), or find it there. */
export async function ensureStockKernel(id: KernelId, o: EnsureStockOptions = {}): Promise<StockKernel> {
  const spec = kernelSpec(id);
  if (spec.kind !== 'stock') throw new LabError(`${id} is built from source, not downloaded`);
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let pk: StockPackages;
  try {
    pk = await resolvePackages(spec);
  } catch (e) {
    const cached = newestCached(id);
    if (cached && !o.force) {
      log(`lab: cannot ask apt for the current ${spec.metaPackage} (${(e as Error).message.split('\n')[0]}); using the cached ${basename(cached)}`);
      return loadReady(cached);
    }
    if (e instanceof LabError) throw e;
    throw new LabError(
      `cannot resolve Debian's ${spec.metaPackage} with apt-cache: ${(e as Error).message.split('\n')[0]}`,
      'apt-get update (needs bookworm and bookworm-security in the apt sources)',
    );
  }
  const dir = join(labCacheRoot(), stockDirName(id, pk.version));
  if (!o.force && existsSync(readyPath(dir))) return loadReady(dir);

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, 'build.lock');
  const release = await acquireLock(lock, log, o.signal);
  try {
    if (!o.force && existsSync(readyPath(dir))) return loadReady(dir);
    const started = Date.now();
    const logFile = join(dir, 'build.log');
    writeFileSync(logFile, `ipcbench lab: stock kernel ${id} ${pk.image} ${pk.version} ${new Date().toISOString()}\n`, { mode: 0o600 });
    const debs = join(dir, 'debs');
    const root = join(dir, 'root');
    rmSync(debs, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
    mkdirSync(debs, { recursive: true });
    mkdirSync(root, { recursive: true });
    const packages = [pk.image, ...pk.headers];
    log(`lab: downloading Debian's ${packages.join(', ')} (${pk.version}) into ${debs}`);
    // exact versions for the image and headers (a second run must get the same kernel); kbuild/common follow
    const wanted = packages.map((p) => (p === pk.image || p === `linux-headers-${pk.release}` ? `${p}=${pk.version}` : p));
    await step('apt-get download', 'apt-get', ['download', ...wanted], { cwd: debs, logFile, signal: o.signal }).catch((e: Error) => {
      throw new LabError(`lab: downloading the ${id} kernel packages failed: ${e.message.split('\n')[0]}`, 'check the network and apt sources; apt-get update');
    });
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      await step(`unpacking ${deb}`, 'dpkg-deb', ['-x', join(debs, deb), root], { cwd: dir, logFile, signal: o.signal });
    }
    // the packages are unpacked, not installed: point the absolute /usr/src and /lib/modules links at our copy
    const headers = join(root, 'usr', 'src', `linux-headers-${pk.release}`);
    const makefile = join(headers, 'Makefile');
    if (!existsSync(makefile)) throw new LabError(`lab: ${makefile} is missing after unpacking the headers`);
    writeFileSync(makefile, readFileSync(makefile, 'utf8').replace(/^include \/usr\/src\//m, `include ${root}/usr/src/`));
    const mods = join(root, 'lib', 'modules', pk.release);
    for (const [link, target] of [
      ['build', headers],
      ['source', join(root, 'usr', 'src', `linux-headers-${pk.release.replace(/-[^-]+$/, '')}-common`)],
    ] as const) {
      rmSync(join(mods, link), { force: true });
      if (existsSync(target)) symlinkSync(target, join(mods, link));
    }
    await step('depmod', 'depmod', ['-b', root, pk.release], { cwd: dir, logFile, signal: o.signal }).catch(() =>
      step('depmod', '/sbin/depmod', ['-b', root, pk.release], { cwd: dir, logFile, signal: o.signal }),
    );
    const initrd = join(dir, 'initrd.img');
    const loaded = await buildInitramfs(root, pk.release, initrd);
    rmSync(debs, { recursive: true, force: true });
    const binder = readFileSync(join(mods, 'modules.dep'), 'utf8')
      .split('\n')
      .map((l) => l.split(':')[0]!)
      .find((p) => moduleName(p) === 'binder_linux');
    const k: StockKernel = {
      kernel: id,
      dir,
      release: pk.release,
      version: pk.version,
      packages,
      bzImage: join(root, 'boot', `vmlinuz-${pk.release}`),
      initrd,
      config: join(root, 'boot', `config-${pk.release}`),
      modulesDir: join(root, 'lib', 'modules'),
      bootDir: join(root, 'boot'),
      headers,
      binderModule: binder ? join(mods, binder) : undefined,
      built: true,
    };
    for (const f of [k.bzImage, k.config]) if (!existsSync(f)) throw new LabError(`lab: ${f} is missing in ${pk.image}`);
    writeFileSync(readyPath(dir), `${JSON.stringify({ ...k, initramfsModules: loaded, seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`, {
      mode: 0o600,
    });
    log(`lab: ${id} ready (${pk.release}, ${Math.round((Date.now() - started) / 1000)} s): ${dir}`);
    return k;
  } finally {
    release();
  }
}
