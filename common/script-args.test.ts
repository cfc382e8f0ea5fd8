// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const script = (rel: string) => fileURLToPath(new URL(`../${rel}`, import.meta.url));

for (const rel of ['bench/precision.js', 'scripts/gate-quality.js', 'scripts/kdbus-bench.js', 'bench/selfbench/overhead.js']) {
  test(`${rel}: an unknown flag is one line plus the usage, exit code 2, no stack trace`, () => {
    const r = spawnSync(process.execPath, [script(rel), '--no-such-flag'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /--no-such-flag/);
    assert.match(lines[1]!, /^usage: /);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    assert.equal(r.stdout, '');
  });
}
