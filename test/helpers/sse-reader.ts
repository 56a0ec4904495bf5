import { fetch } from 'undici';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export interface SseReader {
  readonly status: number;
  readonly contentType: string;
  /** Every event read so far, in order. */
  readonly events: readonly SseEvent[];
  /** Waits (polling what was read) for an event matching `match`, and returns it. */
  next(what: string, match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/**
 * Reads a `text/event-stream` answer with `fetch` and a streamed body (as the console does: it can
 * send the bearer token, which `EventSource` cannot), parsing frames as the SSE standard says.
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  let failure: unknown;
  const pump = async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | undefined;
        let event = 'message';
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length > 0) events.push({ id, event, data: data.join('\n') });
      }
    }
  };
  pump().catch((err: unknown) => {
    if (!abort.signal.aborted) failure = err;
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    events,
    async next(what, match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (failure !== undefined) throw new Error(`event stream failed while waiting for ${what}`, { cause: failure });
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${events.map((e) => e.event).join(',')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => abort.abort(),
  };
}
