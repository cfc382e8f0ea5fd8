import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { native, prepareChannel } from '../bench/native.js';

test('fifo creates its named pipes owner-only in a 0700 directory of the run directory, and removes them', async () => {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-fifo-test-'));
  try {
    for (const subscribers of [0, 3]) {
      const ch = prepareChannel({ transport: 'fifo', maxMsg: 64, subscribers, address: dir });
      try {
        const [sub] = await readdir(dir);
        assert.match(sub ?? '', /^fifo-/);
        assert.equal((await stat(join(dir, sub!))).mode & 0o777, 0o700);
        const names = (await readdir(join(dir, sub!))).sort();
        assert.deepEqual(names, subscribers ? ['sub0', 'sub1', 'sub2'] : ['rep', 'req']);
        for (const n of names) {
          const s = await stat(join(dir, sub!, n));
          assert.ok(s.isFIFO(), n);
          assert.equal(s.mode & 0o777, 0o600, n);
        }
      } finally {
        native().release(ch.handle);
      }
      assert.deepEqual(await readdir(dir), [], 'nothing left after release');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fifo without a run directory fails with one clear reason', () => {
  assert.throws(() => prepareChannel({ transport: 'fifo', maxMsg: 64 }), /fifo needs the private run directory/);
});
