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

test('binder_linux device pool: found in index order, concurrent pairs beyond its size skipped with the fix', async () => {
  const { binderPool } = await import('./binder.js');
  const { mkdtempSync, symlinkSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'ipcbench-binderpool-'));
  try {
    // character devices stand in for the pool's nodes; a regular file of the same name is not one
    for (const i of [10, 2, 0]) symlinkSync('/dev/null', join(dir, `ipcbench-binder${i}`));
    writeFileSync(join(dir, 'ipcbench-binder3'), '');
    symlinkSync('/dev/null', join(dir, 'ipcbench-binderX'));
    assert.deepEqual(
      binderPool(dir),
      [0, 2, 10].map((i) => join(dir, `ipcbench-binder${i}`)),
    );
    assert.deepEqual(binderPool(join(dir, 'missing')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(binderSkipReason({ ...rpc, size: 64, concurrency: 4 }, true, 34), undefined);
  assert.match(binderSkipReason({ ...rpc, size: 64, concurrency: 40 }, true, 34)!, /40 pairs need 40 binder devices and the pool has 34.*--devices 82/);
  assert.equal(binderSkipReason({ ...bcast, size: 64, concurrency: 40 }, true, 34), undefined);
});
