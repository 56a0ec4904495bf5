import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ShutdownSignals } from '../../src/system/cli/shutdown-signals.ts';
import type { ShutdownSignal, SignalSource } from '../../src/system/cli/shutdown-signals.ts';

/** A process stand-in: signals are emitted by the test, exits recorded. */
class FakeProcess extends EventEmitter implements SignalSource {
  readonly exits: number[] = [];
  override on(signal: ShutdownSignal, listener: () => void): this {
    return super.on(signal, listener);
  }
  override off(signal: ShutdownSignal, listener: () => void): this {
    return super.off(signal, listener);
  }
  exit(code: number): void {
    this.exits.push(code);
  }
}

describe('ShutdownSignals', () => {
  let proc: FakeProcess;
  let err: PassThrough;
  let said: string;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    proc = new FakeProcess();
    err = new PassThrough();
    said = '';
    err.on('data', (d: Buffer) => (said += d.toString()));
  });
  afterEach(() => mock.timers.reset());

  it('latches a signal sent before anyone waits for it', async () => {
    const signals = new ShutdownSignals({ source: proc, err });
    proc.emit('SIGTERM');
    assert.equal(signals.first, 'SIGTERM');
    assert.equal(await signals.received, 'SIGTERM');
    assert.deepEqual(proc.exits, []);
    signals.close();
  });

  it('ends the process with 128 + the signal number once the deadline passes', () => {
    const signals = new ShutdownSignals({ source: proc, err, deadlineMs: 10_000 });
    proc.emit('SIGTERM');
    mock.timers.tick(9_999);
    assert.deepEqual(proc.exits, []);
    mock.timers.tick(1);
    assert.deepEqual(proc.exits, [143]);
    assert.match(said, /did not stop within 10000 ms of SIGTERM/);
    signals.close();
  });

  it('ends the process at once on a second signal', () => {
    const signals = new ShutdownSignals({ source: proc, err });
    proc.emit('SIGINT');
    proc.emit('SIGINT');
    assert.deepEqual(proc.exits, [130]);
    assert.match(said, /SIGINT received while stopping/);
    signals.close();
  });

  it('close() stops listening and disarms the deadline', () => {
    const signals = new ShutdownSignals({ source: proc, err, deadlineMs: 100 });
    assert.equal(proc.listenerCount('SIGTERM'), 1);
    assert.equal(proc.listenerCount('SIGINT'), 1);
    proc.emit('SIGTERM');
    signals.close();
    assert.equal(proc.listenerCount('SIGTERM'), 0);
    assert.equal(proc.listenerCount('SIGINT'), 0);
    mock.timers.tick(1_000);
    assert.deepEqual(proc.exits, []);
  });
});
