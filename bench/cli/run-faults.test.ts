// SPDX-License-Identifier: MIT
// Misbehaving peers (--fault): a corrupted reply, a crash, a hang, a skipped message and a dying subscriber each
// turn their case into errored with the reason, exit 1, let the rest of the matrix run, and leave no peer behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAST, ipcbench, LOCAL_TRANSPORTS, onlyResult, outDir, peersAlive, UNTIL_FAULT } from './test-support.js';

for (const transport of LOCAL_TRANSPORTS) {
  test(`${transport}: a corrupted reply fails the case with the integrity check`, async () => {
    const dir = await outDir();
    const r = await ipcbench([
      'run',
      '--transports',
      transport,
      '--workloads',
      'rpc',
      '--sizes',
      '200',
      ...FAST,
      ...UNTIL_FAULT,
      '--fault',
      'corrupt@20',
      '--out',
      dir,
    ]);
    assert.equal(r.exitCode, 1, r.stderr + r.stdout);
    const doc = await onlyResult(dir);
    assert.equal(doc.cases[0]!.state, 'errored');
    assert.match(doc.cases[0]!.reason!, /integrity check failed on reply 20: payload checksum mismatch/);
  });
}

test('a peer that crashes mid-run turns the case into errored with its stderr; the rest of the matrix continues', async () => {
  const dir = await outDir();
  const r = await ipcbench([
    'run',
    '--transports',
    'shm,pipe',
    '--workloads',
    'rpc',
    '--sizes',
    '232',
    ...FAST,
    ...UNTIL_FAULT,
    '--fault',
    'crash@30',
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 1);
  const doc = await onlyResult(dir);
  assert.equal(doc.cases.length, 2);
  for (const c of doc.cases) {
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /injected crash at message 30/);
    assert.match(c.reason!, /SIGSEGV/);
  }
  assert.deepEqual(peersAlive(232), []);
});

test('a peer that hangs is killed by the timeout and no peer survives', async () => {
  const dir = await outDir();
  const started = Date.now();
  const r = await ipcbench([
    'run',
    '--transports',
    'shm,unix-stream',
    '--workloads',
    'rpc',
    '--sizes',
    '264',
    ...FAST,
    '--duration',
    '4000',
    '--max-ops',
    '60',
    '--timeout',
    '500',
    '--fault',
    'hang@10',
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 1);
  assert.ok(Date.now() - started < 60_000, 'bounded by the timeout');
  const doc = await onlyResult(dir);
  for (const c of doc.cases) {
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /timed out after 500 ms/);
  }
  assert.deepEqual(peersAlive(264), []);
});

for (const transport of ['pipe', 'shm']) {
  test(`${transport}: a subscriber that skips a message is caught by the lossless check`, async () => {
    const dir = await outDir();
    const r = await ipcbench([
      'run',
      '--transports',
      transport,
      '--workloads',
      'broadcast',
      '--subscribers',
      '2',
      '--broadcast-sizes',
      '296',
      ...FAST,
      ...UNTIL_FAULT,
      '--fault',
      'skip@15',
      '--out',
      dir,
    ]);
    assert.equal(r.exitCode, 1, r.stdout);
    const c = (await onlyResult(dir)).cases[0]!;
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /lossless check failed: .*lost 1/);
  });

  test(`${transport}: a subscriber that dies mid-run is reported, without a hang or survivors`, async () => {
    const dir = await outDir();
    const r = await ipcbench(
      [
        'run',
        '--transports',
        transport,
        '--workloads',
        'broadcast',
        '--subscribers',
        '3',
        '--broadcast-sizes',
        '328',
        ...FAST,
        ...UNTIL_FAULT,
        '--fault',
        'exit@15',
        '--out',
        dir,
      ],
      90_000,
    );
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const c = (await onlyResult(dir)).cases[0]!;
    assert.equal(c.state, 'errored');
    assert.match(c.reason!, /subscriber peer exited with status 3: ipcbench-peer: injected exit at message 15/);
    assert.deepEqual(peersAlive(328), []);
  });
}
