// SPDX-License-Identifier: MIT
// What the host kernel allows for modules (root, lockdown, signature enforcement, modules_disabled), which
// package provides the headers on this distribution, and the release a kernel tree builds for. Pure
// functions take their inputs as text so they are tested without the files.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class ModuleError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    /** 1: the action could not be done here; 2: bad input. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
    this.name = 'ModuleError';
  }
}

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** "none [integrity] confidentiality" -> "integrity"; undefined when the file is absent. */
export function parseLockdown(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return /\[(\w+)\]/.exec(text)?.[1];
}

/** The EFI SecureBoot variable: 4 attribute bytes, then 1 = on. */
export function secureBootOn(efivarsDir = '/sys/firmware/efi/efivars'): boolean | undefined {
  let names: string[];
  try {
    names = readdirSync(efivarsDir);
  } catch {
    return undefined; // not booted through EFI (or efivarfs not mounted)
  }
  const sb = names.find((n) => n.startsWith('SecureBoot-'));
  if (!sb) return undefined;
  try {
    const b = readFileSync(join(efivarsDir, sb));
    return b.length >= 5 ? b[4] === 1 : undefined;
  } catch {
    return undefined;
  }
}

export interface ModulePolicy {
  root: boolean;
  /** /proc/sys/kernel/modules_disabled = 1 */
  modulesDisabled: boolean;
  /** lockdown mode, when not "none" */
  lockdown?: string;
  /** module.sig_enforce (or CONFIG_MODULE_SIG_FORCE) */
  sigEnforce: boolean;
  secureBoot?: boolean;
  /** no CONFIG_MODULES: /proc/modules is absent */
  noModules: boolean;
}

export function readModulePolicy(): ModulePolicy {
  const lockdown = parseLockdown(readText('/sys/kernel/security/lockdown'));
  return {
    root: process.geteuid?.() === 0,
    modulesDisabled: readText('/proc/sys/kernel/modules_disabled')?.trim() === '1',
    lockdown: lockdown && lockdown !== 'none' ? lockdown : undefined,
    sigEnforce: readText('/sys/module/module/parameters/sig_enforce')?.trim() === 'Y',
    secureBoot: secureBootOn(),
    noModules: readText('/proc/modules') === undefined,
  };
}

/**
 * Why an out-of-tree, unsigned module (our kdbus.ko) cannot be loaded here, or undefined. `distroSigned`:
 * the module comes with the kernel (binder_linux) and passes signature checks.
 */
export function loadRefusal(p: ModulePolicy, what: string, distroSigned = false): ModuleError | undefined {
  if (!p.root) return new ModuleError(`loading ${what} needs root (it inserts a kernel module); nothing was changed`, `sudo ipcbench module load ${what}`);
  if (p.noModules) return new ModuleError(`this kernel cannot load modules (built without CONFIG_MODULES)`, 'use ipcbench lab run');
  if (p.modulesDisabled)
    return new ModuleError(
      'module loading is switched off until the next reboot (/proc/sys/kernel/modules_disabled = 1)',
      'reboot without whatever sets kernel.modules_disabled=1, or use ipcbench lab run',
    );
  if (distroSigned) return undefined;
  if (p.lockdown)
    return new ModuleError(
      `the kernel is locked down (lockdown=${p.lockdown}${p.secureBoot ? ', because Secure Boot is on' : ''}): it loads only modules signed with a trusted key, and ${what}.ko is unsigned`,
      'sign kdbus.ko with a Machine Owner Key you enrolled (mokutil --import; scripts/sign-file from the headers), or turn Secure Boot off in the firmware; or use ipcbench lab run',
    );
  if (p.sigEnforce)
    return new ModuleError(
      `the kernel enforces module signatures (module.sig_enforce=1 or CONFIG_MODULE_SIG_FORCE) and ${what}.ko is unsigned`,
      'sign it with a key the kernel trusts (scripts/sign-file), boot without module.sig_enforce=1, or use ipcbench lab run',
    );
  return undefined;
}

/** ID and ID_LIKE of /etc/os-release, e.g. ["ubuntu", "debian"]. */
export function distroIds(osRelease: string | undefined): string[] {
  if (!osRelease) return [];
  const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1] ?? '';
  return [get('ID'), ...get('ID_LIKE').split(/\s+/)].filter(Boolean).map((s) => s.toLowerCase());
}

/** The command that installs the running kernel's module build files, per distribution. */
export function headersHint(release: string, ids: readonly string[]): string {
  const all = {
    debian: `Debian: apt-get install linux-headers-${release}`,
    ubuntu: `Ubuntu: apt-get install linux-headers-${release}`,
    fedora: `Fedora: dnf install kernel-devel-${release}`,
  };
  const first = ids.includes('ubuntu') ? 'ubuntu' : ids.includes('debian') ? 'debian' : ids.some((i) => i === 'fedora' || i === 'rhel') ? 'fedora' : undefined;
  if (first) return all[first];
  return Object.values(all).join('; ');
}

/** UTS_RELEASE of a kernel tree (what `uname -r` says on the kernel it builds modules for). */
export function treeRelease(kernelDir: string): string | undefined {
  const h = readText(join(kernelDir, 'include', 'generated', 'utsrelease.h'));
  return h ? /UTS_RELEASE\s+"([^"]+)"/.exec(h)?.[1] : undefined;
}

/** "vermagic=6.1.0-57-amd64 SMP preempt mod_unload modversions " in a .ko's .modinfo: the release. */
export function moduleRelease(ko: Buffer): string | undefined {
  const i = ko.indexOf('vermagic=');
  if (i < 0) return undefined;
  const end = ko.indexOf(0, i);
  return ko
    .subarray(i + 'vermagic='.length, end < 0 ? undefined : end)
    .toString('utf8')
    .split(' ')[0];
}
