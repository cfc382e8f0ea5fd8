// SPDX-License-Identifier: MIT
// `ipcbench list` and `ipcbench env` (./info-commands.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipcbench, LOCAL_TRANSPORTS } from './test-support.js';

test('list names every transport with available/unavailable and a reason', async () => {
  const r = await ipcbench(['list', '--json']);
  assert.equal(r.exitCode, 0);
  const list = JSON.parse(r.stdout) as { name: string; available: boolean; reason?: string }[];
  for (const name of LOCAL_TRANSPORTS) assert.ok(list.find((t) => t.name === name)?.available, name);
  for (const t of list) if (!t.available) assert.ok(t.reason && t.reason.length > 5, `${t.name} has a reason`);
});

test('env prints host metadata and --json parses', async () => {
  const r = await ipcbench(['env', '--json']);
  assert.equal(r.exitCode, 0);
  const e = JSON.parse(r.stdout) as { host: { cores: number }; warnings: string[] };
  assert.ok(e.host.cores >= 1);
});
