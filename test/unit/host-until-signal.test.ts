import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostUntilSignal } from '../../src/system/cli/host-until-signal.ts';
import type { ShutdownSignal } from '../../src/system/cli/shutdown-signals.ts';

/** Signals the test sends. */
function signals(): { received: Promise<ShutdownSignal>; send: (s: ShutdownSignal) => void } {
  let send: (s: ShutdownSignal) => void = () => undefined;
  const received = new Promise<ShutdownSignal>((resolve) => (send = resolve));
  return { received, send };
}

describe('hostUntilSignal', () => {
  it('returns the code of work that ends by itself, and closes what was opened', async () => {
    const log: string[] = [];
    const code = await hostUntilSignal(
      {
        ended: Promise.resolve(1),
        onSignal: () => {
          log.push('signal');
          return Promise.resolve(143);
        },
        close: () => {
          log.push('close');
          return Promise.resolve();
        },
      },
      signals(),
    );
    assert.equal(code, 1);
    assert.deepEqual(log, ['close']);
  });

  it('on the first signal lets the work stop with its own code (a stage 143, a service 0), then closes', async () => {
    const log: string[] = [];
    const s = signals();
    const hosting = hostUntilSignal(
      {
        ended: new Promise<number>(() => undefined),
        onSignal: (signal) => {
          log.push(`stop on ${signal}`);
          return Promise.resolve(143);
        },
        close: () => {
          log.push('close');
          return Promise.resolve();
        },
      },
      s,
    );
    s.send('SIGTERM');
    assert.equal(await hosting, 143);
    assert.deepEqual(log, ['stop on SIGTERM', 'close']);
  });

  it('closes even when stopping fails, and reports the failure', async () => {
    const s = signals();
    let closed = false;
    const hosting = hostUntilSignal(
      {
        ended: new Promise<number>(() => undefined),
        onSignal: () => Promise.reject(new Error('could not stop')),
        close: () => {
          closed = true;
          return Promise.resolve();
        },
      },
      s,
    );
    s.send('SIGINT');
    await assert.rejects(hosting, /could not stop/);
    assert.ok(closed);
  });
});
