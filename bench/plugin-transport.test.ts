// The plug-in surface end to end: the example plug-in (examples/plugin) is built here with the system C compiler,
// loaded by `ipcbench run --plugin` in the harness and the peers, and measured; broken plug-ins fail with one
// readable line and exit code 2. A gate between two builds of the spin test plug-in catches a large injected
// regression and passes through its exports. No timing is asserted beyond a 4x injected slowdown (CPU work relative to
// the call's own round trip, so it stays 4x however loaded the machine is; a fixed 1 ms spin did not: at load 15 the
// baseline's own round trip reached milliseconds).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../common/addon.js';
import { parseResultDocument } from './result.js';

const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const INCLUDE = join(REPO_ROOT, 'native', 'include');

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipcbench-plugin-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function build(src: string, out: string, extra: string[] = []): void {
  const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-I', INCLUDE, ...extra, '-o', out, src], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 240_000 });
}

const QUICK = ['--workloads', 'rpc', '--placement', 'same-core', '--duration', '20', '--warmup', '2', '--no-progress'];

test('the example plug-in builds warning-free, loads in the harness and the peers, and runs RPC and broadcast', (t) => {
  const dir = tmp(t);
  const lib = join(dir, 'libexample-ipc.so');
  build(join(REPO_ROOT, 'examples', 'plugin', 'example-transport.c'), lib);
  const r = cli([
    'run',
    '--plugin',
    lib,
    '--workloads',
    'rpc,broadcast',
    '--sizes',
    '64,16K',
    '--placement',
    'same-core',
    '--broadcast-placement',
    'same-core',
    '--subscribers',
    '2',
    '--budget',
    '0',
    '-r',
    '2',
    '--min-repetitions',
    '2',
    '--duration',
    '5',
    '--warmup',
    '2',
    '--no-progress',
    '--out',
    dir,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const doc = parseResultDocument(
    JSON.parse(
      readFileSync(
        join(
          dir,
          readdirSync(dir).find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    ),
    'result',
  );
  assert.deepEqual([...new Set(doc.cases.map((c) => c.key.transport))], ['example-ipc']);
  assert.equal(doc.cases.length, 3);
  for (const c of doc.cases) {
    assert.equal(c.state, 'ok', `${c.key.workload} ${c.key.size}: ${c.reason}`);
    assert.equal(c.repetitions.length, 2);
  }
  assert.match(doc.transports[0]!.version ?? '', /example-ipc 1\.0/);
});

test('a broken plug-in is one readable line and exit code 2: missing file, not ELF, no symbol, wrong ABI, missing op', (t) => {
  const dir = tmp(t);
  const cases: [string, string | null, RegExp][] = [
    ['missing.so', null, /--plugin .*missing\.so: no such file/],
    ['text.so', 'not a library', /cannot load it as a shared library/],
  ];
  writeFileSync(join(dir, 'text.so'), 'not a library\n');
  const nosym = join(dir, 'nosym.c');
  writeFileSync(nosym, 'int something_else(void) { return 1; }\n');
  build(nosym, join(dir, 'nosym.so'));
  cases.push(['nosym.so', null, /does not export ipcbench_transport_plugin\(\)/]);
  const badAbi = join(dir, 'abi.c');
  writeFileSync(
    badAbi,
    '#include <ipcbench/transport-plugin.h>\nstatic const struct ipcbench_transport_plugin p = { .abi_version = 99, .struct_size = sizeof(p), .name = "x" };\n' +
      'const struct ipcbench_transport_plugin *ipcbench_transport_plugin(void) { return &p; }\n',
  );
  build(badAbi, join(dir, 'abi.so'));
  cases.push(['abi.so', null, /plug-in ABI version 99, but this ipcbench speaks version 1/]);
  // the example without recv(): compiled with a macro that drops it
  const noRecv = join(dir, 'norecv.c');
  writeFileSync(noRecv, `#include "${join(REPO_ROOT, 'examples', 'plugin', 'example-transport.c')}"\n`);
  build(noRecv, join(dir, 'norecv.so'), ['-DEXAMPLE_NO_RECV']);
  cases.push(['norecv.so', null, /the plug-in lacks recv\(\)/]);
  for (const [file, , expected] of cases) {
    const r = cli(['run', '--plugin', join(dir, file), ...QUICK, '--out', dir]);
    assert.equal(r.status, 2, `${file}: ${r.stderr}`);
    assert.match(r.stderr, expected, file);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${file}: one line, no stack: ${r.stderr}`);
  }
});

test('gate: two builds of the spin plug-in, the candidate burning 3x its round trip per call, fail the gate (exit 1) on all the pairs it may take, with its exports', (t) => {
  const dir = tmp(t);
  const a = join(dir, 'libspin-main.so');
  const b = join(dir, 'libspin-pr.so');
  build(join(REPO_ROOT, 'native', 'test-plugins', 'spin.c'), a);
  build(join(REPO_ROOT, 'native', 'test-plugins', 'spin.c'), b);
  const r = cli([
    'gate',
    '--baseline',
    a,
    '--candidate',
    `${b},IPCBENCH_SPIN_PCT=300`,
    '--sizes',
    '64',
    ...QUICK,
    '--warmup',
    '10',
    '--pairs',
    '9',
    '--max-pairs',
    '10',
    '--metrics',
    'p50',
    '--format',
    'md',
    '--bmf',
    join(dir, 'bmf.json'),
    '--gh-benchmark',
    join(dir, 'gh.json'),
    '--out',
    dir,
  ]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /FAIL: 1 regression/);
  const gateDir = readdirSync(dir).find((f) => f.startsWith('gate-'))!;
  const verdict = JSON.parse(readFileSync(join(dir, gateDir, 'gate.json'), 'utf8')) as { results: { verdict: string; pairs: number }[] };
  assert.equal(verdict.results[0]!.verdict, 'regression');
  // a regression is never declared at an early look: the case runs to --max-pairs
  assert.equal(verdict.results[0]!.pairs, 10);
  assert.ok(Object.keys(JSON.parse(readFileSync(join(dir, 'bmf.json'), 'utf8'))).length >= 1);
  assert.ok(Array.isArray(JSON.parse(readFileSync(join(dir, 'gh.json'), 'utf8'))));
  // bad specs are usage errors
  const bad = cli(['gate', '--baseline', a, '--candidate', `${b},NOT-A-VAR`, ...QUICK, '--out', dir]);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /is not VAR=value/);
});
