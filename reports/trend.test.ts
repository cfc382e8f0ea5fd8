import assert from 'node:assert/strict';
import { test } from 'node:test';
import { syntheticResult } from './fixtures/synthetic.js';
import { formatTrends, trends } from './trend.js';

test('a history with one 10% step in pipe and none in unix-stream reads as a step and a stable case', () => {
  const docs = Array.from({ length: 12 }, (_, i) =>
    syntheticResult({
      transports: ['pipe', 'unix-stream'],
      sizes: [64],
      repetitions: 5,
      noise: 0.005,
      seed: i + 1,
      runId: `run-${String(i).padStart(2, '0')}`,
      startedAt: `2026-11-${String(i + 1).padStart(2, '0')}T10:00:00.000Z`,
      factor: { pipe: i >= 8 ? 1.1 : 1 },
    }),
  );
  const list = trends(docs.reverse(), 'p50'); // given newest first: sorted by start time
  const pipe = list.find((t) => t.label.startsWith('pipe '))!;
  const unix = list.find((t) => t.label.startsWith('unix-stream '))!;
  assert.equal(pipe.analysis.kind, 'step');
  assert.equal(pipe.runs[pipe.analysis.steps[0]!.at]!.runId, 'run-08');
  assert.equal(unix.analysis.kind, 'stable');
  assert.match(formatTrends(list, 'text'), /1 with a step change/);
  assert.doesNotThrow(() => JSON.parse(formatTrends(list, 'json')));
});
