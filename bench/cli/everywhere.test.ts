import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB_DEFAULTS, LAB_REFERENCES, LAB_TRANSPORTS, planLab } from './everywhere.js';
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
