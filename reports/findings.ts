// What a run found, as short sentences derived from the data: each names its number, the 95% CI and the
// environment it holds for, or says why the data cannot support it (noisy, emulated only, a transport missing).
// The HTML report, the Markdown summary and the terminal summary of `ipcbench run` all print this one list.
import { formatTarget } from '../bench/case-precision.js';
import { median, mulberry32, quantileSorted, type Interval } from '../bench/stats.js';
import { metric, valuesOf } from './metrics.js';
import { envLabel, fmt, isEmulated, type CaseRow, type ReportModel } from './model.js';

/**
 * established: the CI supports the sentence. emulated: measured only under an emulated CPU, an ordering rather
 * than a timing. noisy: the CI is too wide to say. missing: a transport or workload the finding needs has no
 * results (the sentence says which and why).
 */
export type FindingStatus = 'established' | 'emulated' | 'noisy' | 'missing';

export interface FindingNumber {
  value: number;
  low: number;
  high: number;
  /** '×' for ratios, 'µs' for times. */
  unit: string;
}

export interface Finding {
  /** Stable id: topic and environment, e.g. "daemon-hop/host". */
  id: string;
  topic: string;
  /** One or two sentences with their numbers; the environment is in `where`. */
  text: string;
  /** Environment id (host, lab-tcg, …) the finding holds for; absent when no environment has the data. */
  env?: string;
  /** The environment, placement and size it holds for, e.g. "host (kernel 6.1.0), cross-core, 64 B". */
  where: string;
  /** The headline number of the sentence. */
  number?: FindingNumber;
  status: FindingStatus;
  /**
   * Cases behind the sentence's latency figures whose p50 CI missed the run's precision target (--ci-target,
   * ±2% by default): "transport size" labels. Their figures carry MISSED_MARK in the text.
   */
  missed?: string[];
  /** The precision target those cases missed (0.02 = ±2%). */
  missedTarget?: number;
}

/** Marks a figure whose case missed the run's precision target: the same mark as the terminal's tables. */
export const MISSED_MARK = '*';

/** A case whose p50 CI came out wider than the run's precision target (bench/case-precision.ts). */
export function missedTarget(row: CaseRow): boolean {
  return row.result.precision !== undefined && !row.result.precision.met;
}

/** "±2%" for 0.02 (the terminal's wording). */
export const targetText = formatTarget;

/** The cases of one finding that missed the precision target, collected while its sentence is written. */
class Imprecise {
  private readonly rows = new Set<CaseRow>();

  /** MISSED_MARK when one of `rows` missed the target (and remembers it), else ''. */
  mark(...rows: (CaseRow | undefined)[]): string {
    const missed = rows.filter((r): r is CaseRow => !!r && missedTarget(r));
    for (const r of missed) this.rows.add(r);
    return missed.length ? MISSED_MARK : '';
  }

  /** The finding's `missed` and `missedTarget` fields (none when every case met the target). */
  fields(): Pick<Finding, 'missed' | 'missedTarget'> {
    if (!this.rows.size) return {};
    const rows = [...this.rows];
    return {
      missed: rows.map((r) => `${r.key.transport} ${sizeLabel(r.key.size)}${r.key.workload === 'broadcast' ? ` N=${r.key.subscribers}` : ''}`),
      missedTarget: rows[0]!.result.precision!.target,
    };
  }
}

/** A CI that spans more than this factor (high / low) is too wide to assert anything from. */
export const NOISY_SPAN = 2;

const BOOTSTRAP_RESAMPLES = 2000;

/**
 * Ratio of two medians with a percentile-bootstrap 95% CI: both samples (per-repetition values, each from fresh
 * processes) are resampled independently and the ratio of the resampled medians is taken each time.
 */
export function ratioOfMedians(a: readonly number[], b: readonly number[], seed = 7): Interval {
  const m = median(a) / median(b);
  if (a.length < 2 || b.length < 2) return { median: m, low: m, high: m, n: Math.min(a.length, b.length) };
  const rand = mulberry32(seed);
  const ratios: number[] = [];
  const pick = (v: readonly number[]) => {
    const s = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) s[i] = v[Math.floor(rand() * v.length)]!;
    return median(s);
  };
  for (let i = 0; i < BOOTSTRAP_RESAMPLES; i++) {
    const d = pick(b);
    if (d > 0) ratios.push(pick(a) / d);
  }
  ratios.sort((x, y) => x - y);
  return { median: m, low: quantileSorted(ratios, 0.025), high: quantileSorted(ratios, 0.975), n: Math.min(a.length, b.length) };
}

export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** "95% CI 1.80–2.20×"; with fewer than two repetitions on a side there is no interval, and it says so. */
const ci = (i: { low: number; high: number; n?: number }, unit = '') =>
  i.n !== undefined && i.n < 2 ? 'no CI: one repetition' : `95% CI ${fmt(i.low)}–${fmt(i.high)}${unit}`;

/** "3.2× faster (95% CI 2.9–3.5×)", "1.4× slower (…)", or "no clear difference (×0.97, 95% CI 0.90–1.05)". */
export function versus(r: Interval): string {
  if (r.high < 1) return `${fmt(1 / r.median)}× faster (${ci({ low: 1 / r.high, high: 1 / r.low }, '×')})`;
  if (r.low > 1) return `${fmt(r.median)}× slower (${ci(r, '×')})`;
  return `no clear difference (×${fmt(r.median)}, ${ci(r, '×')})`;
}

/**
 * "×1.97 (95% CI 1.80–2.20)", flagged "unresolved" when the interval is too wide to rely on, and marked when a
 * case behind it missed the precision target (`mark`, from Imprecise.mark).
 */
function times(r: Interval, mark = ''): string {
  return `×${fmt(r.median)} (${ci(r, '×')}${isNoisy(r) && r.n >= 2 ? ', unresolved' : ''})${mark}`;
}

function isNoisy(r: Interval): boolean {
  return r.n < 3 || !(r.low > 0) || r.high / r.low > NOISY_SPAN;
}

function ratioNumber(r: Interval): FindingNumber {
  return { value: r.median, low: r.low, high: r.high, unit: '×' };
}

/** Cases of one environment and workload, for lookups by transport, size, placement and subscribers. */
class Cases {
  constructor(readonly rows: readonly CaseRow[]) {}

  /** The `null` transport measures the harness alone (no IPC): it is in the tables, not in the findings. */
  static of(model: ReportModel, env: string, workload: 'rpc' | 'broadcast'): Cases {
    return new Cases(
      model.detail.filter(
        (r) =>
          r.env === env && r.state === 'ok' && r.key.transport !== 'null' && r.key.workload === workload && r.key.concurrency === 1 && r.key.mode === 'closed',
      ),
    );
  }

  get transports(): Set<string> {
    return new Set(this.rows.map((r) => r.key.transport));
  }

  /** cross-core when measured (the placement with the bus daemon on its own core), else what there is. */
  placement(): string | undefined {
    const have = new Set(this.rows.map((r) => r.key.placement));
    return (['cross-core', 'same-core', 'unpinned'] as const).find((p) => have.has(p));
  }

  sizes(placement: string): number[] {
    return [...new Set(this.rows.filter((r) => r.key.placement === placement).map((r) => r.key.size))].sort((a, b) => a - b);
  }

  find(q: { transport: string; placement: string; size?: number; subscribers?: number; uninterested?: number }): CaseRow | undefined {
    return this.rows.find(
      (r) =>
        r.key.transport === q.transport &&
        r.key.placement === q.placement &&
        (q.size === undefined || r.key.size === q.size) &&
        (q.subscribers === undefined || r.key.subscribers === q.subscribers) &&
        (r.key.uninterested ?? 0) === (q.uninterested ?? 0),
    );
  }
}

function values(row: CaseRow, metricId: string): number[] {
  return valuesOf(row.result.repetitions, metric(metricId));
}

function ratioOf(a: CaseRow, b: CaseRow, metricId = 'p50'): Interval | undefined {
  const va = values(a, metricId);
  const vb = values(b, metricId);
  if (!va.length || !vb.length) return undefined;
  return ratioOfMedians(va, vb);
}

/**
 * The status of a finding from the interval of its headline number and the environment. Other clauses of the
 * sentence whose interval is too wide are marked "unresolved" where they stand.
 */
function statusOf(env: string, headline: Interval): FindingStatus {
  if (isNoisy(headline)) return 'noisy';
  return isEmulated(env) ? 'emulated' : 'established';
}

/** The status is shown beside the sentence (a badge, a tag), so the sentence itself does not repeat it. */
function caveat(_status: FindingStatus): string {
  return '';
}

/** Keep a long list short: the first and last `ends` items, and the ones named in `also`, in their order. */
function shortList<T>(items: readonly T[], name: (t: T) => string, also: readonly string[], ends = 2, cap = 6): T[] {
  const keep = new Set<T>([...items.slice(0, ends), ...items.slice(-ends)]);
  for (const t of items) if (keep.size < cap && also.includes(name(t))) keep.add(t);
  return items.filter((t) => keep.has(t));
}

const QUESTION = ['kdbus', 'binder', 'dbus-broker', 'dbus-daemon', 'unix-stream', 'shm', 'pipe'];

/** Environments in the order of the detail runs (host first when present). */
function environments(model: ReportModel): string[] {
  const envs = [...new Set(model.detail.map((r) => r.env))];
  return envs.sort((a, b) => (a === 'host' ? -1 : b === 'host' ? 1 : 0));
}

function whyMissing(model: ReportModel, transport: string): string {
  const statuses = model.detailRuns.flatMap((r) => r.doc.transports.filter((t) => t.name === transport).map((t) => ({ env: r.doc.host.env, ...t })));
  const reasons = statuses.filter((s) => !s.available).map((s) => `${s.env}: ${s.reason ?? 'unavailable'}`);
  const failed = model.detail.filter((r) => r.key.transport === transport && r.state !== 'ok' && r.reason).map((r) => `${r.env}: ${r.state}: ${r.reason}`);
  const lab = model.runs.flatMap((r) => r.doc.warnings.filter((w) => w.startsWith('lab: ')));
  const all = [...new Set([...reasons, ...failed, ...lab])];
  if (all.length) return `${transport} has no results (${all.slice(0, 3).join('; ')})`;
  return `${transport} was not part of this run`;
}

function where(model: ReportModel, env: string, ...rest: (string | undefined)[]): string {
  return [envLabel(model, env), ...rest.filter(Boolean)].join(', ');
}

// ---- the findings ----------------------------------------------------------------------------------------

function daemonHop(model: ReportModel, env: string): Finding[] {
  const c = Cases.of(model, env, 'rpc');
  const placement = c.placement();
  if (!placement) return [];
  const size = c.sizes(placement)[0]!;
  const p2p = c.find({ transport: 'dbus-p2p', placement, size });
  const stream = c.find({ transport: 'unix-stream', placement, size });
  const base = p2p ?? stream;
  const daemons = ['dbus-daemon', 'dbus-broker'].map((t) => c.find({ transport: t, placement, size })).filter((r): r is CaseRow => !!r);
  if (!daemons.length || !base) return [];
  const parts: string[] = [];
  const imprecise = new Imprecise();
  let first: Interval | undefined;
  for (const d of daemons) {
    const r = ratioOf(d, base);
    if (!r) continue;
    first ??= r;
    const a = d.metrics['p50'];
    const b = base.metrics['p50'];
    const diff = a && b ? a.median - b.median : undefined;
    const added = diff === undefined ? '' : `${diff < 0 ? '−' : '+'}${fmt(Math.abs(diff))} µs, `;
    parts.push(`${d.key.transport} ${added}${times(r, imprecise.mark(d, base))}`);
  }
  if (!first) return [];
  const baseName = base === p2p ? 'the same D-Bus call without a daemon (dbus-p2p)' : 'unix-stream';
  let text = `A ${sizeLabel(size)} call through the bus daemon, against ${baseName}: ${parts.join('; ')}.`;
  if (p2p && stream) {
    const m = ratioOf(p2p, stream);
    if (m) text += ` D-Bus marshalling without a daemon: dbus-p2p vs unix-stream ${times(m, imprecise.mark(p2p, stream))}.`;
  }
  const status = statusOf(env, first);
  return [
    {
      id: `daemon-hop/${env}`,
      topic: 'The bus daemon hop',
      text: text + caveat(status),
      env,
      where: where(model, env, placement, sizeLabel(size)),
      number: ratioNumber(first),
      status,
      ...imprecise.fields(),
    },
  ];
}

const KDBUS_VERSUS = ['dbus-daemon', 'dbus-broker', 'binder', 'unix-stream'];

function kdbusVersus(model: ReportModel, env: string): Finding[] {
  const c = Cases.of(model, env, 'rpc');
  const placement = c.placement();
  if (!placement || !c.transports.has('kdbus')) return [];
  const sizes = c.sizes(placement);
  const near = (target: number) => sizes.reduce((best, s) => (Math.abs(Math.log(s / target)) < Math.abs(Math.log(best / target)) ? s : best), sizes[0]!);
  const picked = [...new Set([sizes[0]!, near(65536)])];
  const out: Finding[] = [];
  for (const size of picked) {
    const k = c.find({ transport: 'kdbus', placement, size });
    if (!k) continue;
    const parts: string[] = [];
    const imprecise = new Imprecise();
    let first: Interval | undefined;
    const absent: string[] = [];
    for (const other of KDBUS_VERSUS) {
      const o = c.find({ transport: other, placement, size });
      const r = o && ratioOf(k, o);
      if (!r) {
        absent.push(other);
        continue;
      }
      first ??= r;
      parts.push(`${other} ${times(r, imprecise.mark(k, o))}`);
    }
    if (!first) continue;
    const missing = absent.length ? ` Not compared: ${absent.join(', ')} (no ${sizeLabel(size)} result in this kernel).` : '';
    const status = statusOf(env, first);
    out.push({
      id: `kdbus/${env}/${size}`,
      topic: `kdbus vs the rest at ${sizeLabel(size)}`,
      text: `kdbus call latency ÷ each other transport's, same kernel (below 1: kdbus faster): ${parts.join('; ')}.${missing}${caveat(status)}`,
      env,
      where: where(model, env, placement, sizeLabel(size)),
      number: ratioNumber(first),
      status,
      ...imprecise.fields(),
    });
  }
  return out;
}

/** Pairs whose ratio crosses 1 somewhere along the size axis: the mechanism, the transport that uses it, the baseline. */
const CROSSOVERS: readonly { mechanism: string; a: string; b: string }[] = [
  { mechanism: 'single copy', a: 'kdbus', b: 'unix-stream' },
  { mechanism: 'single copy', a: 'binder', b: 'unix-stream' },
  { mechanism: 'single copy', a: 'shm', b: 'unix-stream' },
  { mechanism: 'memfd', a: 'dbus-broker-memfd', b: 'dbus-broker' },
  { mechanism: 'memfd', a: 'dbus-daemon-memfd', b: 'dbus-daemon' },
  { mechanism: 'memfd', a: 'kdbus-memfd', b: 'kdbus' },
];

function crossovers(model: ReportModel, env: string): Finding[] {
  const c = Cases.of(model, env, 'rpc');
  const placement = c.placement();
  if (!placement) return [];
  const out: Finding[] = [];
  for (const mech of ['single copy', 'memfd']) {
    const clauses: string[] = [];
    const imprecise = new Imprecise();
    let headline: Interval | undefined;
    for (const pair of CROSSOVERS.filter((p) => p.mechanism === mech)) {
      const points = c
        .sizes(placement)
        .map((size) => {
          const a = c.find({ transport: pair.a, placement, size });
          const b = c.find({ transport: pair.b, placement, size });
          const r = a && b ? ratioOf(a, b) : undefined;
          return r ? { size, r, rows: [a, b] } : undefined;
        })
        .filter((p): p is { size: number; r: Interval; rows: [CaseRow, CaseRow] } => !!p);
      if (points.length < 2) continue;
      // The smallest size from which A beats B (CI below 1) at every larger size measured.
      let from = -1;
      for (let i = points.length - 1; i >= 0 && points[i]!.r.high < 1; i--) from = i;
      const last = points[points.length - 1]!;
      if (from === 0) {
        clauses.push(`${pair.a} beats ${pair.b} at every size (${sizeLabel(points[0]!.size)}: ${times(points[0]!.r, imprecise.mark(...points[0]!.rows))})`);
        headline ??= points[0]!.r;
      } else if (from > 0) {
        const p = points[from]!;
        clauses.push(`${pair.a} beats ${pair.b} from ${sizeLabel(p.size)} on (${times(p.r, imprecise.mark(...p.rows))})`);
        headline ??= p.r;
      } else {
        clauses.push(`${pair.a} does not beat ${pair.b} up to ${sizeLabel(last.size)} (${times(last.r, imprecise.mark(...last.rows))} there)`);
        headline ??= last.r;
      }
    }
    if (!headline) continue;
    const status = statusOf(env, headline);
    out.push({
      id: `crossover/${mech.replace(' ', '-')}/${env}`,
      topic: mech === 'memfd' ? 'When memfd wins' : 'When a single copy wins',
      text: `${clauses.join('; ')}.${caveat(status)}`,
      env,
      where: where(model, env, placement, `sizes ${c.sizes(placement).map(sizeLabel).join(', ')}`),
      number: ratioNumber(headline),
      status,
      ...imprecise.fields(),
    });
  }
  return out;
}

function broadcastGrowth(model: ReportModel, env: string): Finding[] {
  const c = Cases.of(model, env, 'broadcast');
  const placement = c.placement();
  if (!placement) return [];
  const size = c.sizes(placement)[0]!;
  const latencyMetric = (r: CaseRow) => (values(r, 'lastSubscriber.p50').length ? 'lastSubscriber.p50' : 'p50');
  const growth: { transport: string; n: number; r: Interval; cpu?: Interval; rows: [CaseRow, CaseRow] }[] = [];
  for (const t of c.transports) {
    const mine = c.rows.filter((r) => r.key.transport === t && r.key.placement === placement && r.key.size === size && (r.key.uninterested ?? 0) === 0);
    const one = mine.find((r) => Math.max(1, r.key.subscribers) === 1);
    const top = mine.reduce<CaseRow | undefined>((best, r) => (!best || r.key.subscribers > best.key.subscribers ? r : best), undefined);
    if (!one || !top || top === one) continue;
    const r = ratioOf(top, one, latencyMetric(one));
    if (!r) continue;
    growth.push({ transport: t, n: top.key.subscribers, r, cpu: ratioOf(top, one, 'cpu.publisher'), rows: [top, one] });
  }
  const out: Finding[] = [];
  if (growth.length) {
    growth.sort((a, b) => a.r.median - b.r.median);
    const ns = [...new Set(growth.map((g) => g.n))];
    const listed = shortList(growth, (g) => g.transport, QUESTION);
    const imprecise = new Imprecise();
    const clause = (g: (typeof growth)[number]) =>
      `${g.transport} ${times(g.r, imprecise.mark(...g.rows))}${g.cpu ? `, publisher CPU ×${fmt(g.cpu.median)}` : ''}${ns.length > 1 ? ` (N=${g.n})` : ''}`;
    const status = statusOf(env, growth[0]!.r);
    const others = growth.length - listed.length;
    const text =
      `Time until the last subscriber has the message, N=${ns.length === 1 ? ns[0] : 'max'} ÷ N=1, least growth first: ` +
      `${listed.map(clause).join('; ')}${others > 0 ? ` (${others} more in the broadcast chart)` : ''}.${caveat(status)}`;
    out.push({
      id: `broadcast-growth/${env}`,
      topic: `Broadcast from 1 to ${ns.length === 1 ? ns[0] : 'N'} subscribers`,
      text,
      env,
      where: where(model, env, placement, sizeLabel(size)),
      number: ratioNumber(growth[0]!.r),
      status,
      ...imprecise.fields(),
    });
  }
  // What filtering saves: K of N subscribers not interested, against all N interested.
  const filtered = c.rows.filter((r) => (r.key.uninterested ?? 0) > 0 && r.key.placement === placement);
  const savings: { transport: string; n: number; k: number; r: Interval }[] = [];
  for (const f of filtered) {
    const all = c.find({ transport: f.key.transport, placement, size: f.key.size, subscribers: f.key.subscribers, uninterested: 0 });
    const r = all && ratioOf(f, all, 'cpu.publisher');
    if (r) savings.push({ transport: f.key.transport, n: f.key.subscribers, k: f.key.uninterested, r });
  }
  if (savings.length) {
    savings.sort((a, b) => a.r.median - b.r.median);
    const listed = shortList(savings, (s) => s.transport, QUESTION);
    const status = statusOf(env, savings[0]!.r);
    out.push({
      id: `filtering/${env}`,
      topic: 'What filtering saves',
      text:
        `Publisher CPU per broadcast with K of N subscribers not interested ÷ with all N interested (below 1: the filter spares the publisher): ` +
        `${listed.map((s) => `${s.transport} ${times(s.r)} (N=${s.n}, K=${s.k})`).join('; ')}.${caveat(status)}`,
      env,
      where: where(model, env, placement),
      number: ratioNumber(savings[0]!.r),
      status,
    });
  }
  return out;
}

function cpuPerMessage(model: ReportModel, env: string): Finding[] {
  const c = Cases.of(model, env, 'rpc');
  const placement = c.placement();
  if (!placement) return [];
  const size = c.sizes(placement)[0]!;
  const rows = c.rows
    .filter((r) => r.key.placement === placement && r.key.size === size && r.metrics['cpuPerOp'])
    .sort((a, b) => a.metrics['cpuPerOp']!.median - b.metrics['cpuPerOp']!.median);
  if (rows.length < 2) return [];
  const listed = shortList(rows, (r) => r.key.transport, QUESTION, 1, 7);
  const clause = (r: CaseRow) => {
    const cpu = r.metrics['cpuPerOp']!;
    const daemon = r.metrics['cpu.daemon'];
    const noisy = cpu.n < 3 || !(cpu.low > 0) || cpu.high / cpu.low > NOISY_SPAN;
    return `${r.key.transport} ${fmt(cpu.median)} µs (${ci(cpu)}${noisy && cpu.n >= 2 ? ', unresolved' : ''})${daemon ? ` incl. daemon ${fmt(daemon.median)} µs` : ''}`;
  };
  const first = rows[0]!.metrics['cpuPerOp']!;
  const status = statusOf(env, { ...first, low: first.low, high: first.high });
  return [
    {
      id: `cpu/${env}`,
      topic: 'CPU per message',
      text: `CPU time per ${sizeLabel(size)} call, all processes, cheapest first: ${listed.map(clause).join('; ')}.${caveat(status)}`,
      env,
      where: where(model, env, placement, sizeLabel(size)),
      number: { value: first.median, low: first.low, high: first.high, unit: 'µs' },
      status,
    },
  ];
}

/** Findings the data cannot support at all: the transports of the suite's question that have no results. */
function missing(model: ReportModel): Finding[] {
  const have = new Set(model.detail.filter((r) => r.state === 'ok').map((r) => r.key.transport));
  const out: Finding[] = [];
  if (!have.has('kdbus'))
    out.push({
      id: 'kdbus/missing',
      topic: 'kdbus vs the rest',
      text: `Not established: ${whyMissing(model, 'kdbus')}.`,
      where: 'no environment',
      status: 'missing',
    });
  if (!have.has('dbus-daemon') && !have.has('dbus-broker'))
    out.push({
      id: 'daemon-hop/missing',
      topic: 'The bus daemon hop',
      text: `Not established: ${whyMissing(model, 'dbus-broker')}; ${whyMissing(model, 'dbus-daemon')}.`,
      where: 'no environment',
      status: 'missing',
    });
  const broadcast = model.detail.some((r) => r.state === 'ok' && r.key.workload === 'broadcast');
  if (broadcast && !model.detail.some((r) => r.state === 'ok' && r.key.workload === 'broadcast' && r.key.uninterested > 0))
    out.push({
      id: 'filtering/missing',
      topic: 'What filtering saves',
      text: 'Not measured: every broadcast case had all subscribers interested (run with --uninterested K to measure it).',
      where: 'no environment',
      status: 'missing',
    });
  return out;
}

/** Every finding of a report model, environment by environment, then what could not be established. */
export function computeFindings(model: ReportModel): Finding[] {
  const out: Finding[] = [];
  for (const env of environments(model)) {
    out.push(...kdbusVersus(model, env), ...daemonHop(model, env), ...crossovers(model, env), ...broadcastGrowth(model, env), ...cpuPerMessage(model, env));
  }
  // Lead with the suite's question.
  out.sort((a, b) => Number(!a.id.startsWith('kdbus/')) - Number(!b.id.startsWith('kdbus/')));
  return [...out, ...missing(model)];
}

export const STATUS_TAG: Record<FindingStatus, string> = {
  established: '',
  emulated: ' [emulated CPU: an ordering, not a timing]',
  noisy: ' [too noisy to rely on]',
  missing: ' [not established]',
};

/** Plain-text findings for a terminal: one paragraph each, wrapped to `width`. */
export function findingsText(findings: readonly Finding[], width = 100): string {
  const wrap = (s: string, indent: string) => {
    const words = s.split(/\s+/);
    const lines: string[] = [];
    let line = '';
    for (const w of words) {
      if (line && line.length + 1 + w.length > width - indent.length) {
        lines.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) lines.push(line);
    return lines.map((l, i) => (i ? indent + l : l)).join('\n');
  };
  const lines = findings.map((f) => `- ${wrap(`${f.topic}${STATUS_TAG[f.status]} — ${f.where}: ${f.text}`, '  ')}`);
  const note = missedNote(findings);
  if (note) lines.push(wrap(note, ''));
  return lines.join('\n');
}

/**
 * The footnote for MISSED_MARK when a finding carries it: which target was missed, how many cases, and what to
 * do about it. Undefined when every case behind the findings met the target.
 */
export function missedNote(findings: readonly Finding[]): string | undefined {
  const marked = findings.filter((f) => f.missed?.length);
  if (!marked.length) return undefined;
  const targets = [...new Set(marked.map((f) => f.missedTarget!))].map(targetText).join(' / ');
  const cases = new Set(marked.flatMap((f) => f.missed!.map((m) => `${f.env}|${m}`))).size;
  return (
    `${MISSED_MARK} a case behind this figure missed the run's ${targets} precision target (${cases} case${cases === 1 ? '' : 's'} in these findings): ` +
    'its p50 CI is wider than asked, so read the figure with its CI (more time: --budget).'
  );
}
