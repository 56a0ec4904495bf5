import type { SeriesRecord } from '../../protocol/index.ts';

/** Where a replay writes: a bus topic or a local WebSocket. */
export interface ReplaySink {
  /** What the status names: the topic, or the port listened on (known once `open` resolved). */
  where(): { readonly topic: string } | { readonly ws_port: number };
  /** Gets ready to take records (the topic exists, the port listens and has a client); rejects when `signal` aborts first. */
  open(signal: AbortSignal): Promise<void>;
  /** Resolves once the records are taken (durable on the bus, handed to every client's socket). */
  send(records: readonly SeriesRecord[]): Promise<void>;
  close(): Promise<void>;
}
