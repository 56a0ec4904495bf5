import type { SymbolHoles } from './holes.ts';

/** What the archive file server sees of the simulator. */
export interface ArchiveContext {
  readonly seed: number;
  readonly nowMs: number;
  readonly listedAtMs: ReadonlyMap<string, number>;
  readonly holes: ReadonlyMap<string, SymbolHoles>;
  /** File names (e.g. `BTCUSDT-1m-2024-07.zip`) answered with 404, their `.CHECKSUM` too. */
  readonly missing: ReadonlySet<string>;
  /** File names served with bytes that do not match their `.CHECKSUM`. */
  readonly corrupt: ReadonlySet<string>;
}

export interface ArchiveReply {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
}

/** Serves `/data/spot/{monthly,daily}/{klines,aggTrades}/...` zips and their `.CHECKSUM` files. */
export function serveArchive(path: string, ctx: ArchiveContext): ArchiveReply {
  void path;
  void ctx;
  return { status: 404, body: Buffer.from('<Error><Code>NoSuchKey</Code></Error>'), contentType: 'application/xml' };
}
