import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../common/errors.js';
import { DEFAULTS, parseRunOptions, parseSize, parseSizes, type RawRunFlags } from './options.js';

const raw = (over: Partial<RawRunFlags> = {}): RawRunFlags => ({
  workloads: DEFAULTS.workloads,
  sizes: DEFAULTS.sizes,
  broadcastSizes: DEFAULTS.broadcastSizes,
  placement: DEFAULTS.placement,
  broadcastPlacement: DEFAULTS.broadcastPlacement,
  concurrency: DEFAULTS.concurrency,
  subscribers: DEFAULTS.subscribers,
  uninterested: DEFAULTS.uninterested,
  mode: DEFAULTS.mode,
  rate: DEFAULTS.rate,
  repetitions: DEFAULTS.repetitions,
  minRepetitions: DEFAULTS.minRepetitions,
  ciTarget: DEFAULTS.ciTarget,
  duration: DEFAULTS.duration,
  warmup: DEFAULTS.warmup,
  timeout: DEFAULTS.timeout,
  out: DEFAULTS.out,
  ...over,
});

test('sizes accept units and ranges in powers of four by default', () => {
  assert.equal(parseSize('4K'), 4096);
  assert.equal(parseSize('1MiB'), 1 << 20);
  assert.deepEqual(parseSizes('64..1M', 32), [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576]);
  assert.deepEqual(parseSizes('64..256:x2,64', 32), [64, 128, 256]);
});

test('a size below the header or with a bad unit is a usage error that says why', () => {
  assert.throws(() => parseSizes('8', 32), /smallest size is 32/);
  assert.throws(() => parseSize('12Q'), UsageError);
  assert.throws(() => parseSizes('1M..64', 32), /larger than/);
});

test('an unknown transport is refused with the list of valid names', () => {
  assert.throws(() => parseRunOptions(raw({ transports: 'pipe,carrier-pigeon' }), ['pipe', 'shm'], ['pipe'], 32), /unknown transport 'carrier-pigeon' \(valid: pipe, shm\)/);
});

test('unknown workloads and placements list the valid values', () => {
  assert.throws(() => parseRunOptions(raw({ workloads: 'stream' }), ['pipe'], ['pipe'], 32), /valid: rpc, broadcast/);
  assert.throws(() => parseRunOptions(raw({ placement: 'numa' }), ['pipe'], ['pipe'], 32), /valid: same-core, cross-core, unpinned/);
});

test('counts must be whole numbers in range', () => {
  assert.throws(() => parseRunOptions(raw({ repetitions: '0' }), ['pipe'], ['pipe'], 32), /repetition count '0'/);
  assert.throws(() => parseRunOptions(raw({ concurrency: '2.5' }), ['pipe'], ['pipe'], 32), /concurrency '2.5'/);
  assert.throws(() => parseRunOptions(raw({ duration: '-5' }), ['pipe'], ['pipe'], 32), /duration/);
});

test('defaults give every transport, both workloads and a 64 B .. 1 MiB sweep', () => {
  const o = parseRunOptions(raw(), ['pipe', 'shm'], ['pipe', 'shm'], 32);
  assert.deepEqual(o.transports, ['pipe', 'shm']);
  assert.deepEqual(o.workloads, ['rpc', 'broadcast']);
  assert.equal(o.sizes[0], 64);
  assert.equal(o.sizes.at(-1), 1 << 20);
  assert.equal(o.ciTarget, 0.02);
});
