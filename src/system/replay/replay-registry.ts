import { randomBytes } from 'node:crypto';
import type { Bus, Clock, Logger, Store } from '../../actors/index.ts';
import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import type { ReplayBody, ReplayStatusBody } from '../../protocol/index.ts';
import { BusReplaySink } from './bus-replay-sink.ts';
import { ReplayRun } from './replay-run.ts';
import { WebSocketReplaySink } from './websocket-replay-sink.ts';

/** Replays running at once in one server: each reads the store and holds a sink. */
export const MAX_ACTIVE_REPLAYS = 4;
/** Finished replays remembered for `GET /replays/{id}`; the oldest is forgotten past this. */
const KEPT_REPLAYS = 100;

export interface ReplayRegistryDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
}

interface Entry {
  readonly id: string;
  readonly body: ReplayBody;
  readonly run: ReplayRun;
  readonly startedAt: number;
  finishedAt?: number;
  done: Promise<unknown>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The replays a server runs (`POST /replays`), by id, with their status (`GET /replays/{id}`). */
export class ReplayRegistry {
  readonly #deps: ReplayRegistryDeps;
  readonly #entries = new Map<string, Entry>();

  constructor(deps: ReplayRegistryDeps) {
    this.#deps = deps;
  }

  /** Starts a replay in the background; a WebSocket replay listens before this resolves, so its port is in the answer. */
  async start(body: ReplayBody): Promise<ReplayStatusBody> {
    const active = [...this.#entries.values()].filter((e) => e.finishedAt === undefined).length;
    if (active >= MAX_ACTIVE_REPLAYS) {
      throw new StreamForgeError(ErrorCodes.CONFLICT, `${MAX_ACTIVE_REPLAYS} replays are running; accepted: a new one when one has ended`, { retriable: true });
    }
    const { store, bus, clock, log } = this.#deps;
    const ws = body.ws_port === undefined ? undefined : new WebSocketReplaySink(body.ws_port);
    if (ws) await ws.listen();
    const sink = ws ?? new BusReplaySink(bus, body.topic ?? '', body.message_format);
    const run = new ReplayRun(
      { symbols: body.symbols, type: body.type, fromMs: body.from, toMs: body.to, speed: body.speed, messageFormat: body.message_format, failOnHoles: body.fail_on_holes },
      { store, clock, sink },
    );
    const id = `rp-${randomBytes(6).toString('hex')}`;
    const entry: Entry = { id, body, run, startedAt: clock.now(), done: Promise.resolve() };
    entry.done = run.run().then((state) => {
      entry.finishedAt = clock.now();
      log.info({ replay_id: id, status: state.status, records: state.records, holes: state.holes.length }, 'replay ended');
    });
    this.#entries.set(id, entry);
    this.#forgetOld();
    log.info({ replay_id: id, symbols: body.symbols.length, type: body.type, sink: sink.where() }, 'replay started');
    return this.#status(entry);
  }

  get(id: string): ReplayStatusBody {
    const entry = this.#entries.get(id);
    if (!entry) throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no replay ${JSON.stringify(id)}; accepted: an id POST /replays answered`);
    return this.#status(entry);
  }

  /** Stops every running replay and waits for their ends (sinks closed). */
  async close(): Promise<void> {
    for (const e of this.#entries.values()) e.run.stop();
    await Promise.all([...this.#entries.values()].map((e) => e.done));
  }

  #forgetOld(): void {
    const finished = [...this.#entries.values()].filter((e) => e.finishedAt !== undefined);
    for (const e of finished.slice(0, Math.max(0, this.#entries.size - KEPT_REPLAYS))) this.#entries.delete(e.id);
  }

  #status(e: Entry): ReplayStatusBody {
    const s = e.run.state;
    return {
      id: e.id,
      status: s.status,
      symbols: [...e.body.symbols],
      type: e.body.type,
      from: iso(e.body.from),
      to: iso(e.body.to),
      sink: e.run.sink.where(),
      speed: e.body.speed,
      message_format: e.body.message_format,
      records: s.records,
      ...(s.replayedToMs === undefined ? {} : { replayed_to: iso(s.replayedToMs), replayed_to_ms: s.replayedToMs }),
      holes: [...s.holes],
      started_at: iso(e.startedAt),
      ...(e.finishedAt === undefined ? {} : { finished_at: iso(e.finishedAt) }),
      ...(s.error === undefined ? {} : { error: s.error }),
    };
  }
}
