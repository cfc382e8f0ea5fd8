// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kdbusVecMax, kdbusSkipReason, locateKdbus } from './kdbus.js';

test('kdbus copies at most 2 MiB per message; kdbus-memfd has no such limit', () => {
  assert.equal(kdbusSkipReason(false, { workload: 'rpc', size: 64 }), undefined);
  assert.equal(kdbusSkipReason(false, { workload: 'rpc', size: kdbusVecMax() }), undefined);
  assert.match(kdbusSkipReason(false, { workload: 'rpc', size: kdbusVecMax() + 1 })!, /kdbus-memfd/);
  assert.equal(kdbusSkipReason(true, { workload: 'rpc', size: 8 * kdbusVecMax() }), undefined);
});

test('one bus per RPC pair: at most 16 concurrent pairs', () => {
  assert.equal(kdbusSkipReason(false, { workload: 'rpc', size: 64, concurrency: 16 }), undefined);
  assert.match(kdbusSkipReason(false, { workload: 'rpc', size: 64, concurrency: 17 })!, /16 buses/);
});

test('no kdbus: the reason names the base directory and the lab', () => {
  const bad = locateKdbus({ IPCBENCH_KDBUS: '/nonexistent-kdbus' });
  assert.ok('reason' in bad);
  assert.match(bad.reason, /no kdbus at \/nonexistent-kdbus/);
});

test('kdbus variants are one native transport with a parameter, each one the C side knows', async () => {
  const { transports, KDBUS_VARIANTS } = await import('./kdbus.js');
  const { nativeTransport } = await import('../common/addon.js');
  const n = nativeTransport('kdbus');
  assert.ok(n, 'native/transports/kdbus.c is registered');
  assert.deepEqual(
    transports.map((t) => t.name),
    ['kdbus', 'kdbus-memfd', 'kdbus-meta', 'kdbus-name'],
  );
  for (const t of transports) {
    assert.equal(t.native, 'kdbus');
    assert.ok(n.variants.includes(t.variant!), `${t.variant} is a variant of native kdbus`);
  }
  assert.equal(KDBUS_VARIANTS.length, n.variants.length);
  // name routing is an RPC measurement; metadata is measured for both workloads
  assert.deepEqual([...transports.find((t) => t.name === 'kdbus-name')!.workloads], ['rpc']);
  assert.deepEqual([...transports.find((t) => t.name === 'kdbus-meta')!.workloads], ['rpc', 'broadcast']);
});
