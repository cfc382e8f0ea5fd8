// SPDX-License-Identifier: MIT
// `ipcbench run`: its flags (shared with `gate`) and what it does with them: validate, probe, run the host part,
// then the lab part for what the host lacks (./everywhere.ts), save after every group, print the terminal table
// (./format.ts), and turn the outcome into the exit code.
import type { Command } from 'commander';
import { Option } from 'commander';
import { join } from 'node:path';
import { EXIT, STOP_SIGNALS, signalExitCode } from '../../common/errors.js';
import { headerSize } from '../native.js';
import { DEFAULTS, parseRunOptions, type RawRunFlags } from '../options.js';
import { probeAll } from '../probe.js';
import { newRunDocument } from '../run-document.js';
import { Runner } from '../runner/runner.js';
import { ensureWritableDir, newRunId, ResultWriter } from '../writer.js';
import { loadPluginTransport, parsePluginArg } from '../plugin-transport.js';
import { TRANSPORT_NAMES } from '../../transports/index.js';
import { bundle, findingsSummary, planLab, RunProgress, runLabPart, type LabPart } from './everywhere.js';
import { summaryText } from './format.js';

export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('-t, --transports <list>', `comma-separated transports (default: every available one; known: ${TRANSPORT_NAMES.join(', ')})`)
    .option('-w, --workloads <list>', 'rpc, broadcast', DEFAULTS.workloads)
    .option('-s, --sizes <list>', 'RPC message sizes incl. the 32 B header: 64,4K,1M or a range 64..1M (x4 steps) or 64..1M:x2', DEFAULTS.sizes)
    .option('--broadcast-sizes <list>', 'broadcast message sizes (same syntax)', DEFAULTS.broadcastSizes)
    .option('-p, --placement <list>', 'RPC CPU placement: same-core, cross-core, unpinned', DEFAULTS.placement)
    .option('--broadcast-placement <list>', 'broadcast CPU placement (cross-core: publisher on CPU 0, subscribers on the others)', DEFAULTS.broadcastPlacement)
    .option('-c, --concurrency <list>', 'independent RPC client/server pairs', DEFAULTS.concurrency)
    .option('--subscribers <list>', 'broadcast: subscriber counts N', DEFAULTS.subscribers)
    .option('--uninterested <k>', 'broadcast: K of the N subscribers whose filter does not match', DEFAULTS.uninterested)
    .option('--mode <mode>', 'broadcast: closed (next after all acks) or open (fixed rate)', DEFAULTS.mode)
    .option('--rate <n>', 'broadcast open loop: messages per second', DEFAULTS.rate)
    .option(
      '--budget <time>',
      'time for the whole matrix (3m, 90s, 1m30s): repetitions go to the cases whose CI is widest relative to --ci-target; 0 = fixed counts',
      DEFAULTS.budget,
    )
    .option('-r, --repetitions <n>', 'maximum repetitions per case, each in fresh peer processes', DEFAULTS.repetitions)
    .option('--min-repetitions <n>', 'repetitions every case gets first (with --budget 0: before early stop may apply)', DEFAULTS.minRepetitions)
    .option('--ci-target <percent>', 'precision target: 95% CI half-width of the median p50 (cases missing it are marked; 0 = none)', DEFAULTS.ciTarget)
    .option('-d, --duration <ms>', 'timed part of each repetition', DEFAULTS.duration)
    .option('--warmup <ms>', 'untimed warm-up in each repetition', DEFAULTS.warmup)
    .option('--timeout <ms>', 'a repetition still running this long after its planned end is killed', DEFAULTS.timeout)
    .option('-o, --out <dir>', 'directory for results/<run-id>.json', DEFAULTS.out)
    .option('--json', 'print the complete result document on stdout (the table goes to stderr)')
    .option('--fail-fast', 'stop at the first errored case')
    .option('--no-progress', 'no progress bar')
    .option('--no-lab', 'host only: skip the kernel transports the host lacks (by default they run inside the lab, with same-kernel references)')
    .option('--seed <n>', 'seed for payload bytes and bootstrap resampling')
    .option(
      '--plugin <lib.so[=name]>',
      'your own transport: a shared library filling include/ipcbench/transport-plugin.h (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addOption(new Option('--fault <spec>', 'test hook: make peers misbehave (corrupt|crash|hang|exit|skip@SEQ)').hideHelp())
    .addOption(
      new Option(
        '--max-ops <n>',
        'test hook: end each repetition after N timed operations (with a long --duration: fault tests that do not depend on speed)',
      ).hideHelp(),
    );
}

async function defaultTransports(): Promise<string[]> {
  return (await probeAll()).filter((s) => s.available).map((s) => s.name);
}

export async function runCommand(flags: RawRunFlags & { lab?: boolean; plugin?: string[] }, argv: string[]): Promise<number> {
  // --plugin: the user's transport(s), loaded and checked before anything runs; alone unless --transports adds others
  const plugins = (flags.plugin ?? []).map((a) => {
    const { file, name } = parsePluginArg(a);
    return loadPluginTransport(file, name).name;
  });
  if (plugins.length) flags = { ...flags, transports: [...plugins, ...(flags.transports ? [flags.transports] : [])].join(',') };
  const explicit = Boolean(flags.transports);
  const opts = parseRunOptions(flags, TRANSPORT_NAMES, explicit ? TRANSPORT_NAMES : await defaultTransports(), headerSize());
  await ensureWritableDir(opts.out);
  const runId = newRunId();
  const doc = newRunDocument(runId, argv, opts, await probeAll(explicit ? opts.transports : TRANSPORT_NAMES));
  const host = doc.host;
  const progress = new RunProgress(opts.progress);
  const say = (line: string) => progress.log(line);
  const writer = new ResultWriter(opts.out, runId, { warn: say });
  await writer.save(doc);
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stoppedBy) {
      // a second signal while the first one's cleanup runs: leave at once, with the first signal's exit code; the
      // exit hook of common/emergency.ts kills the peers and daemons and removes the temporary directories; what
      // was saved stays
      process.stderr.write(
        `\n${sig} during cleanup: leaving at once (peers and bus daemons killed, temporary directories removed)${writer.failure ? '' : `; results saved so far are in ${writer.path}`}\n`,
      );
      process.exit(signalExitCode(stoppedBy));
    }
    stoppedBy = sig;
    say(`\n${sig}: stopping; peers are being stopped and the results so far kept${writer.failure ? ' (in memory: see above)' : ` in ${writer.path}`}`);
    controller.abort();
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);

  // One run, every environment: the lab part (bench/everywhere.ts) follows the host part when it has work.
  const lab = planLab(flags, opts, explicit ? opts.transports : TRANSPORT_NAMES, doc.transports, host.env);
  for (const w of doc.warnings) process.stderr.write(`warning: ${w}\n`);
  const runner = new Runner(opts, doc, controller.signal, {
    onProgress: (done, total, label) => progress.update(done, total, label),
    log: say,
    onSave: async (d) => {
      await writer.save(d);
    },
    budgetStartMs: 0,
  });
  let labPart: LabPart | undefined;
  try {
    await runner.run();
    doc.finishedAt = new Date().toISOString();
    doc.complete = !controller.signal.aborted;
    if (controller.signal.aborted) doc.interrupted = true;
    if (lab.run && !controller.signal.aborted) {
      labPart = await runLabPart(lab.plan, opts.out, progress, controller.signal);
      if (labPart.failure) {
        doc.warnings.push(`lab: not run: ${labPart.failure}`);
        say(`lab: not run: ${labPart.failure} (the host results are complete; --no-lab skips the lab)`);
      }
    }
  } finally {
    progress.stop();
  }
  const saved = await writer.finish(doc);
  for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  const hostFile = saved.path || '(stdout)';
  const files = lab.run && saved.path && !saved.fallback ? (await bundle(opts.out, runId, saved.path, labPart)).files : [hostFile];
  const docs = [{ file: files[0]!, doc }, ...(labPart?.document && files[1] ? [{ file: files[1], doc: labPart.document }] : [])];
  const text =
    docs.map((d) => summaryText(d.doc, d.file)).join('\n\n') +
    findingsSummary(docs) +
    (docs.length > 1 ? `\nreport: ipcbench report ${join(opts.out, runId)} -o report.html\n` : '');
  if (opts.json) {
    process.stderr.write(`${text}\n`);
    process.stdout.write(`${JSON.stringify(docs.length > 1 ? docs.map((d) => d.doc) : doc, null, 1)}\n`);
  } else process.stdout.write(`${text}\n`);
  if (saved.fallback) {
    if (saved.path) say(`ipcbench: results could not be written to ${opts.out} (${saved.problem}); saved to ${saved.path} instead`);
    else {
      say(
        `ipcbench: results could not be written to ${opts.out} (${saved.problem}) nor to a temporary directory or $HOME: ${opts.json ? 'the result document is on stdout' : 'the result document follows on stdout'}`,
      );
      if (!opts.json) process.stdout.write(`${JSON.stringify(doc, null, 1)}\n`);
    }
  }
  if (stoppedBy) return signalExitCode(stoppedBy);
  if (saved.fallback) return EXIT.resultsNotWritten;
  if (labPart?.document?.cases.some((c) => c.state === 'errored')) return EXIT.casesFailed;
  return doc.cases.some((c) => c.state === 'errored') ? EXIT.casesFailed : EXIT.ok;
}
