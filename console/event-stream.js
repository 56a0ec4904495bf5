import { askToken, authHeaders } from './api.js';

/**
 * `GET /events` read with `fetch` and a streamed body (`EventSource` cannot send the token). It
 * reconnects by itself, sending `Last-Event-ID`, so it misses nothing the server still keeps; when
 * the server says `reset`, `onReset` reads the state again.
 */
export class EventStream {
  #url;
  #handlers;
  #abort = new AbortController();
  #lastId;
  #retryMs = 2000;

  /** `handlers`: `onEvent(kind, data, id)`, `onReady(lastId)`, `onReset(reason)`, `onState('live' | 'reconnecting' | 'refused')`. */
  constructor(url, handlers, lastId) {
    this.#url = url;
    this.#handlers = handlers;
    this.#lastId = lastId;
  }

  start() {
    void this.#run();
    return this;
  }

  stop() {
    this.#abort.abort();
  }

  async #run() {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const headers = { accept: 'text/event-stream', ...authHeaders() };
        if (this.#lastId !== undefined) headers['last-event-id'] = this.#lastId;
        const res = await fetch(this.#url, { headers, signal, cache: 'no-store' });
        if (res.status === 401) {
          this.#handlers.onState?.('refused');
          await askToken();
          continue;
        }
        if (!res.ok || res.body === null) throw new Error(`the event stream answered ${res.status}`);
        await this.#read(res.body);
      } catch (err) {
        if (signal.aborted) return;
        this.#handlers.onError?.(err);
      }
      if (signal.aborted) return;
      this.#handlers.onState?.('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    }
  }

  async #read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        this.#frame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  #frame(frame) {
    let event = 'message';
    let id;
    const data = [];
    for (const line of frame.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'id') id = value;
      else if (name === 'event') event = value;
      else if (name === 'data') data.push(value);
      else if (name === 'retry' && /^\d+$/.test(value)) this.#retryMs = Number(value);
    }
    if (id !== undefined) this.#lastId = id;
    if (data.length === 0) return;
    const payload = JSON.parse(data.join('\n'));
    if (event === 'ready') {
      this.#handlers.onState?.('live');
      this.#handlers.onReady?.(payload.last_id);
    } else if (event === 'reset') this.#handlers.onReset?.(payload.reason);
    else this.#handlers.onEvent?.(event, payload, id);
  }
}
