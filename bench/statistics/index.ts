// ipcbench's statistics, one module for run, gate, calibrate, compare and trend. Pure functions only: no I/O, no
// clocks; every resampling method takes a seed.
export * from './random.js';
export * from './estimators.js';
export * from './normal.js';
export * from './distribution.js';
export * from './bootstrap.js';
export * from './paired.js';
export * from './noise.js';
export * from './changepoint.js';
