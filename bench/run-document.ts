// SPDX-License-Identifier: MIT
// The result document a run starts with (empty, not complete): the one place that stamps the schema, the host
// metadata and its preflight warnings, for `run`, `gate`/`calibrate` and the measurement scripts alike.
import { collectHost, preflightWarnings } from './host.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type ResultDocument, type TransportStatus } from './result.js';

export function newRunDocument(runId: string, argv: readonly string[], options: object, transports: readonly TransportStatus[]): ResultDocument {
  const host = collectHost();
  return {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    runId,
    startedAt: new Date().toISOString(),
    complete: false,
    argv: [...argv],
    options: { ...options },
    host,
    warnings: preflightWarnings(host),
    transports: [...transports],
    cases: [],
  };
}
