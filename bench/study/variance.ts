// The variance study behind docs/statistics.md: where does the spread of a case's p50 come from on this machine?
// Runs a few representative cases many times through the real runner, in several configurations (repetition
// length, warm-up, placement), saves every result document, and prints the decomposition:
//   between-repetition CV of the p50  vs  the within-repetition sampling error of one p50 (from its histogram),
//   the first repetition of a transport vs the rest, lag-1 autocorrelation (drift inside a run),
//   the wall-clock cost of one repetition, and the precision one second of machine time buys.
// A measurement script, not a test: numbers depend on the machine and its load, which it prints.
//
// usage: node dist/bench/study/variance.js collect <dir> [--reps 20] [--transports pipe,unix-stream,shm,dbus-broker]
//        node dist/bench/study/variance.js interleaved <dir> [--rounds 8] [--transports ...]
//        node dist/bench/study/variance.js analyze <dir>
import { scriptArgs } from '../../common/script-args.js';
import { analyze } from './variance-analyze.js';
import { collect, collectInterleaved } from './variance-collect.js';

const { positionals, values } = scriptArgs(
  {
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '8' },
      reps: { type: 'string', default: '20' },
      transports: { type: 'string', default: 'pipe,unix-stream,shm,dbus-broker' },
    },
  },
  'node dist/bench/study/variance.js collect|interleaved|analyze <dir> [--reps N] [--rounds N] [--transports list]',
);
const [cmd, dir] = positionals;
if (cmd === 'collect' && dir) await collect(dir, Number(values.reps), values.transports!);
else if (cmd === 'interleaved' && dir) await collectInterleaved(dir, Number(values.rounds), values.transports!);
else if (cmd === 'analyze' && dir) await analyze(dir);
else {
  process.stderr.write('usage: variance collect|interleaved|analyze <dir> [--reps N] [--rounds N] [--transports list]\n');
  process.exitCode = 2;
}
