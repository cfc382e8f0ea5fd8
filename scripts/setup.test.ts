// SPDX-License-Identifier: MIT
// scripts/setup as an unprivileged user (nobody) with packages missing and no usable sudo: it says exactly what is
// missing, what for and how to install it, never runs apt-get and never waits for a password, and still builds;
// and the host transports that need no privilege still run for that user.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../bench/native.js';

const NOBODY = 65534;
const AS_NOBODY = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--'];

/** Why an unprivileged user cannot be made here, or undefined when it can. */
function noUnprivilegedUser(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot switch to an unprivileged user (setpriv needs root)';
  const r = spawnSync('setpriv', [...AS_NOBODY, 'true'], { stdio: 'ignore', timeout: 10_000 });
  if (r.error) return `setpriv not usable: ${r.error.message}`;
  return r.status === 0 ? undefined : `setpriv --reuid ${NOBODY} failed (exit ${r.status})`;
}
const skip = noUnprivilegedUser();

/** Run argv as nobody in a new session (no controlling terminal: nothing can prompt), killed after timeoutMs. */
function asNobody(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('setpriv', [...AS_NOBODY, ...argv], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

function script(path: string, text: string): void {
  writeFileSync(path, `#!/bin/sh\n${text}\n`, { mode: 0o755 });
}

/** A directory nobody owns, under /tmp (the suite's private TMPDIR is root's 0700 and nobody cannot enter it). */
function nobodysDir(tag: string): string {
  const dir = mkdtempSync(join('/tmp', `ipcbench-${tag}-`));
  chmodSync(dir, 0o700);
  return dir;
}

function chownTree(dir: string): void {
  const r = spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
  assert.equal(r.status, 0, String(r.stderr));
  chownSync(dir, NOBODY, NOBODY);
}

test(
  'setup as nobody with packages missing and sudo wanting a password: says what is missing and how to install it, no apt-get, no wait',
  { skip },
  async () => {
    const dir = nobodysDir('setup-test');
    try {
      // a copy of the checkout's setup: the real script, with dpkg-query, sudo, apt-get and npm replaced on PATH
      mkdirSync(join(dir, 'scripts'));
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'node_modules'));
      copyFileSync(join(REPO_ROOT, 'scripts', 'setup'), join(dir, 'scripts', 'setup'));
      chmodSync(join(dir, 'scripts', 'setup'), 0o755);
      copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
      copyFileSync(join(REPO_ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
      writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{}\n');
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(dir, 'node_modules', '.package-lock.json'), later, later); // dependencies up to date: the build step
      // every package installed but libzmq3-dev and iceoryx
      script(join(dir, 'bin', 'dpkg-query'), 'for p; do :; done\ncase "$p" in libzmq3-dev|iceoryx) exit 1 ;; esac\nprintf "install ok installed"');
      // sudo that wants a password: answers -n with a refusal, anything else waits (as a password prompt would)
      script(join(dir, 'bin', 'sudo'), '[ "$1" = -n ] && { echo "sudo: a password is required" >&2; exit 1; }\ntouch "$MARKS/sudo-prompted"\nsleep 3600');
      script(join(dir, 'bin', 'apt-get'), 'touch "$MARKS/apt-get-ran"\nexit 99');
      script(join(dir, 'bin', 'npm'), 'echo "npm $*" >"$MARKS/npm-ran"');
      mkdirSync(join(dir, 'marks'));
      chownTree(dir);
      const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, MARKS: join(dir, 'marks'), LANG: 'C' };
      const r = await asNobody([join(dir, 'scripts', 'setup')], env, dir, 60_000);
      assert.equal(r.timedOut, false, `setup waited (for a password?): ${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /setup: missing Debian packages, not installing them: this needs root, or sudo without a password:\n/);
      assert.match(r.stderr, /setup: {3}libzmq3-dev \(for the zeromq transport\)\n/);
      assert.match(r.stderr, /setup: {3}iceoryx \(for the iceoryx transport \(C binding, headers, iox-roudi\)\)\n/);
      assert.match(r.stderr, /setup: install them with: sudo apt-get install libzmq3-dev iceoryx {3}\(or as root: apt-get install libzmq3-dev iceoryx\)\n/);
      assert.match(r.stderr, /continuing without them: what needs them is unavailable \(ipcbench list says which transports and why\)/);
      assert.ok(!existsSync(join(dir, 'marks', 'apt-get-ran')), 'apt-get was not run');
      assert.ok(!existsSync(join(dir, 'marks', 'sudo-prompted')), 'sudo was only asked non-interactively');
      assert.ok(existsSync(join(dir, 'marks', 'npm-ran')), `the build still ran: ${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('as nobody, the host transports that need no privilege run, and list says why the others cannot', { skip }, async () => {
  const dir = nobodysDir('nobody-run');
  try {
    mkdirSync(join(dir, 'tmp'));
    chownTree(dir);
    const env = { PATH: process.env.PATH, HOME: dir, TMPDIR: join(dir, 'tmp'), IPCBENCH_ENV: 'host', LANG: 'C' };
    const cli = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
    const list = await asNobody([process.execPath, cli, 'list', '--json'], env, dir, 60_000);
    assert.equal(list.code, 0, list.stderr);
    const statuses = JSON.parse(list.stdout) as { name: string; available: boolean; reason?: string }[];
    for (const name of ['pipe', 'unix-stream', 'shm']) assert.ok(statuses.find((s) => s.name === name)?.available, `${name} is available to nobody`);
    for (const s of statuses) if (!s.available) assert.ok((s.reason ?? '').length > 5, `${s.name} says why it is unavailable`);
    const out = join(dir, 'out');
    const run = await asNobody(
      [
        process.execPath,
        cli,
        'run',
        '-t',
        'pipe,unix-stream',
        '-w',
        'rpc',
        '-s',
        '64',
        '-p',
        'unpinned',
        '-r',
        '1',
        '--min-repetitions',
        '1',
        '-d',
        '50',
        '--warmup',
        '5',
        '--json',
        '--no-progress',
        '-o',
        out,
      ],
      env,
      dir,
      120_000,
    );
    assert.equal(run.timedOut, false, run.stderr);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { cases: { key: { transport: string }; state: string; reason?: string }[] };
    assert.deepEqual(doc.cases.map((c) => c.key.transport).sort(), ['pipe', 'unix-stream']);
    for (const c of doc.cases) assert.equal(c.state, 'ok', `${c.key.transport}: ${c.reason}`);
    const left = spawnSync('find', [join(dir, 'tmp'), '-mindepth', '1']).stdout.toString();
    assert.equal(left, '', 'the run left nothing in its TMPDIR');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
