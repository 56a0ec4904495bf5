/** What a WebSocket connection reports; text frames only (Binance streams are JSON). */
export interface WebSocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  /** A ping frame from the server; the adapter has already answered it with a pong. */
  onPing?(): void;
  /** Called once, whatever ended the connection (close frame, network error, local close). */
  onClose(code: number, reason: string): void;
  onError(err: unknown): void;
}

export interface WebSocketConnection {
  send(text: string): void;
  /** Closes gracefully; `onClose` follows. */
  close(code?: number, reason?: string): void;
  /** Drops the connection without a close handshake; `onClose` follows. */
  terminate(): void;
}

/** Opens WebSocket connections (the `ws` package in production). */
export interface WebSocketConnector {
  connect(url: string, handlers: WebSocketHandlers): WebSocketConnection;
}
