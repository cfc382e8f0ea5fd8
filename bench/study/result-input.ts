// SPDX-License-Identifier: MIT
// The result file a measurement or study script was given: a missing, unreadable or corrupt one is an expected
// failure of the input, told in one line (the file and the problem) with exit code 2, never a stack trace.
import { EXIT } from '../../common/errors.js';
import { readResultFile, ResultFileError, type ResultDocument } from '../result.js';

export async function resultFileArgument(file: string): Promise<ResultDocument> {
  try {
    return await readResultFile(file);
  } catch (e) {
    if (!(e instanceof ResultFileError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(EXIT.usage);
  }
}
