// Broadcast scaling benchmark (issue 4's performance bar). One run, transports interleaved: for N subscribers it
// prints the publisher's cost per broadcast (wall time of the publish call and publisher CPU per broadcast) and
// the last-subscriber latency, then the growth ratios cost(N=max)/cost(N=1). The claim under test: a single-copy
// shared ring (shm) makes the publisher's cost grow far slower with N than one write per subscriber (pipes).
//
// usage: node dist/bench/selfbench/broadcast-scaling.js [--transports pipe,unix-stream,shm] [--subscribers 1,2,4,8,16]
//        [--placement cross-core] [--duration 200] [--repetitions 3] [--out results]
import { parseArgs } from 'node:util';
import { collectHost, preflightWarnings } from '../host.js';
import { formatNs } from '../cli/format.js';
import { headerSize } from '../native.js';
import { DEFAULTS, parseRunOptions } from '../options.js';
import { probeAll } from '../probe.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type ResultDocument } from '../result.js';
import { Runner } from '../runner/runner.js';
import { ensureWritableDir, newRunId, ResultWriter } from '../writer.js';
import { TRANSPORTS, TRANSPORT_NAMES } from '../../transports/index.js';

const { values: a } = parseArgs({
  options: {
    transports: { type: 'string' },
    subscribers: { type: 'string', default: '1,2,4,8,16' },
    placement: { type: 'string', default: 'cross-core' },
    duration: { type: 'string', default: '200' },
    repetitions: { type: 'string', default: '3' },
    size: { type: 'string', default: '64' },
    out: { type: 'string', default: 'results' },
  },
});

const available = (await probeAll()).filter((s) => s.available).map((s) => s.name);
/** Summaries are in the metric table's units (µs for these); formatNs wants ns. */
const usToNs = (e: { median: number } | undefined): number => (e?.median ?? NaN) * 1000;
const broadcasters = TRANSPORTS.filter((t) => t.workloads.includes('broadcast') && available.includes(t.name)).map((t) => t.name);
const opts = parseRunOptions(
  {
    ...DEFAULTS,
    transports: a.transports ?? broadcasters.join(','),
    workloads: 'broadcast',
    subscribers: a.subscribers!,
    broadcastPlacement: a.placement!,
    duration: a.duration!,
    repetitions: a.repetitions!,
    minRepetitions: a.repetitions!,
    broadcastSizes: a.size!,
    out: a.out!,
  },
  TRANSPORT_NAMES,
  broadcasters,
  headerSize(),
);
await ensureWritableDir(opts.out);
const host = collectHost();
const doc: ResultDocument = {
  schema: SCHEMA_NAME,
  schemaVersion: SCHEMA_VERSION,
  runId: newRunId(),
  startedAt: new Date().toISOString(),
  complete: false,
  argv: process.argv.slice(2),
  options: { ...opts },
  host,
  warnings: preflightWarnings(host),
  transports: await probeAll(opts.transports),
  cases: [],
};
const writer = new ResultWriter(opts.out, doc.runId);
await new Runner(opts, doc, new AbortController().signal, {
  onSave: async (d) => {
    await writer.save(d);
  },
}).run();
doc.complete = true;
doc.finishedAt = new Date().toISOString();
const saved = await writer.finish(doc);
if (saved.fallback)
  process.stderr.write(`results could not be written to ${opts.out} (${saved.problem}); ${saved.path ? `saved to ${saved.path} instead` : 'not saved'}\n`);

const ns = opts.subscribers;
const first = ns[0]!;
const last = ns.at(-1)!;
const out: string[] = [
  `broadcast scaling, ${opts.broadcastSizes[0]} B, ${opts.broadcastPlacements.join(',')}, closed loop, median of ${opts.repetitions} repetitions`,
];
for (const w of doc.warnings) out.push(`warning: ${w}`);
out.push(
  '',
  `${'transport'.padEnd(16)}${'N'.padStart(4)}  ${'publish call'.padStart(12)}  ${'pub CPU/bcast'.padStart(13)}  ${'last-sub p50'.padStart(12)}  ${'delivery p50'.padStart(12)}`,
);
for (const t of opts.transports) {
  for (const n of ns) {
    const c = doc.cases.find((x) => x.key.transport === t && x.key.subscribers === n);
    if (!c) continue;
    if (c.state !== 'ok') {
      out.push(`${t.padEnd(16)}${String(n).padStart(4)}  ${c.state}: ${c.reason}`);
      continue;
    }
    const s = c.summary!;
    out.push(
      `${t.padEnd(16)}${String(n).padStart(4)}  ${formatNs(usToNs(s['publishCall.p50'])).padStart(12)}  ${formatNs(usToNs(s['cpu.publisher'])).padStart(13)}  ${formatNs(usToNs(s['lastSubscriber.p50'])).padStart(12)}  ${formatNs(usToNs(s.p50)).padStart(12)}`,
    );
  }
}
out.push('', `growth from N=${first} to N=${last} (ratio of medians):`);
for (const t of opts.transports) {
  const at = (n: number) => doc.cases.find((x) => x.key.transport === t && x.key.subscribers === n && x.state === 'ok')?.summary;
  const lo = at(first);
  const hi = at(last);
  if (!lo || !hi) {
    out.push(`${t.padEnd(16)} n/a (a case did not run)`);
    continue;
  }
  const r = (m: string) => ((hi[m]?.median ?? NaN) / (lo[m]?.median ?? NaN)).toFixed(2);
  out.push(
    `${t.padEnd(16)} publish call x${r('publishCall.p50')}   publisher CPU x${r('cpu.publisher')}   last-subscriber latency x${r('lastSubscriber.p50')}`,
  );
}
out.push('', `results: ${writer.path}`);
process.stdout.write(`${out.join('\n')}\n`);
