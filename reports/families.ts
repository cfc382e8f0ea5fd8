// Transport families and colours, as tables. Charts draw one panel per family (small multiples), and every
// transport keeps one colour across the whole report. A transport this table does not know (a new one, or one
// from a newer result file) lands in the "other" family and still gets a colour.
import { TRANSPORT_NAMES } from '../transports/index.js';

export interface Family {
  readonly id: string;
  readonly label: string;
  readonly transports: readonly string[];
}

/** Order = panel order. The names follow the transport registry (and the transports other branches are adding). */
export const FAMILIES: readonly Family[] = [
  { id: 'pipes-sockets', label: 'pipes and sockets', transports: ['pipe', 'fifo', 'unix-stream', 'unix-seqpacket', 'tcp', 'udp', 'io-uring'] },
  { id: 'shared-memory', label: 'shared memory', transports: ['shm', 'shm-spin', 'eventfd', 'io-uring-msg-ring', 'iceoryx'] },
  { id: 'queues', label: 'message queues', transports: ['posix-mq', 'sysv-msg'] },
  {
    id: 'dbus',
    label: 'D-Bus',
    transports: ['dbus-p2p', 'dbus-daemon', 'dbus-daemon-memfd', 'dbus-daemon-libdbus', 'dbus-broker', 'dbus-broker-memfd', 'dbus-broker-libdbus'],
  },
  { id: 'kernel-buses', label: 'kernel buses', transports: ['binder', 'kdbus', 'kdbus-memfd', 'kdbus-meta', 'kdbus-name'] },
  { id: 'libraries', label: 'messaging libraries and protocols', transports: ['zeromq', 'varlink'] },
  { id: 'baseline', label: 'baseline (no kernel)', transports: ['null'] },
];

export const OTHER_FAMILY: Family = { id: 'other', label: 'other', transports: [] };

/** The transports of the suite's question, drawn together in the headline chart (at most 8). */
export const HEADLINE_TRANSPORTS: readonly string[] = ['kdbus', 'kdbus-memfd', 'binder', 'dbus-broker', 'dbus-daemon', 'unix-stream', 'pipe', 'shm'];

/** No chart panel shows more lines than this; a family with more transports is split into numbered panels. */
export const MAX_SERIES_PER_PANEL = 8;

export function familyOf(transport: string): Family {
  return FAMILIES.find((f) => f.transports.includes(transport)) ?? OTHER_FAMILY;
}

export function familyIndex(transport: string): number {
  const i = FAMILIES.findIndex((f) => f.transports.includes(transport));
  return i < 0 ? FAMILIES.length : i;
}

/**
 * Paul Tol's "muted" qualitative scheme (designed to stay distinguishable with the common colour-vision
 * deficiencies and on a white background), darker colours first; then Okabe & Ito's, should a report ever need
 * more than nine colours at once.
 */
export const PALETTE: readonly string[] = [
  '#332288',
  '#117733',
  '#CC6677',
  '#88CCEE',
  '#AA4499',
  '#DDCC77',
  '#44AA99',
  '#882255',
  '#999933',
  '#E69F00',
  '#0072B2',
  '#D55E00',
  '#56B4E9',
  '#009E73',
  '#CC79A7',
  '#000000',
];

/** Every transport name the report may show, in registry order, then any others in the order given. */
export function transportOrder(present: Iterable<string> = []): string[] {
  const out = [...TRANSPORT_NAMES];
  for (const f of FAMILIES) for (const t of f.transports) if (!out.includes(t)) out.push(t);
  for (const t of present) if (!out.includes(t)) out.push(t);
  return out;
}

/**
 * One colour per transport for the whole report, assigned deterministically in registry order: each transport
 * takes the first palette colour that no transport it can share a panel with (its family, or the headline
 * chart) already has. So the same transport is the same colour in every chart and no panel repeats a colour,
 * with at most MAX_SERIES_PER_PANEL lines per panel.
 */
export function transportColours(present: Iterable<string> = []): Map<string, string> {
  const order = transportOrder(present);
  const panelOf = (t: string) => familyPanels(order, familyOf(t)).find((p) => p.includes(t)) ?? [];
  const colours = new Map<string, string>();
  for (const t of order) {
    const neighbours = new Set(panelOf(t));
    if (HEADLINE_TRANSPORTS.includes(t)) for (const h of HEADLINE_TRANSPORTS) neighbours.add(h);
    const taken = new Set([...neighbours].map((n) => colours.get(n)).filter((c): c is string => !!c));
    const free = PALETTE.find((c) => !taken.has(c)) ?? PALETTE[colours.size % PALETTE.length]!;
    colours.set(t, free);
  }
  return colours;
}

/** The transports of one family (from `transports`, in their order) cut into panels of at most 8. */
export function familyPanels(transports: readonly string[], family: Family): string[][] {
  const members = transports.filter((t) => familyOf(t).id === family.id);
  const out: string[][] = [];
  for (let i = 0; i < members.length; i += MAX_SERIES_PER_PANEL) out.push(members.slice(i, i + MAX_SERIES_PER_PANEL));
  return out;
}

/** The panel label of a transport's family, numbered when the family needs more than one panel. */
export function panelFamilyLabel(transport: string, transports: readonly string[]): string {
  const family = familyOf(transport);
  const panels = familyPanels(transports, family);
  if (panels.length <= 1) return family.label;
  const i = panels.findIndex((p) => p.includes(transport));
  return `${family.label} (${i + 1}/${panels.length})`;
}
