import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UDP_MAX_PAYLOAD, udpSkipReason } from './udp.js';

test('udp runs every size that fits one IPv4 datagram and skips the first that does not', () => {
  assert.equal(UDP_MAX_PAYLOAD, 65_535 - 20 - 8);
  assert.equal(udpSkipReason(64), undefined);
  assert.equal(udpSkipReason(UDP_MAX_PAYLOAD), undefined);
  assert.match(udpSkipReason(UDP_MAX_PAYLOAD + 1) ?? '', /does not fit one UDP datagram \(at most 65507 bytes/);
  assert.match(udpSkipReason(65_536) ?? '', /65536-byte message/);
});
