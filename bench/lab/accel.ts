// SPDX-License-Identifier: MIT
// KVM or TCG for a lab boot. KVM is tried first only where it can work, detected by a boot attempt that must
// reach init within a short deadline; the verdict is remembered until the host reboots. Otherwise (and on
// these machines, see docs/lab.md) software emulation (TCG).
import { constants, accessSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Accel } from './cmdline.js';
import { LabError, LabInterrupted, labCacheRoot } from './config.js';
import type { AttemptResult } from './qemu.js';

export type AccelChoice = 'auto' | Accel;

export interface KvmVerdict {
  bootId: string;
  works: boolean;
  reason: string;
}

function hostBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function verdictPath(): string {
  return join(labCacheRoot(), 'kvm-verdict.json');
}

export function readVerdict(): KvmVerdict | undefined {
  try {
    const v = JSON.parse(readFileSync(verdictPath(), 'utf8')) as KvmVerdict;
    return v.bootId === hostBootId() ? v : undefined;
  } catch {
    return undefined;
  }
}

export function writeVerdict(works: boolean, reason: string): void {
  mkdirSync(labCacheRoot(), { recursive: true, mode: 0o700 });
  writeFileSync(verdictPath(), `${JSON.stringify({ bootId: hostBootId(), works, reason })}\n`, { mode: 0o600 });
}

export function kvmUsable(): { usable: boolean; reason: string } {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: existsSync('/dev/kvm') ? 'no permission on /dev/kvm' : 'no /dev/kvm' };
  }
  return { usable: true, reason: '' };
}

/** What the accelerator decision needs from the host: injectable, so the logic is tested with fakes. */
export interface AccelDeps {
  kvmUsable: () => { usable: boolean; reason: string };
  readVerdict: () => KvmVerdict | undefined;
  writeVerdict: (works: boolean, reason: string) => void;
  /** Boot with this accelerator (the KVM attempt gets a short boot deadline). */
  attempt: (accel: Accel) => Promise<AttemptResult>;
  log: (line: string) => void;
  /** Where the verdict is kept (for messages). */
  verdictFile: string;
}

export interface AccelOutcome {
  accel: Accel;
  result: AttemptResult;
  /** Why this accelerator, in one line (printed by `lab run` / `lab exec`, e.g. "no /dev/kvm"). */
  reason: string;
}

/**
 * KVM or TCG: try KVM when the user allows it and /dev/kvm is usable, unless it already failed since the
 * host booted; a KVM boot that does not reach init in time is a verdict against KVM and the run continues
 * under TCG (`auto`) or fails (`kvm`). A KVM boot that reached init counts as KVM working even if the command
 * then failed.
 */
export async function chooseAccelAndBoot(choice: AccelChoice, d: AccelDeps): Promise<AccelOutcome> {
  if (!['auto', 'kvm', 'tcg'].includes(choice)) throw new LabError(`bad accelerator '${choice}'`, 'use auto, kvm or tcg (IPCBENCH_LAB_ACCEL)');
  let why: string;
  if (choice === 'tcg') why = 'software emulation requested (--accel tcg)';
  else {
    const k = d.kvmUsable();
    const verdict = d.readVerdict();
    if (!k.usable) {
      if (choice === 'kvm') throw new LabError(`KVM requested but unusable: ${k.reason}`, 'use --accel tcg, or give this user access to /dev/kvm');
      why = `KVM unusable: ${k.reason}`;
    } else if (choice === 'auto' && verdict && !verdict.works) {
      why = `KVM failed on this host since its last boot (${verdict.reason}; ${d.verdictFile}); IPCBENCH_LAB_ACCEL=kvm retries it`;
    } else {
      // A real KVM guest reaches init in a second or two; a broken or emulating one takes minutes or crashes.
      const result = await d.attempt('kvm');
      if (result.ok || result.stage === 'run') {
        d.writeVerdict(true, 'booted');
        return { accel: 'kvm', result, reason: 'KVM works: the guest reached init under KVM' };
      }
      if (result.reason === 'interrupted') throw new LabInterrupted();
      d.writeVerdict(false, result.reason);
      if (choice === 'kvm') return { accel: 'kvm', result, reason: `KVM boot failed: ${result.reason}` };
      why = `KVM did not boot (${result.reason})`;
      d.log(`lab: KVM did not work (${result.reason}); falling back to software emulation (TCG) — timings will be emulated`);
    }
  }
  return { accel: 'tcg', result: await d.attempt('tcg'), reason: why };
}
