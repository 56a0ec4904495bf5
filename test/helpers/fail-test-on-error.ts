/**
 * `onError` for a test's own subscription: a recorder that stopped would only show as a wait timing
 * out later, so its failure is thrown at once (as an uncaught exception the test runner charges to
 * the running test), naming what stopped.
 */
export function failTestOnError(what: string): (err: unknown) => void {
  return (err) => {
    process.nextTick(() => {
      throw new Error(`${what} stopped`, { cause: err });
    });
  };
}
