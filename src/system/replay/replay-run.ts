import type { Clock, Store } from '../../actors/index.ts';
import { toErrorInfo, parseStreamType, seriesOf, StreamForgeError, ErrorCodes, ValidationError, describeAcceptedTypes } from '../../protocol/index.ts';
import type { ReplayHole, ReplayMessageFormat, ReplaySpeed, ReplayStatusName, SeriesRecord } from '../../protocol/index.ts';
import { readSeries } from '../query/index.ts';
import { mergeReplayOrder } from './replay-order.ts';
import { ReplayPacer } from './replay-pacer.ts';
import type { ReplaySink } from './replay-sink.ts';
import { storedHoles } from './stored-holes.ts';

/** Records handed to the sink at once at `max` speed: one produce call, one round trip to the broker. */
export const REPLAY_CHUNK_RECORDS = 2_000;

export interface ReplayRequest {
  readonly symbols: readonly string[];
  readonly type: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** @defaultValue 'max' */
  readonly speed?: ReplaySpeed;
  /** @defaultValue 'record' */
  readonly messageFormat?: ReplayMessageFormat;
  /** Stop before sending anything when the stored range has holes. @defaultValue false */
  readonly failOnHoles?: boolean;
}

export interface ReplayDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly sink: ReplaySink;
}

/** What a replay has done so far: the status `GET /replays/{id}` and the progress display show. */
export interface ReplayState {
  readonly status: ReplayStatusName;
  readonly records: number;
  /** Event time of the last record sent. */
  readonly replayedToMs: number | undefined;
  /** Known once the store has been checked, before the first record. */
  readonly holes: readonly ReplayHole[];
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

/** Ends a replay that `--fail-on-holes` forbids: exit 1 in the CLI, `failed` in the API. */
export class ReplayHolesError extends StreamForgeError {
  constructor(holes: readonly ReplayHole[]) {
    super(ErrorCodes.CONFLICT, `the stored range has ${holes.length} hole${holes.length === 1 ? '' : 's'} and fail_on_holes is set; nothing was replayed`);
  }
}

/**
 * One replay: checks the stored range for holes (store only), then streams the stored records of
 * every symbol, merged in replay order (event time, symbol, id), paced by event time, into a sink.
 * Memory holds a page per collection and one chunk of records, never the range.
 */
export class ReplayRun {
  readonly #req: ReplayRequest;
  readonly #deps: ReplayDeps;
  readonly #abort = new AbortController();
  #state: ReplayState = { status: 'pending', records: 0, replayedToMs: undefined, holes: [], error: undefined };

  constructor(req: ReplayRequest, deps: ReplayDeps) {
    if (!parseStreamType(req.type)) throw new ValidationError(`unknown type ${JSON.stringify(req.type)}; accepted: ${describeAcceptedTypes()}`);
    this.#req = req;
    this.#deps = deps;
  }

  get state(): ReplayState {
    return this.#state;
  }

  get sink(): ReplaySink {
    return this.#deps.sink;
  }

  /** Stops the replay where it stands: it ends `stopped`. */
  stop(): void {
    this.#abort.abort(new Error('replay stopped'));
  }

  /** Runs to the end; resolves with the final state (never rejects: a failure is the state's `error`). */
  async run(onProgress: (state: ReplayState) => void = () => undefined): Promise<ReplayState> {
    const signal = this.#abort.signal;
    try {
      const holes = await this.#holes(signal);
      this.#set({ holes });
      onProgress(this.#state);
      if (holes.length > 0 && this.#req.failOnHoles === true) throw new ReplayHolesError(holes);
      await this.#deps.sink.open(signal);
      this.#set({ status: 'running' });
      await this.#stream(signal, onProgress);
      this.#set({ status: signal.aborted ? 'stopped' : 'completed' });
    } catch (err) {
      if (signal.aborted) this.#set({ status: 'stopped' });
      else {
        const { code, message } = toErrorInfo(err);
        this.#set({ status: 'failed', error: { code, message } });
      }
    } finally {
      await this.#deps.sink.close();
    }
    onProgress(this.#state);
    return this.#state;
  }

  async #holes(signal: AbortSignal): Promise<ReplayHole[]> {
    const nowMs = this.#deps.clock.now();
    const all: ReplayHole[] = [];
    for (const symbol of this.#req.symbols) {
      all.push(...(await storedHoles(this.#deps.store, { symbol, type: this.#req.type, fromMs: this.#req.fromMs, toMs: this.#req.toMs, nowMs, signal })));
    }
    return all.sort((a, b) => a.from_ms - b.from_ms || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  async #stream(signal: AbortSignal, onProgress: (state: ReplayState) => void): Promise<void> {
    const { store, clock, sink } = this.#deps;
    const type = parseStreamType(this.#req.type);
    if (!type) return;
    const spec = seriesOf(type);
    const sources = await Promise.all(
      this.#req.symbols.map(async (symbol) => (await readSeries(store, { symbol, type: this.#req.type, fromMs: this.#req.fromMs, toMs: this.#req.toMs, signal })).records),
    );
    const pacer = new ReplayPacer(clock, this.#req.speed ?? 'max');
    let chunk: SeriesRecord[] = [];
    // One chunk in flight while the next is read: the store and the sink work at the same time.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (chunk.length === 0) return;
      const sent = chunk;
      chunk = [];
      await inFlight;
      inFlight = sink.send(sent).then(() => {
        const last = sent[sent.length - 1] as SeriesRecord;
        this.#set({ records: this.#state.records + sent.length, replayedToMs: spec.time(last) });
        onProgress(this.#state);
      });
      // Handled here so a failure while the next chunk is read is no unhandled rejection; the next await throws it.
      inFlight.catch(() => undefined);
    };
    try {
      for await (const record of mergeReplayOrder(spec, sources)) {
        if (signal.aborted) break;
        const waitMs = pacer.waitMs(spec.time(record));
        if (waitMs > 0) {
          // What is due goes out before the wait for what is not.
          await flush();
          await clock.sleep(waitMs, signal);
        }
        chunk.push(record);
        if (chunk.length >= REPLAY_CHUNK_RECORDS) await flush();
      }
      await flush();
    } finally {
      await inFlight;
    }
  }

  #set(patch: Partial<ReplayState>): void {
    this.#state = { ...this.#state, ...patch };
  }
}
