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
