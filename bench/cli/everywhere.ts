// SPDX-License-Identifier: MIT
// `ipcbench run` measures every transport it can in one invocation: the host transports on the host, then the
// kernel transports the host lacks (Binder, kdbus) inside the lab, together with host transports measured again
// inside the lab as same-kernel references (a kernel transport is only ever compared with transports of its own
// kernel). This module decides what goes into the lab, runs it, shows one progress display for both parts, and
// gathers the result files into one run bundle. `--no-lab` opts out; a lab that cannot boot is said and the host
// part is kept.
import { SingleBar } from 'cli-progress';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { computeFindings, findingsText } from '../../reports/findings.js';
import { buildModel, type LoadedRun } from '../../reports/model.js';
import { LabError } from '../lab/config.js';
import { labRunDocument } from '../lab/run.js';
import { DEFAULTS, type RawRunFlags, type RunOptions } from '../options.js';
import type { ResultDocument, TransportStatus } from '../result.js';

/** What only our lab kernel provides here: kernel transports a stock host kernel lacks. */
export const LAB_TRANSPORTS: readonly string[] = ['binder', 'kdbus', 'kdbus-memfd'];

/**
 * Host transports measured again inside the lab: the references the suite's question compares kdbus and Binder
 * with (AF_UNIX, pipes, the Binder-style shared memory, D-Bus with and without a daemon).
 */
export const LAB_REFERENCES: readonly string[] = ['unix-stream', 'pipe', 'shm', 'dbus-p2p', 'dbus-daemon', 'dbus-broker'];

/**
 * The lab's default sub-matrix. The lab runs under an emulated CPU (qemu TCG, ~2 s per case): its figures give
 * an ordering, not timings, so it measures fewer points than the host: three sizes (the per-message cost, the
 * middle, and 64 KiB where a single copy pays off), one placement, and broadcast at 1 and 4 subscribers. This
 * keeps the lab part at about two minutes including the boot. Options given explicitly on the command line
 * apply inside the lab too.
 */
export const LAB_DEFAULTS = {
  sizes: [64, 4096, 65536],
  placements: ['cross-core'],
  subscribers: [1, 4],
  broadcastSizes: [64],
  repetitions: 3,
  minRepetitions: 3,
} as const;

export interface LabPlan {
  /** Transports to run inside the lab (kernel transports first, then the references). */
  transports: string[];
  options: RunOptions;
}

/** Why there is no lab part, or the plan for it. */
export type LabDecision = { run: false; why: string } | { run: true; plan: LabPlan };

/**
 * Decide the lab part. `requested`: the transports the user asked for (the whole registry by default);
 * `statuses`: which of them work on the host.
 */
export function planLab(
  flags: RawRunFlags & { lab?: boolean },
  opts: RunOptions,
  requested: readonly string[],
  statuses: readonly TransportStatus[],
  env: string,
): LabDecision {
  if (flags.lab === false) return { run: false, why: '--no-lab' };
  if (env !== 'host') return { run: false, why: `already inside the lab (${env})` };
  const onHost = new Set(statuses.filter((s) => s.available).map((s) => s.name));
  const kernel = requested.filter((t) => LAB_TRANSPORTS.includes(t) && !onHost.has(t));
  if (!kernel.length) return { run: false, why: 'every requested transport runs on the host' };
  const explicit = Boolean(flags.transports);
  const references = explicit
    ? requested.filter((t) => !kernel.includes(t) && !LAB_TRANSPORTS.includes(t))
    : LAB_REFERENCES.filter((t) => requested.includes(t));
  const given = (name: keyof typeof DEFAULTS) => flags[name as keyof RawRunFlags] !== undefined && flags[name as keyof RawRunFlags] !== DEFAULTS[name];
  const options: RunOptions = {
    ...opts,
    transports: [...kernel, ...references],
    sizes: given('sizes') ? opts.sizes : [...LAB_DEFAULTS.sizes],
    placements: given('placement') ? opts.placements : ([...LAB_DEFAULTS.placements] as RunOptions['placements']),
    subscribers: given('subscribers') ? opts.subscribers : [...LAB_DEFAULTS.subscribers],
    broadcastSizes: given('broadcastSizes') ? opts.broadcastSizes : [...LAB_DEFAULTS.broadcastSizes],
    repetitions: given('repetitions') ? opts.repetitions : LAB_DEFAULTS.repetitions,
    minRepetitions: given('minRepetitions') ? opts.minRepetitions : LAB_DEFAULTS.minRepetitions,
    // The guest's progress lines feed the one display on the host.
    progress: true,
    json: false,
  };
  return { run: true, plan: { transports: options.transports, options } };
}

/**
 * One progress display for the whole run: a bar on a terminal, a line every 2 s otherwise. Phases (host, lab
 * boot, lab) share it, so the user sees one thing move from start to end.
 */
export class RunProgress {
  private bar: SingleBar | undefined;
  private lastLine = 0;
  private phase = 'host';

  constructor(
    private readonly enabled: boolean,
    private readonly tty = process.stderr.isTTY,
  ) {}

  setPhase(phase: string): void {
    this.phase = phase;
    if (this.bar?.isActive) this.bar.stop();
    this.bar = undefined;
  }

  update(done: number, total: number, label: string): void {
    if (!this.enabled) return;
    if (this.tty) {
      if (!this.bar) {
        this.bar = new SingleBar({
          format: ` ${this.phase} {bar} {value}/{total} repetitions | {eta_formatted} left | {label}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
        });
      }
      if (!this.bar.isActive) this.bar.start(total, 0, { label });
      this.bar.setTotal(total);
      this.bar.update(done, { label });
    } else if (Date.now() - this.lastLine > 2000) {
      this.lastLine = Date.now();
      process.stderr.write(`[${this.phase} ${done}/${total}] ${label}\n`);
    }
  }

  log(line: string): void {
    if (this.bar?.isActive) this.bar.stop();
    this.bar = undefined;
    process.stderr.write(`${line}\n`);
  }

  stop(): void {
    if (this.bar?.isActive) this.bar.stop();
    this.bar = undefined;
  }
}

/** The guest's non-terminal progress line: "[done/total] label". */
const GUEST_PROGRESS = /^\[(?:\S+ )?(\d+)\/(\d+)\] (.*)$/;

export interface LabPart {
  /** The lab's result document and its file, when the lab ran. */
  document?: ResultDocument;
  file?: string;
  /** Why the lab part did not produce results (it did not boot, it failed, it was interrupted). */
  failure?: string;
  seconds: number;
}

/** Run the lab part: boot, run the sub-matrix inside, bring its result file into `dir`. Never throws for lab trouble. */
export async function runLabPart(plan: LabPlan, dir: string, progress: RunProgress, signal: AbortSignal): Promise<LabPart> {
  const t0 = Date.now();
  progress.setPhase('lab');
  progress.log(
    `lab: measuring ${plan.transports.join(', ')} inside the lab kernel (qemu; sizes ${plan.options.sizes.join(',')}, ${plan.options.placements.join(',')}, subscribers ${plan.options.subscribers.join(',')}); --no-lab skips this`,
  );
  try {
    const r = await labRunDocument({ ...plan.options, out: dir }, 'ipcbench-6.1', {
      out: dir,
      signal,
      timeoutMs: 20 * 60_000,
      log: (l) => progress.log(l),
      onOutput: (line) => {
        const m = GUEST_PROGRESS.exec(line.trim());
        if (m) progress.update(Number(m[1]), Number(m[2]), m[3]!);
      },
    });
    progress.stop();
    return { document: r.document, file: r.file, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    progress.stop();
    if (e instanceof LabError || (e as Error).name === 'LabInterrupted')
      return { failure: (e as Error).message.split('\n')[0]!, seconds: (Date.now() - t0) / 1000 };
    return { failure: `the lab failed: ${(e as Error).message.split('\n')[0]}`, seconds: (Date.now() - t0) / 1000 };
  }
}

/**
 * Gather a run's files into one bundle directory, results/<run-id>/: host.json and <env>.json (lab-tcg.json or
 * lab-kvm.json). `ipcbench report results/<run-id>` reads the whole bundle.
 */
export async function bundle(out: string, runId: string, hostFile: string, lab?: LabPart): Promise<{ dir: string; files: string[] }> {
  const dir = join(out, runId);
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'host.json')];
  await rename(hostFile, files[0]!);
  if (lab?.file && lab.document) {
    const target = join(dir, `${lab.document.host.env}.json`);
    await rename(lab.file, target);
    files.push(target);
  }
  return { dir, files };
}

/** The findings of the run's documents, as the report computes them, for the end of the terminal summary. */
export function findingsSummary(docs: readonly { file: string; doc: ResultDocument }[]): string {
  const runs: LoadedRun[] = docs.map((d, index) => ({ file: d.file, index, doc: d.doc }));
  const findings = computeFindings(buildModel(runs));
  if (!findings.length) return '';
  const width = Math.min(Math.max(process.stdout.columns ?? 100, 60), 120);
  return `\nFindings (the same as the report's; 95% CIs; emulated = an ordering, not a timing):\n${findingsText(findings, width)}\n`;
}
