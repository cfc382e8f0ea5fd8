// Errors that reach the user as one line: UsageError (bad flags or values, exit 2) and the exit-code table.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = {
  ok: 0,
  /** some cases errored (the run itself completed) */
  casesFailed: 1,
  usage: 2,
  /** the run completed but its result file could not be written to --out (it was written elsewhere, named on stderr) */
  resultsNotWritten: 4,
  /** stopped by a signal (results so far kept): 128 + the signal number, as shells report it */
  interrupted: 130,
  terminated: 143,
  hangup: 129,
} as const;

/** The conventional exit code after stopping on a signal: 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return sig === 'SIGTERM' ? EXIT.terminated : sig === 'SIGHUP' ? EXIT.hangup : EXIT.interrupted;
}

/** The signals that stop a run the way Ctrl-C does (results kept). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
