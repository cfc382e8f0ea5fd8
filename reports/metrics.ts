// SPDX-License-Identifier: MIT
// The metric table is the harness's (bench/metrics.ts): one vocabulary for the runner's summary, the terminal
// table, the reports, compare and the exports.
export * from '../bench/metrics.js';
