import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mqSkipReason, readMqLimits, type MqLimits } from './posix-mq.js';

const LIMITS: MqLimits = { msgsizeMax: 8192, msgMax: 10, rlimit: 819_200 };
const rpc = (size: number, concurrency = 1) => ({ workload: 'rpc' as const, size, subscribers: 0, concurrency });
const bcast = (size: number, subscribers: number) => ({ workload: 'broadcast' as const, size, subscribers, concurrency: 1 });

test('posix-mq runs sizes up to msgsize_max and skips larger ones naming the sysctl', () => {
  assert.equal(mqSkipReason(rpc(64), LIMITS), undefined);
  assert.equal(mqSkipReason(rpc(8192), LIMITS), undefined);
  const why = mqSkipReason(rpc(8193), LIMITS);
  assert.match(why ?? '', /8193-byte message exceeds .*\/proc\/sys\/fs\/mqueue\/msgsize_max = 8192/);
});

test('posix-mq skips a case whose queues would not fit RLIMIT_MSGQUEUE, and says so', () => {
  // 256 subscribers x 2 slots x (8192 + overhead) is above 800 KiB
  assert.match(mqSkipReason(bcast(8192, 256), LIMITS) ?? '', /RLIMIT_MSGQUEUE = 819200 bytes \(ulimit -q\)/);
  assert.equal(mqSkipReason(bcast(8192, 32), LIMITS), undefined);
  assert.equal(mqSkipReason(bcast(8192, 256), { ...LIMITS, rlimit: Infinity }), undefined);
});

test('posix-mq without kernel support is skipped with the config option that provides it', () => {
  assert.match(mqSkipReason(rpc(64), undefined) ?? '', /CONFIG_POSIX_MQUEUE/);
});

test('posix-mq limits read from /proc are positive numbers where the kernel has queues', () => {
  const l = readMqLimits();
  if (!l) return; // a kernel without POSIX queues: nothing to read
  assert.ok(l.msgsizeMax > 0 && l.msgMax > 0 && l.rlimit > 0, JSON.stringify(l));
});
