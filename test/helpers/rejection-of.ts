import assert from 'node:assert/strict';

/** Calls `call` and returns what its promise rejected with; a synchronous throw breaks the Promise contract. */
export async function rejectionOf(what: string, call: () => Promise<unknown>): Promise<unknown> {
  let pending: Promise<unknown>;
  try {
    pending = call();
  } catch (err) {
    assert.fail(`${what} threw synchronously instead of returning a rejected promise: ${String(err)}`);
  }
  return pending.then(
    () => assert.fail(`${what} resolved; expected it to reject`),
    (err: unknown) => err,
  );
}
