import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ioUringProbe, ioUringSysctl } from './io-uring.js';

test('io-uring is unavailable with the sysctl and its fix when io_uring_disabled is 2', () => {
  const p = ioUringProbe(2, '6.8.0');
  assert.equal(p.available, false);
  assert.match(p.reason ?? '', /io_uring_disabled = 2; sysctl kernel.io_uring_disabled=0/);
});

test('io-uring is available when the sysctl allows it or does not exist (kernels before 6.6)', () => {
  for (const v of [0, 1, undefined]) assert.equal(ioUringProbe(v, '6.1.0').available, true, String(v));
});

test('io_uring_disabled is read as a number, and a missing file reads as undefined', () => {
  assert.equal(
    ioUringSysctl(() => '2\n'),
    2,
  );
  assert.equal(
    ioUringSysctl(() => {
      throw new Error('ENOENT');
    }),
    undefined,
  );
});
