// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { broadcastCpus, expandMatrix, rpcCpus } from './matrix.js';
import { DEFAULTS, parseRunOptions } from './options.js';

const opts = (flags: Record<string, string>) => parseRunOptions({ ...DEFAULTS, ...flags }, ['a', 'b', 'c'], ['a', 'b', 'c'], 32);

test('one group per (placement, concurrency, size) for RPC, every transport in each', () => {
  const groups = expandMatrix(opts({ transports: 'a,b', workloads: 'rpc', sizes: '64,4K', placement: 'same-core,cross-core', concurrency: '1,2' }), 'host');
  assert.equal(groups.length, 2 * 2 * 2);
  for (const g of groups) assert.deepEqual(g.keys.map((k) => k.transport), ['a', 'b']);
  assert.deepEqual(groups[0]!.keys[0], { mode: 'closed', rate: 0, env: 'host', uninterested: 0, subscribers: 0, concurrency: 1, transport: 'a', workload: 'rpc', size: 64, placement: 'same-core' });
});

test('broadcast groups carry subscribers, uninterested and the loop mode; RPC ones do not', () => {
  const groups = expandMatrix(opts({ transports: 'c', workloads: 'rpc,broadcast', sizes: '64', broadcastSizes: '64,128', subscribers: '1,4', uninterested: '1', mode: 'open', rate: '500' }), 'lab-tcg');
  const rpc = groups.filter((g) => g.keys[0]!.workload === 'rpc');
  const bc = groups.filter((g) => g.keys[0]!.workload === 'broadcast');
  assert.equal(bc.length, 2 * 2);
  for (const g of rpc) assert.equal(g.keys[0]!.mode, 'closed');
  for (const g of bc) {
    const k = g.keys[0]!;
    assert.equal(k.mode, 'open');
    assert.equal(k.rate, 500);
    assert.equal(k.uninterested, 1);
    assert.equal(k.env, 'lab-tcg');
  }
  assert.deepEqual(bc.map((g) => [g.keys[0]!.subscribers, g.keys[0]!.size]), [
    [1, 64],
    [1, 128],
    [4, 64],
    [4, 128],
  ]);
});

test('CPU placement: same-core shares a CPU, cross-core spreads, unpinned pins nothing', () => {
  assert.deepEqual(rpcCpus('same-core', 0, 2), { client: 0, server: 0 });
  assert.deepEqual(rpcCpus('cross-core', 0, 2), { client: 0, server: 1 });
  assert.deepEqual(rpcCpus('cross-core', 1, 2), { client: 1, server: 0 });
  assert.deepEqual(rpcCpus('unpinned', 3, 2), { client: -1, server: -1 });
  assert.deepEqual(broadcastCpus('cross-core', 0, 4), { publisher: 0, subscriber: 1 });
  assert.deepEqual(broadcastCpus('cross-core', 3, 4), { publisher: 0, subscriber: 1 });
  assert.deepEqual(broadcastCpus('same-core', 5, 4), { publisher: 0, subscriber: 0 });
});
