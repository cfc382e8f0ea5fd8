// SPDX-License-Identifier: MIT
// For tests: an empty, not complete result document with a fixed fake host (no probing of this machine), the
// runner's starting point. `unavailable` transports carry the reason "not here".
import { SCHEMA_NAME, SCHEMA_VERSION, type CaseKey, type ResultDocument } from '../result.js';

/** For tests: a host RPC case key (64 B, one pair, same-core, closed loop) with the given fields changed. */
export function fakeRpcKey(over: Partial<CaseKey> = {}): CaseKey {
  return {
    transport: 'toy',
    workload: 'rpc',
    size: 64,
    concurrency: 1,
    subscribers: 0,
    uninterested: 0,
    placement: 'same-core',
    mode: 'closed',
    rate: 0,
    env: 'host',
    ...over,
  };
}

export function fakeDocument(transports: readonly string[], unavailable: readonly string[] = []): ResultDocument {
  return {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    runId: 'test',
    startedAt: new Date().toISOString(),
    complete: false,
    argv: [],
    options: {},
    host: {
      hostname: 'h',
      cpuModel: 'c',
      cores: 2,
      onlineCpus: 2,
      smt: 'off',
      governor: 'g',
      kernel: 'k',
      virtualization: 'none',
      loadAverage: [0],
      memoryBytes: 1,
      node: 'n',
      addon: 'a',
      ipcbench: 'i',
      gitSha: 's',
      env: 'host',
    },
    warnings: [],
    transports: transports.map((name) => ({ name, available: !unavailable.includes(name), reason: unavailable.includes(name) ? 'not here' : undefined })),
    cases: [],
  };
}
