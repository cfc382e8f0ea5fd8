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
  interrupted: 130,
} as const;
