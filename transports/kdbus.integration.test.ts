// SPDX-License-Identifier: MIT
// Our kdbus module in the lab: its ABI tests and a short fuzz (native/kernel/kdbus/lab-test.sh), then the kdbus
// transports through the real runner. Slow (boots the lab twice under TCG); skipped with IPCBENCH_SKIP_LAB=1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../bench/native.js';

const skip = process.env.IPCBENCH_SKIP_LAB === '1' ? 'IPCBENCH_SKIP_LAB=1: the lab (kernel build + qemu boot) is skipped' : false;

function sh(file: string, argv: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, argv, { cwd: REPO_ROOT, maxBuffer: 64 << 20, timeout: 900_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

test('kdbus module: every ABI and conformance test and the fuzz pass in the lab', { skip, timeout: 20 * 60_000 }, async () => {
  const r = await sh(join(REPO_ROOT, 'native/kernel/kdbus/lab-test.sh'), ['default', '5']);
  // the whole ABI: no checklist line may report "not implemented" (shared/kdbus-abi-full.md §35), and none is
  // skipped for the environment: the lab kernel has pid and user namespaces (line 22, namespace translation)
  assert.match(r.out, /^0 of \d+ tests failed \(0 not implemented, 0 skipped for the environment\)/m, r.out.slice(-3000));
  assert.match(r.out, /^ok {3}fuzz$/m, r.out.slice(-3000));
  assert.equal(r.code, 0, r.out.slice(-3000));
});

test('kdbus transports (kdbus, -memfd, -meta, -name): RPC and broadcast through the runner in the lab', { skip, timeout: 20 * 60_000 }, async () => {
  const ko = await sh(join(REPO_ROOT, 'native/kernel/kdbus/build.sh'), ['default']);
  assert.equal(ko.code, 0, ko.out);
  const check =
    'const d=JSON.parse(require("fs").readFileSync("/tmp/kdbus-run.json","utf8"));' +
    'const bad=d.cases.filter((c)=>c.state!=="ok"&&!(c.state==="skipped"&&c.key.transport==="kdbus-name"&&c.key.workload==="broadcast"));' +
    'console.log(`${d.cases.length} cases, ${bad.length} not ok`, JSON.stringify(bad.map((c)=>[c.key,c.state,c.reason])));' +
    'process.exit(bad.length || d.cases.length !== 16 ? 1 : 0)';
  const cmd =
    `insmod ${ko.out.trim().split('\n').at(-1)} && node dist/bench/cli.js run -t kdbus,kdbus-memfd,kdbus-meta,kdbus-name -w rpc,broadcast ` +
    '-s 64,65536 --subscribers 2,3 --uninterested 1 -p same-core -r 1 --min-repetitions 1 -d 100 --warmup 20 ' +
    `--no-progress --json -o /tmp/r > /tmp/kdbus-run.json 2>/dev/null; node -e '${check}'`;
  const r = await sh(process.execPath, [join(REPO_ROOT, 'dist/bench/cli.js'), 'lab', 'exec', '--timeout', '600', '--', cmd]);
  assert.match(r.out, /16 cases, 0 not ok/, r.out.slice(-3000));
  assert.equal(r.code, 0, r.out.slice(-3000));
});
