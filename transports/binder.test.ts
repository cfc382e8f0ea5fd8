// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binderMapMax, binderSkipReason, locateBinder } from './binder.js';

const rpc: { workload: 'rpc' | 'broadcast'; subscribers: number; concurrency: number } = { workload: 'rpc', subscribers: 0, concurrency: 1 };
const bcast: { workload: 'rpc' | 'broadcast'; subscribers: number; concurrency: number } = { workload: 'broadcast', subscribers: 4, concurrency: 1 };

test('payloads beyond the receiver mapping are skipped with the reason', () => {
  assert.equal(binderSkipReason({ ...rpc, size: 64 }, true), undefined);
  assert.equal(binderSkipReason({ ...rpc, size: 1 << 20 }, true), undefined);
  assert.match(binderSkipReason({ ...rpc, size: binderMapMax() }, true)!, /4 MiB/);
  assert.equal(binderSkipReason({ ...bcast, size: 1 << 20 }, true), undefined);
  assert.match(binderSkipReason({ ...bcast, size: 2 << 20 }, true)!, /one-way.*half/);
});

test('concurrent RPC pairs need a fresh device each (binderfs)', () => {
  assert.equal(binderSkipReason({ ...rpc, size: 64, concurrency: 4 }, true), undefined);
  assert.match(binderSkipReason({ ...rpc, size: 64, concurrency: 4 }, false)!, /binderfs/);
});

test('no binder: the reason says where to get one', () => {
  const none = locateBinder({}, '/nonexistent-root');
  assert.ok('reason' in none);
  assert.match(none.reason, /ipcbench lab run/);
  const bad = locateBinder({ IPCBENCH_BINDER: '/nonexistent' });
  assert.ok('reason' in bad && /IPCBENCH_BINDER/.test(bad.reason));
});
