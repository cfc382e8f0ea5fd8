import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSysvLimits, sysvSkipReason } from './sysv-msg.js';

test('sysv-msg runs sizes up to msgmax and skips larger ones naming the sysctl', () => {
  const l = { msgmax: 8192, msgmnb: 16384 };
  assert.equal(sysvSkipReason(64, l), undefined);
  assert.equal(sysvSkipReason(8192, l), undefined);
  assert.match(sysvSkipReason(8193, l) ?? '', /8193-byte message exceeds .*\/proc\/sys\/kernel\/msgmax = 8192/);
});

test('sysv-msg skips a message larger than the queue itself (msgmnb)', () => {
  assert.match(sysvSkipReason(20_000, { msgmax: 65_536, msgmnb: 16_384 }) ?? '', /msgmnb = 16384/);
});

test('sysv-msg without kernel support is skipped with the config option that provides it', () => {
  assert.match(sysvSkipReason(64, undefined) ?? '', /CONFIG_SYSVIPC/);
});

test('sysv-msg limits read from /proc are positive numbers where the kernel has SysV IPC', () => {
  const l = readSysvLimits();
  if (!l) return;
  assert.ok(l.msgmax > 0 && l.msgmnb > 0, JSON.stringify(l));
});
