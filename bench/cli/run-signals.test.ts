// SPDX-License-Identifier: MIT
// SIGINT, SIGTERM and SIGHUP stop a run: the measured cases are kept, the peers killed, and the exit code says
// which signal it was (130, 143, 129).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { CLI, firstCaseSaved, onlyResult, outDir, peersAlive } from './test-support.js';

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${sig} stops the run, keeps the cases measured so far, kills the peers and exits ${code}`, async () => {
    const dir = await outDir();
    const child = spawn(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'pipe,shm',
        '--workloads',
        'rpc',
        '--sizes',
        '360..360K:x2',
        '--placement',
        'same-core',
        '--duration',
        '200',
        '--repetitions',
        '2',
        '--no-progress',
        '--out',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    // 'close', not 'exit': only then has all of its stderr been read (asserted below)
    const exited = new Promise<[number | null, string | null]>((r) => child.on('close', (c, s) => r([c, s])));
    await firstCaseSaved(dir);
    child.kill(sig);
    const [exitCode, bySignal] = await exited;
    assert.deepEqual([exitCode, bySignal], [code, null], stderr);
    assert.match(stderr, new RegExp(`${sig}: stopping; .*results so far kept in ${dir}`));
    const doc = await onlyResult(dir);
    assert.equal(doc.interrupted, true);
    assert.equal(doc.complete, false);
    assert.ok(
      doc.cases.some((c) => c.state === 'ok'),
      'measured cases kept',
    );
    // stopped before the end: cases never started (fixed counts) or cases short of their repetitions (--budget)
    assert.ok(doc.cases.length < 2 * 11 || doc.cases.some((c) => c.repetitions.length < 2), 'stopped before the end');
    assert.deepEqual(peersAlive(360), []);
  });
}
