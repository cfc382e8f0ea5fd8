// SPDX-License-Identifier: MIT
// The machine's speed over a run, from a result file (bench/machine-speed.ts says what is printed). A study, not a
// test: nothing is run.
//
// usage: node dist/bench/study/speed.js <result.json> [--bin SECONDS]
import { scriptArgs } from '../../common/script-args.js';
import { machineSpeedLines } from '../machine-speed.js';
import { resultFileArgument } from './result-input.js';

const usage = 'node dist/bench/study/speed.js <result.json> [--bin SECONDS]';
const { values, positionals } = scriptArgs({ options: { bin: { type: 'string', default: '10' } }, allowPositionals: true }, usage);
const file = positionals[0];
const binS = Number(values.bin);
if (!file || !(binS > 0)) {
  process.stderr.write(`usage: ${usage}\n`);
  process.exit(2);
}
const lines = machineSpeedLines(await resultFileArgument(file), binS);
if (!lines) {
  process.stderr.write(`${file}: fewer than 10 repetitions with a start time and a speed probe (a result from before they were recorded?)\n`);
  process.exit(1);
}
process.stdout.write(`${file}: ${lines.join('\n')}\n`);
