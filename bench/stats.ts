// Compatibility re-exports: the statistics live in bench/statistics/ (one module for run, gate, calibrate,
// compare and trend). New code imports from there.
export { mulberry32, median, quantileSorted, bootstrapMedianCI, relativeHalfWidth, type Interval } from './statistics/index.js';
