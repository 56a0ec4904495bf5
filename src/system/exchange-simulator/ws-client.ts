import WebSocket from 'ws';
import type { StreamSpec } from './stream-name.ts';
import type { Subscriber } from './stream-hub.ts';

/** A slow consumer holding more than this unsent is dropped, as Binance drops it. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** One accepted stream connection. */
export class WsClient implements Subscriber {
  readonly socket: WebSocket;
  combined: boolean;
  /** Stream name → what it asks for, in subscription order. */
  readonly streams = new Map<string, StreamSpec>();
  lastPongAtMs: number;
  /** Pings sent since the last pong. */
  unansweredPings = 0;
  rotation: NodeJS.Timeout | undefined;
  readonly #onSent: () => void;
  /** Arrival times of the last `limit` incoming messages, oldest first (a ring). */
  readonly #arrivals: number[] = [];
  #next = 0;

  constructor(socket: WebSocket, combined: boolean, nowMs: number, onSent: () => void) {
    this.socket = socket;
    this.combined = combined;
    this.lastPongAtMs = nowMs;
    this.#onSent = onSent;
  }

  sendFrame(frame: Buffer | string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.socket.terminate();
      return;
    }
    this.socket.send(frame, { binary: false });
    this.#onSent();
  }

  /** Records an incoming message; false when it is one more than `limit` within a second. */
  admitIncoming(nowMs: number, limit: number): boolean {
    if (this.#arrivals.length < limit) {
      this.#arrivals.push(nowMs);
      return true;
    }
    const oldest = this.#arrivals[this.#next] ?? 0;
    this.#arrivals[this.#next] = nowMs;
    this.#next = (this.#next + 1) % limit;
    return nowMs - oldest >= 1000;
  }
}
