import { shutdownSignals } from './shutdown-signals.ts';
import type { ShutdownSignal } from './shutdown-signals.ts';

/** Something a long-running command hosts: a server, a stage, a workflow it follows. */
export interface Hosted {
  /** Resolves with the exit code once the work ends by itself (a stage finished, a workflow ended); a server's never does. */
  readonly ended: Promise<number>;
  /**
   * The first SIGTERM or SIGINT: stop, and resolve with the exit code. A stage stops without saying
   * `interrupted` and exits 143 (its launcher runs it again); the manager lets its stages go and
   * exits 0; a followed workflow is asked to stop and followed to its end.
   */
  onSignal(signal: ShutdownSignal): Promise<number>;
  /** Closes everything the command opened (the HTTP server, the runtime). Runs however the hosting ends. */
  close(): Promise<void>;
}

/** What hosting listens to: SIGTERM and SIGINT, latched (a second signal, or a shutdown past its deadline, ends the process at once). */
export interface Signals {
  readonly received: Promise<ShutdownSignal>;
}

/**
 * The one "host until signal" path of every long-running command (`serve` in each role, `backfill`):
 * waits for the work to end or for a shutdown signal, lets the work react to the signal, closes what
 * was opened, and returns the exit code.
 */
export async function hostUntilSignal(hosted: Hosted, signals: Signals = shutdownSignals()): Promise<number> {
  try {
    const first = await Promise.race([hosted.ended.then((code) => ({ code })), signals.received.then((signal) => ({ signal }))]);
    return 'code' in first ? first.code : await hosted.onSignal(first.signal);
  } finally {
    await hosted.close();
  }
}
