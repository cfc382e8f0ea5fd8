// SPDX-License-Identifier: MIT
// What a successful `ipcbench run` writes and prints: a valid result document whose stored percentiles are its
// histograms', host metadata, the metric table's column names, and open-loop broadcast accounting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHistogram } from '../histogram.js';
import { FAST, ipcbench, LOCAL_TRANSPORTS, onlyResult, outDir } from './test-support.js';

test('a small run on every local transport succeeds and writes a valid result with host metadata', async () => {
  const dir = await outDir();
  const r = await ipcbench([
    'run',
    '--transports',
    LOCAL_TRANSPORTS.join(','),
    '--sizes',
    '64,64K',
    '--subscribers',
    '3',
    '--uninterested',
    '1',
    ...FAST,
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout);
  const doc = await onlyResult(dir);
  assert.equal(doc.complete, true);
  assert.equal(doc.cases.length, LOCAL_TRANSPORTS.length * 3);
  for (const c of doc.cases) {
    assert.equal(c.state, 'ok', `${c.key.transport} ${c.key.workload}: ${c.reason}`);
    const rep = c.repetitions[0]!;
    assert.ok(rep.ops > 0 && rep.latency.p50 > 0 && rep.latency.histogram?.startsWith('HISTF'));
    // the stored summary is what HdrHistogram tools read from the stored histogram
    const h = decodeHistogram(rep.latency.histogram!);
    for (const [p, v] of [
      [50, rep.latency.p50],
      [90, rep.latency.p90],
      [99, rep.latency.p99],
      [99.9, rep.latency.p999],
      [100, rep.latency.max],
    ] as const)
      assert.equal(v, h.getValueAtPercentile(p), `${c.key.transport} ${c.key.workload} p${p}`);
    h.destroy();
    assert.ok(rep.cpu.length >= 2, 'CPU of every process of the case');
    if (c.key.workload === 'broadcast') {
      assert.equal(rep.delivery!.expected, rep.ops * 2);
      assert.equal(rep.delivery!.delivered, rep.delivery!.expected);
    }
  }
  assert.match(r.stdout, /throughput \(ops\/s\)/);
  assert.ok(doc.host.cpuModel && doc.host.kernel && doc.host.gitSha);
});

test('open-loop broadcast accounts for every message: delivered + lost = expected, and lateness is counted', async () => {
  const dir = await outDir();
  const r = await ipcbench([
    'run',
    '--transports',
    'pipe,shm',
    '--workloads',
    'broadcast',
    '--mode',
    'open',
    '--rate',
    '20000',
    '--subscribers',
    '3',
    '--broadcast-sizes',
    '392',
    ...FAST,
    '--out',
    dir,
  ]);
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  for (const c of (await onlyResult(dir)).cases) {
    assert.equal(c.state, 'ok', c.reason);
    assert.equal(c.key.mode, 'open');
    const d = c.repetitions[0]!.delivery!;
    assert.equal(d.delivered + d.lost, d.expected, JSON.stringify(d));
    assert.equal(d.corrupted, 0);
    assert.ok(d.late <= d.delivered);
    if (c.key.transport === 'pipe') assert.equal(d.lost, 0, 'pipes apply backpressure instead of dropping');
  }
});
