// Why: tests of refusals assert on the error a promise rejects with; a promise that resolves fails.
export const refusal = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
};
