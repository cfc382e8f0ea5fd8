import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareChannel, native, runRpc } from '../bench/native.js';
import { nullTransport } from './null.js';

test('null is in-process RPC only, and says why it has no broadcast', () => {
  assert.equal(nullTransport.inProcess, true);
  assert.deepEqual(nullTransport.workloads, ['rpc']);
  assert.match(nullTransport.unsupported?.broadcast ?? '', /no subscriber processes/);
});

test('null echoes verified replies with no peer process and no descriptors to inherit', async () => {
  const ch = prepareChannel({ transport: 'null', maxMsg: 4096 });
  try {
    assert.deepEqual(ch.peers, [[]]);
    const r = await runRpc([ch.handle], { warmupNs: 0, durationNs: 60e9, maxOps: 1000, cpus: [-1] });
    assert.equal(r.error, 0, r.reason);
    assert.equal(r.ops, 1000);
  } finally {
    native().release(ch.handle);
  }
});

test('null refuses a broadcast channel with the reason', () => {
  assert.throws(() => prepareChannel({ transport: 'null', maxMsg: 64, subscribers: 2 }), /in-process echo: broadcast needs subscriber processes/);
});
