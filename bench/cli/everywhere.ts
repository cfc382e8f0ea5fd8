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
import { currentEnv } from '../host.js';
import { DEFAULTS, type RawRunFlags, type RunOptions } from '../options.js';
import type { ResultDocument, TransportStatus } from '../result.js';

/** What only our lab kernel provides here: kernel transports a stock host kernel lacks. */
export const LAB_TRANSPORTS: readonly string[] = ['binder', 'kdbus', 'kdbus-memfd'];

/**
 * Host transports measured again inside the lab: the references the suite's question compares kdbus and Binder
 * with (AF_UNIX, pipes, the Binder-style shared memory, the two D-Bus daemons). With the kernel transports they
 * are the headline chart's eight; dbus-p2p (the daemon hop's baseline) is measured on the host.
 */
export const LAB_REFERENCES: readonly string[] = ['unix-stream', 'pipe', 'shm', 'dbus-daemon', 'dbus-broker'];

/**
 * The lab's default sub-matrix: what the findings use, no more. The lab runs under an emulated CPU (qemu TCG,
 * about a second per repetition, each in fresh processes): its figures give an ordering, not timings, so it
 * measures the two sizes the findings compare at (64 B, the per-message cost; 64 KiB, where a single copy pays
 * off), one placement, broadcast at 1 and 4 subscribers (the growth finding), and three repetitions (fewer and
 * a finding cannot tell its CI). The host measures the full size sweep. Options given explicitly on the command
 * line apply inside the lab too.
 */
export const LAB_DEFAULTS = {
  sizes: [64, 65536],
  placements: ['cross-core'],
  subscribers: [1, 4],
  broadcastSizes: [64],
  repetitions: 3,
  minRepetitions: 3,
  /** A cap, not a target: three repetitions of every case fit well within it on an idle machine. */
  budgetMs: 240_000,
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
    budgetMs: flags.budget !== undefined && flags.budget !== DEFAULTS.budget ? opts.budgetMs : LAB_DEFAULTS.budgetMs,
    // The guest's progress lines feed the one display on the host.
    progress: true,
    json: false,
  };
  return { run: true, plan: { transports: options.transports, options } };
}

/**
 * One progress display for the whole run: a bar on a terminal, a line every 2 s otherwise. Phases (host, lab
 * start-up, lab) share it, so the user sees one thing move from start to end. Inside the lab the guest's
 * stderr is the serial console, a terminal to it: there it prints lines too, which the host turns into its bar.
 */
export class RunProgress {
  private bar: SingleBar | undefined;
  private lastLine = 0;
  private phase = 'host';
  private waitTimer: NodeJS.Timeout | undefined;
  private waitLabel = '';
  private waitSince = 0;

  constructor(
    private readonly enabled: boolean,
    private readonly tty = Boolean(process.stderr.isTTY) && currentEnv() === 'host',
    private readonly out: (text: string) => void = (t) => process.stderr.write(t),
  ) {}

  setPhase(phase: string): void {
    this.phase = phase;
    this.stopWaiting();
    if (this.bar?.isActive) this.bar.stop();
    this.bar = undefined;
  }

  /**
   * A stretch without countable work (booting the lab, starting ipcbench inside it): "what is happening, for
   * how long", refreshed every second on a terminal, a line every 10 s otherwise. Ends at the next update().
   */
  waiting(label: string): void {
    if (!this.enabled) return;
    if (this.bar?.isActive) this.bar.stop();
    this.bar = undefined;
    const first = !this.waitTimer;
    this.waitLabel = label;
    if (first) {
      this.waitSince = Date.now();
      this.waitTimer = setInterval(() => this.drawWaiting(), this.tty ? 1000 : 10_000);
      this.waitTimer.unref();
    }
    this.drawWaiting();
  }

  private drawWaiting(): void {
    const s = Math.round((Date.now() - this.waitSince) / 1000);
    const text = `${this.phase}: ${this.waitLabel} (${s} s)`;
    if (this.tty) this.out(`\r${text.slice(0, (process.stderr.columns || 100) - 1)}\x1b[K`);
    else if (Date.now() - this.lastLine > 2000) {
      this.lastLine = Date.now();
      this.out(`[${text}]\n`);
    }
  }

  private stopWaiting(): void {
    if (!this.waitTimer) return;
    clearInterval(this.waitTimer);
    this.waitTimer = undefined;
    if (this.tty) this.out('\r\x1b[K');
  }

  update(done: number, total: number, label: string): void {
    if (!this.enabled) return;
    this.stopWaiting();
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
      this.out(`[${this.phase} ${done}/${total}] ${label}\n`);
    }
  }

  log(line: string): void {
    const waiting = this.waitTimer !== undefined;
    if (waiting && this.tty) this.out('\r\x1b[K');
    if (this.bar?.isActive) this.bar.stop();
    this.bar = undefined;
    this.out(`${line}\n`);
    if (waiting) this.drawWaiting();
  }

  stop(): void {
    this.stopWaiting();
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
  // Until the guest counts repetitions: booting, loading the kernel modules, starting ipcbench inside (a
  // minute or so under TCG); the guest's own lines say which step it is at.
  progress.waiting('booting the lab kernel under qemu');
  let counting = false;
  try {
    const r = await labRunDocument({ ...plan.options, out: dir }, 'ipcbench-6.1', {
      out: dir,
      signal,
      timeoutMs: 20 * 60_000,
      log: (l) => progress.log(l),
      onOutput: (line) => {
        const text = line.trim();
        const m = GUEST_PROGRESS.exec(text);
        if (m) {
          counting = true;
          const [done, total] = [Number(m[1]), Number(m[2])];
          if (done >= total) progress.waiting('measured; writing the results and shutting down');
          else progress.update(done, total, m[3]!);
        } else if (!counting && /^(binder|kdbus|lab): /.test(text)) progress.waiting('kernel modules loaded; starting ipcbench inside');
        else if (!counting && /^warning: /.test(text)) progress.waiting('ipcbench inside: probing the transports');
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
