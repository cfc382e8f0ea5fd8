// SPDX-License-Identifier: MIT
// The running kernel's facts that change IPC costs, recorded with every result: version, preemption model, HZ,
// CPU vulnerability mitigations (sysfs + config), user namespaces. Parsers take text (unit-tested); the
// collector reads /proc, /sys and the kernel config (IPCBENCH_KERNEL_CONFIG, /proc/config.gz,
// /boot/config-$(uname -r), /lib/modules/$(uname -r)/build/.config).
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { KernelFacts } from './result.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The kernel's config and where it came from, or undefined. */
export function readKernelConfig(env: NodeJS.ProcessEnv = process.env, release = os.release()): { text: string; source: string } | undefined {
  const candidates = [env.IPCBENCH_KERNEL_CONFIG, '/proc/config.gz', `/boot/config-${release}`, `/lib/modules/${release}/build/.config`].filter(
    (p): p is string => Boolean(p),
  );
  for (const path of candidates) {
    try {
      const raw = readFileSync(path);
      const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      if (/^CONFIG_/m.test(text)) return { text, source: path };
    } catch {
      // next
    }
  }
  return undefined;
}

/** CONFIG_X=value lines as a map (unset options are absent). */
export function parseConfig(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const x = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (x) m.set(x[1]!, x[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return m;
}

/** The value of name=... on a kernel command line. */
export function cmdlineParam(cmdline: string, name: string): string | undefined {
  let value: string | undefined;
  for (const w of cmdline.trim().split(/\s+/)) if (w.startsWith(`${name}=`)) value = w.slice(name.length + 1);
  return value;
}

/**
 * The preemption model: from debugfs when readable ("none voluntary (full) lazy"), else from the config and
 * the `preempt=` parameter (PREEMPT_DYNAMIC kernels choose at boot), else from `uname -v`.
 */
export function preemptionModel(i: { debugfs?: string; config?: Map<string, string>; cmdline?: string; unameV?: string }): string {
  const sel = i.debugfs ? /\((\w+)\)/.exec(i.debugfs)?.[1] : undefined;
  const c = i.config;
  const dynamic = c?.get('CONFIG_PREEMPT_DYNAMIC') === 'y' || /PREEMPT_DYNAMIC/.test(i.unameV ?? '');
  if (sel) return dynamic ? `${sel} (dynamic)` : sel;
  if (c?.get('CONFIG_PREEMPT_RT') === 'y' || /PREEMPT_RT/.test(i.unameV ?? '')) return 'rt';
  if (c) {
    const built =
      c.get('CONFIG_PREEMPT_NONE') === 'y'
        ? 'none'
        : c.get('CONFIG_PREEMPT_VOLUNTARY') === 'y'
          ? 'voluntary'
          : c.get('CONFIG_PREEMPT_LAZY') === 'y' && c.get('CONFIG_PREEMPT') !== 'y'
            ? 'lazy'
            : c.get('CONFIG_PREEMPT') === 'y'
              ? 'full'
              : 'none';
    if (!dynamic) return built;
    const boot = i.cmdline ? cmdlineParam(i.cmdline, 'preempt') : undefined;
    return `${boot ?? built} (dynamic${boot ? ', preempt= on the command line' : ''})`;
  }
  if (dynamic) return 'dynamic (mode unknown without the config)';
  if (/\bPREEMPT\b/.test(i.unameV ?? '')) return 'full';
  return 'none or voluntary (unknown without the config)';
}

/** Config options that decide whether mitigations exist in the kernel at all (names differ by version). */
export const MITIGATION_CONFIG = [
  'CONFIG_CPU_MITIGATIONS',
  'CONFIG_SPECULATION_MITIGATIONS',
  'CONFIG_PAGE_TABLE_ISOLATION',
  'CONFIG_MITIGATION_PAGE_TABLE_ISOLATION',
  'CONFIG_RETPOLINE',
  'CONFIG_MITIGATION_RETPOLINE',
  'CONFIG_RETHUNK',
  'CONFIG_MITIGATION_RETHUNK',
  'CONFIG_CPU_IBRS_ENTRY',
  'CONFIG_MITIGATION_IBRS_ENTRY',
  'CONFIG_CPU_UNRET_ENTRY',
  'CONFIG_MITIGATION_UNRET_ENTRY',
  'CONFIG_CPU_SRSO',
  'CONFIG_MITIGATION_SRSO',
  'CONFIG_SLS',
  'CONFIG_MITIGATION_SLS',
] as const;

/** One line: is the kernel paying for mitigations on this CPU, and which. */
export function mitigationSummary(vulns: Record<string, string>, config: Map<string, string> | undefined, cmdline: string): string {
  const param = cmdlineParam(cmdline, 'mitigations');
  if (param === 'off') return 'off (mitigations=off)';
  const builtOff = config && config.get('CONFIG_CPU_MITIGATIONS') !== 'y' && config.get('CONFIG_SPECULATION_MITIGATIONS') !== 'y';
  const names = Object.keys(vulns).sort();
  const mitigated = names.filter((n) => /^Mitigation/.test(vulns[n]!));
  const vulnerable = names.filter((n) => /^Vulnerable/.test(vulns[n]!));
  if (!names.length) return builtOff ? 'off (kernel built without CPU_MITIGATIONS)' : 'unknown (no /sys/devices/system/cpu/vulnerabilities)';
  const pti = /PTI/.test(vulns.meltdown ?? '') ? ' (PTI)' : '';
  const parts = [
    `${mitigated.length} mitigated${pti}`,
    `${vulnerable.length} vulnerable`,
    `${names.length - mitigated.length - vulnerable.length} not affected`,
  ];
  if (builtOff) return `off (kernel built without CPU_MITIGATIONS): ${parts.join(', ')}`;
  return `${mitigated.length ? 'on' : 'none needed on this CPU'}: ${parts.join(', ')}${param ? ` (mitigations=${param})` : ''}`;
}

export function readVulnerabilities(dir = '/sys/devices/system/cpu/vulnerabilities'): Record<string, string> {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const v = read(join(dir, n))?.trim();
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** User namespaces: present in the kernel, and usable without privileges? */
export function userNamespaces(i: { nsLink: boolean; maxUserNs?: string; unprivClone?: string; apparmorRestrict?: string; config?: Map<string, string> }): {
  available: boolean;
  detail: string;
} {
  const built = i.config ? i.config.get('CONFIG_USER_NS') === 'y' : i.nsLink;
  if (!built) return { available: false, detail: 'kernel built without CONFIG_USER_NS' };
  const max = i.maxUserNs === undefined ? undefined : Number(i.maxUserNs.trim());
  if (max === 0) return { available: false, detail: 'disabled (user.max_user_namespaces = 0)' };
  const notes: string[] = [];
  if (i.unprivClone?.trim() === '0') notes.push('root only (kernel.unprivileged_userns_clone = 0)');
  if (i.apparmorRestrict?.trim() === '1') notes.push('unprivileged use restricted by AppArmor');
  return { available: true, detail: notes.length ? notes.join('; ') : `yes${max !== undefined ? ` (max ${max})` : ''}` };
}

export function collectKernelFacts(env: NodeJS.ProcessEnv = process.env): KernelFacts {
  const release = os.release();
  const cfg = readKernelConfig(env, release);
  const config = cfg ? parseConfig(cfg.text) : undefined;
  const cmdline = read('/proc/cmdline')?.trim() ?? '';
  const vulnerabilities = readVulnerabilities();
  const hz = config?.get('CONFIG_HZ');
  const mitConfig: Record<string, string> = {};
  for (const k of MITIGATION_CONFIG) {
    const v = config?.get(k);
    if (v !== undefined) mitConfig[k.replace(/^CONFIG_/, '')] = v;
  }
  return {
    release,
    version: os.version(),
    ...(env.IPCBENCH_LAB_KERNEL ? { labKernel: env.IPCBENCH_LAB_KERNEL } : {}),
    preemption: preemptionModel({ debugfs: read('/sys/kernel/debug/sched/preempt'), config, cmdline, unameV: os.version() }),
    ...(hz && /^\d+$/.test(hz) ? { hz: Number(hz) } : {}),
    mitigations: {
      summary: mitigationSummary(vulnerabilities, config, cmdline),
      vulnerabilities,
      ...(config ? { config: mitConfig } : {}),
      ...(cmdlineParam(cmdline, 'mitigations') ? { cmdline: cmdlineParam(cmdline, 'mitigations') } : {}),
    },
    userNamespaces: userNamespaces({
      nsLink: existsLink('/proc/self/ns/user'),
      maxUserNs: read('/proc/sys/user/max_user_namespaces'),
      unprivClone: read('/proc/sys/kernel/unprivileged_userns_clone'),
      apparmorRestrict: read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
      config,
    }),
    ...(cfg ? { configSource: cfg.source } : {}),
  };
}

function existsLink(path: string): boolean {
  try {
    return readdirSync('/proc/self/ns').includes(path.split('/').pop()!);
  } catch {
    return false;
  }
}

/** The short form shown beside an environment in reports: "kernel 6.1.0-57-amd64 (debian-6.1), preempt ..., HZ=250, ...". */
export function kernelFactsLine(k: KernelFacts): string {
  return [
    `kernel ${k.release}${k.labKernel ? ` (${k.labKernel})` : ''}`,
    `preempt ${k.preemption}`,
    k.hz ? `HZ=${k.hz}` : 'HZ unknown',
    `mitigations ${k.mitigations.summary}`,
    `user namespaces ${k.userNamespaces.available ? 'yes' : 'no'}`,
  ].join(', ');
}
