// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildFailureHint } from './build.js';

test('a failed module build says what to do: compiler missing, Module.symvers missing, else nothing', () => {
  assert.match(buildFailureHint('make: gcc: command not found\n', '/t') ?? '', /apt-get install build-essential/);
  const symvers = 'WARNING: Module.symvers is missing.\nERROR: modpost: "idr_find" [/b/kdbus.ko] undefined!\n';
  assert.match(buildFailureHint(symvers, '/k/tree') ?? '', /make -C \/k\/tree modules/);
  assert.equal(buildFailureHint('meta.c:1: error: expected ;\n', '/t'), undefined);
});
