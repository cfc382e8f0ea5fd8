// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT } from '../common/addon.js';
import { readResultFile } from '../bench/result.js';
import { endpointSkipReason, IPC_PATH_MAX, zeromq } from './zeromq.js';

const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const FAST = ['--duration', '30', '--warmup', '5', '--repetitions', '1', '--min-repetitions', '1', '--placement', 'same-core', '--no-progress'];

test('an ipc:// endpoint must fit an AF_UNIX path: a run directory too long for it is refused with the fix', () => {
  assert.equal(endpointSkipReason('/tmp/ipcbench-zeromq-abcdef'), undefined);
  const long = '/tmp/' + 'x'.repeat(IPC_PATH_MAX);
  assert.match(endpointSkipReason(long)!, /too long for an ipc:\/\/ endpoint.*TMPDIR/);
});

test('zeromq is available with the libzmq version, or says which package provides it', async () => {
  const p = await zeromq.probe();
  if (p.available) assert.match(p.version!, /^libzmq \d+\.\d+\.\d+$/);
  else assert.match(p.reason!, /libzmq3-dev/);
});

test('zeromq through the CLI: RPC and broadcast at two sizes pass, a corrupted reply is caught, no socket or peer is left', async (t) => {
  if (!(await zeromq.probe()).available) return t.skip('libzmq not built in');
  const dir = await mkdtemp(join(os.tmpdir(), 'zmq-t-'));
  // the runs' own temporary directories (with our ipc:// sockets) go here, so that we can see they are removed (short
  // names: the endpoint's AF_UNIX path holds 107 bytes, and scripts/test already nests us in its private TMPDIR)
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { mode: 0o700 });
  const env = { IPCBENCH_ENV: 'host', TMPDIR: tmp };
  try {
    const ok = await execa(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'zeromq',
        '--workloads',
        'rpc,broadcast',
        '--sizes',
        '72,8232',
        '--broadcast-sizes',
        '72,8232',
        '--subscribers',
        '3',
        '--uninterested',
        '1',
        ...FAST,
        '--out',
        join(dir, 'ok'),
      ],
      { reject: false, env },
    );
    assert.equal(ok.exitCode, 0, ok.stderr);
    const doc = await readResultFile(join(dir, 'ok', (await readdir(join(dir, 'ok')))[0]!));
    assert.equal(doc.cases.length, 4);
    for (const c of doc.cases) assert.equal(c.state, 'ok', c.reason);
    const bad = await execa(
      'node',
      [CLI, 'run', '--transports', 'zeromq', '--workloads', 'rpc', '--sizes', '8232', ...FAST, '--fault', 'corrupt@1', '--out', join(dir, 'bad')],
      { reject: false, env },
    );
    assert.equal(bad.exitCode, 1);
    const c = (await readResultFile(join(dir, 'bad', (await readdir(join(dir, 'bad')))[0]!))).cases[0]!;
    assert.match(c.reason!, /integrity check failed on reply 1: payload checksum mismatch/);
    let peers = '';
    try {
      peers = execFileSync('pgrep', ['-af', 'ipcbench-peer --transport zeromq .*--max-msg (72|8232)( |$)']).toString();
    } catch {
      /* none */
    }
    assert.equal(peers, '');
    assert.deepEqual(await readdir(tmp), [], 'run directories and sockets removed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
