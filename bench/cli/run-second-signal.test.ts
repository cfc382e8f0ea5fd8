// SPDX-License-Identifier: MIT
// Ctrl-C twice: the second signal arrives while the first one's cleanup runs. The bus launcher is stopped
// (SIGSTOP) before the first signal, so the orderly teardown of the bus waits (its SIGTERM grace, 2 s) and the
// second signal lands inside that cleanup. Then: the harness leaves at once with the first signal's exit code,
// every peer and bus daemon is gone, its temporary directories are removed, the results saved so far are kept.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { CLI, firstCaseSaved, onlyResult, outDir, peersAlive } from './test-support.js';

const haveDbusDaemon = ['/usr/bin/dbus-daemon', '/usr/sbin/dbus-daemon', '/bin/dbus-daemon'].some((p) => {
  try {
    execFileSync('test', ['-x', p]);
    return true;
  } catch {
    return false;
  }
});
test(
  "a second signal during cleanup: emergency cleanup (peers and bus daemons killed, temp dirs removed), saved results kept, the first signal's exit code",
  { skip: !haveDbusDaemon && 'dbus-daemon not installed' },
  async () => {
    const dir = await outDir();
    const tmp = await outDir(); // the run's TMPDIR: every directory, bus and peer of the run lives under it
    const child = spawn(
      'node',
      [
        CLI,
        'run',
        '--transports',
        'pipe,dbus-daemon',
        '--workloads',
        'rpc',
        '--sizes',
        '376..376K:x2',
        '--placement',
        'unpinned',
        '--duration',
        '200',
        '--repetitions',
        '2',
        '--no-progress',
        '--out',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp, IPCBENCH_ENV: 'host' } },
    );
    let stderr = '';
    let stopping: () => void = () => {};
    const sawStopping = new Promise<void>((r) => (stopping = r));
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (/SIGINT: stopping/.test(stderr)) stopping();
    });
    // 'close', not 'exit': only then has all of its stderr been read (asserted below)
    const exited = new Promise<[number | null, string | null]>((r) => child.on('close', (c, s) => r([c, s])));
    let launcher: number | undefined;
    try {
      await firstCaseSaved(dir);
      const launchers = execFileSync('pgrep', ['-f', `ipcbench-bus-launch .*${tmp}`])
        .toString()
        .split('\n')
        .filter(Boolean);
      assert.equal(launchers.length, 1, `one bus launcher under ${tmp}`);
      launcher = Number(launchers[0]);
      process.kill(launcher, 'SIGSTOP');
      child.kill('SIGINT');
      await sawStopping;
      child.kill('SIGTERM');
      const [exitCode, bySignal] = await exited;
      assert.deepEqual([exitCode, bySignal], [130, null], stderr);
      assert.match(
        stderr,
        /SIGTERM during cleanup: leaving at once \(peers and bus daemons killed, temporary directories removed\); results saved so far are in /,
      );
      const doc = await onlyResult(dir);
      assert.ok(doc.cases.length > 0, 'the cases saved before the signals are kept');
      assert.deepEqual(await readdir(tmp), [], 'no temporary directory left');
      let leftovers = '';
      try {
        leftovers = execFileSync('pgrep', ['-af', tmp]).toString();
      } catch {
        // none
      }
      assert.equal(leftovers, '', 'no peer, bus daemon or launcher left');
      assert.deepEqual(peersAlive(376), []);
    } finally {
      child.kill('SIGKILL');
      if (launcher) {
        try {
          process.kill(launcher, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      }
    }
  },
);
