import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRANSPORT_NAMES } from '../transports/index.js';
import {
  FAMILIES,
  familyOf,
  familyPanels,
  HEADLINE_TRANSPORTS,
  MAX_SERIES_PER_PANEL,
  PALETTE,
  panelFamilyLabel,
  transportColours,
  transportOrder,
} from './families.js';

const UNKNOWN = Array.from({ length: 11 }, (_, i) => `future-${i}`);

test('every registered transport has a family; an unknown one lands in "other"', () => {
  for (const t of TRANSPORT_NAMES) assert.notEqual(familyOf(t).id, 'other', t);
  assert.equal(familyOf('carrier-pigeon').id, 'other');
  const names = FAMILIES.flatMap((f) => f.transports);
  assert.equal(new Set(names).size, names.length, 'a transport is in one family only');
});

test('no panel holds more than 8 transports: a big family is cut into numbered panels', () => {
  const order = transportOrder(UNKNOWN);
  for (const f of [...FAMILIES, familyOf('future-0')])
    for (const p of familyPanels(order, f)) assert.ok(p.length <= MAX_SERIES_PER_PANEL, `${f.id}: ${p.length}`);
  assert.equal(panelFamilyLabel('future-0', order), 'other (1/2)');
  assert.equal(panelFamilyLabel('future-10', order), 'other (2/2)');
  assert.equal(panelFamilyLabel('pipe', order), 'pipes and sockets');
});

test('colours: one per transport, from the palette, never repeated inside a panel or in the headline chart', () => {
  const order = transportOrder(UNKNOWN);
  const colours = transportColours(UNKNOWN);
  for (const t of order) assert.ok(PALETTE.includes(colours.get(t)!), t);
  const panels = [...FAMILIES, familyOf('future-0')].flatMap((f) => familyPanels(order, f));
  for (const p of [...panels, [...HEADLINE_TRANSPORTS]]) {
    const used = p.map((t) => colours.get(t));
    assert.equal(new Set(used).size, used.length, `repeated colour among ${p.join(', ')}`);
  }
});

test('colours are deterministic and do not move when transports unknown to the registry appear', () => {
  const plain = transportColours();
  const more = transportColours(UNKNOWN);
  for (const t of transportOrder()) assert.equal(more.get(t), plain.get(t), t);
  assert.deepEqual([...transportColours(UNKNOWN)], [...more]);
});
