import WebSocket from 'ws';
import type { WebSocketConnection, WebSocketConnector, WebSocketHandlers } from '../../actors/ports/index.ts';

/** WebSocket connections over the `ws` package; pings are answered with pongs by `ws` itself. */
export class WsWebSocketConnector implements WebSocketConnector {
  readonly #handshakeTimeoutMs: number;

  constructor(options: { handshakeTimeoutMs?: number } = {}) {
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  }

  connect(url: string, handlers: WebSocketHandlers): WebSocketConnection {
    const socket = new WebSocket(url, { handshakeTimeout: this.#handshakeTimeoutMs, perMessageDeflate: false });
    let closed = false;
    const closeOnce = (code: number, reason: string): void => {
      if (closed) return;
      closed = true;
      handlers.onClose(code, reason);
    };
    socket.on('open', () => handlers.onOpen());
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return;
      handlers.onMessage(textOf(data));
    });
    socket.on('ping', () => handlers.onPing?.());
    socket.on('error', (err) => {
      handlers.onError(err);
      // An error before or without a close frame: report the end once.
      if (socket.readyState === WebSocket.CLOSED) closeOnce(1006, err.message);
    });
    socket.on('unexpected-response', (_req, res) => {
      handlers.onError(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode ?? '?'}`));
      socket.terminate();
    });
    socket.on('close', (code, reason) => closeOnce(code, reason.toString('utf8')));
    return {
      send: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      close: (code = 1000, reason = '') => {
        if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
        else socket.close(code, reason);
      },
      terminate: () => socket.terminate(),
    };
  }
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
