import { isImporterError } from '../../src/core/errors.js';

// Why: tests of refusals assert on the error a promise rejects with; a promise that resolves fails.
export const refusal = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
};

// Why: a usage refusal (exit 2) is read by its one-line message; any other outcome fails the test.
export const usageRefusal = async (run: () => unknown): Promise<string> => {
  const error = await refusal(Promise.resolve().then(run));
  if (!isImporterError(error) || error.code !== 'E_USAGE') throw error;
  return error.message;
};
