import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB_DEFAULTS, LAB_REFERENCES, LAB_TRANSPORTS, planLab, RunProgress } from './everywhere.js';
import { DEFAULTS, parseRunOptions, type RawRunFlags } from '../options.js';

const NAMES = ['pipe', 'unix-stream', 'shm', 'dbus-p2p', 'dbus-daemon', 'dbus-broker', 'tcp', 'binder', 'kdbus', 'kdbus-memfd'];
const flags = (extra: Partial<RawRunFlags> & { lab?: boolean } = {}) => ({ ...(DEFAULTS as unknown as RawRunFlags), ...extra });
const statuses = NAMES.map((name) => ({ name, available: !LAB_TRANSPORTS.includes(name) }));
const onHost = NAMES.filter((n) => !LAB_TRANSPORTS.includes(n));
const opts = (f: RawRunFlags) => parseRunOptions(f, NAMES, onHost, 32);

test('by default the lab runs the kernel transports the host lacks, with the same-kernel references, on a smaller matrix', () => {
  const d = planLab(flags(), opts(flags()), NAMES, statuses, 'host');
  assert.ok(d.run);
  assert.deepEqual(d.plan.transports, [...LAB_TRANSPORTS, ...LAB_REFERENCES]);
  assert.deepEqual(d.plan.options.sizes, LAB_DEFAULTS.sizes);
  assert.deepEqual(d.plan.options.placements, LAB_DEFAULTS.placements);
  assert.deepEqual(d.plan.options.subscribers, LAB_DEFAULTS.subscribers);
  assert.equal(d.plan.options.repetitions, LAB_DEFAULTS.repetitions);
});

test('options given on the command line apply inside the lab too; an explicit transport list is kept as given', () => {
  const f = flags({ transports: 'kdbus,pipe', sizes: '64,1M' });
  const d = planLab(f, opts(f), opts(f).transports, statuses, 'host');
  assert.ok(d.run);
  assert.deepEqual(d.plan.transports, ['kdbus', 'pipe']);
  assert.deepEqual(d.plan.options.sizes, [64, 1 << 20]);
});

test('no lab part: --no-lab, nothing the host lacks, or already inside the lab', () => {
  assert.deepEqual(planLab(flags({ lab: false }), opts(flags()), NAMES, statuses, 'host'), { run: false, why: '--no-lab' });
  const f = flags({ transports: 'pipe,shm' });
  assert.equal(planLab(f, opts(f), opts(f).transports, statuses, 'host').run, false);
  assert.equal(planLab(flags(), opts(flags()), NAMES, statuses, 'lab-tcg').run, false);
  const all = NAMES.map((name) => ({ name, available: true }));
  assert.equal(planLab(flags(), opts(flags()), NAMES, all, 'host').run, false, 'a host with kdbus and binder needs no lab');
});

test('the lab gets its own budget cap unless --budget is given; the default lab matrix is the headline eight at the findings sizes', () => {
  const d = planLab(flags(), opts(flags()), NAMES, statuses, 'host');
  assert.ok(d.run);
  assert.equal(d.plan.options.budgetMs, LAB_DEFAULTS.budgetMs);
  assert.deepEqual(d.plan.options.sizes, [64, 65536]);
  assert.ok(!d.plan.transports.includes('dbus-p2p'));
  const f = flags({ budget: '10m' });
  const e = planLab(f, opts(f), NAMES, statuses, 'host');
  assert.ok(e.run);
  assert.equal(e.plan.options.budgetMs, 600_000);
});

test('progress without a terminal: what the lab is doing while it starts, then counted repetitions, one line per 2 s at most', () => {
  const lines: string[] = [];
  const p = new RunProgress(true, false, (t) => lines.push(t));
  p.setPhase('lab');
  p.waiting('booting the lab kernel under qemu');
  p.waiting('kernel modules loaded; starting ipcbench inside'); // within 2 s of the last line: not printed
  assert.deepEqual(lines, ['[lab: booting the lab kernel under qemu (0 s)]\n']);
  lines.length = 0;
  p.log('lab: a message');
  assert.equal(lines[0], 'lab: a message\n');
  p.stop();
  const q = new RunProgress(true, false, (t) => lines.push(t));
  q.setPhase('lab');
  lines.length = 0;
  q.update(1, 10, 'kdbus rpc 64B cross-core lab-tcg');
  assert.deepEqual(lines, ['[lab 1/10] kdbus rpc 64B cross-core lab-tcg\n']);
  q.stop();
  const off = new RunProgress(false, false, (t) => lines.push(t));
  off.waiting('x');
  off.update(1, 2, 'y');
  assert.equal(lines.length, 1, '--no-progress prints nothing');
});
