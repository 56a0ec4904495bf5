// The read side of the analytics end to end: a planted-cluster market served by the exchange
// simulator (with a maintenance hole of one symbol), backfilled by the CLI into the embedded store;
// `indicators`, `graph`, `models` and `predict` run as child processes, locally and with --server
// against a real `serve`, and the same routes over HTTP. The oracles are the simulator's own klines
// fed to the pure analytics, and a model trained here with trainUniverse on the stored candles.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { GraphSnapshotBuilder, alignCandles, correlationGraph, indicatorTable, trainUniverse } from '../../src/actors/analytics/index.ts';
import type { GraphInputs, GraphSamples, UniverseTrainingResult } from '../../src/actors/analytics/index.ts';
import { ModelRepository } from '../../src/actors/models/model-repository.ts';
import type { NewModel } from '../../src/actors/models/model-repository.ts';
import { GraphBody, IndicatorSpecsText, IndicatorsBody, ModelListBody, ModelMetadata, PredictionBody, candleFromKline } from '../../src/protocol/index.ts';
import type { Candle, GraphSnapshot } from '../../src/protocol/index.ts';
import { createModelBackend } from '../../src/system/ml/index.ts';
import { FilesystemObjectStore } from '../../src/system/objects/index.ts';
import { queryUniverseCandles } from '../../src/system/query/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { expectedKlines, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServe } from '../helpers/serve-process.ts';
import type { ServeProcess } from '../helpers/serve-process.ts';
import { syntheticSymbols } from '../helpers/synthetic-snapshots.ts';
import { makeDataDir } from '../helpers/test-runtime.ts';

const HOUR = 3_600_000;
const SEED = 17;
const MARKET_START = Date.UTC(2024, 3, 1);
const FROM = Date.UTC(2024, 4, 1);
const TO = Date.UTC(2024, 5, 5);
const SYMBOLS = syntheticSymbols('RDS', 4);
/** BBB has no candles for 5 hours (exchange maintenance): the hole rule carries its close. */
const HOLE = { symbol: SYMBOLS[1] ?? '', fromMs: Date.UTC(2024, 4, 28, 3), toMs: Date.UTC(2024, 4, 28, 8) };
const WINDOW = 48;
const TOKEN = 'analytics-token';
const iso = (ms: number) => new Date(ms).toISOString();

/** The simulator's candles of a symbol, straight from its oracle (not from our store). */
const oracleCandles = (symbol: string, fromMs: number, toMs: number): Candle[] =>
  expectedKlines(symbol, '1h', fromMs, toMs, { seed: SEED, holes: [HOLE], listedAtMs: MARKET_START }).map((k) => candleFromKline(k, symbol, '1h'));

function period(s: GraphSamples) {
  const from = s.times[0] ?? 0;
  const to = (s.times[s.count - 1] ?? 0) + HOUR;
  return { from: iso(from), to: iso(to), from_ms: from, to_ms: to, samples: s.count };
}

function newModel(id: string, createdMs: number, promoted: boolean, r: UniverseTrainingResult, features: readonly string[]): NewModel {
  const h = r.hyperparameters;
  return {
    id,
    created_at: iso(createdMs),
    created_at_ms: createdMs,
    queue_id: 'wf-multi-gnn_train-20240501-abcdef',
    universe: 'rds-1h-test',
    symbols: SYMBOLS,
    interval: '1h',
    horizon: 1,
    window: WINDOW,
    edges: { kind: 'threshold', threshold: 0.3 },
    features: [...features],
    data: { from: iso(FROM), to: iso(TO), from_ms: FROM, to_ms: TO },
    split: { train: period(r.dataset.train), val: period(r.dataset.val), test: period(r.dataset.test), gap: r.dataset.split.gap },
    flat_band: r.dataset.flatBand,
    priors: [...r.priors],
    scaler: r.dataset.scaler.toState(),
    hyperparameters: { arch: 'gcn', hidden: h.hidden, heads: h.heads, dropout: h.dropout, learning_rate: h.learningRate, epochs: h.epochs, patience: h.patience, batch_size: h.batchSize },
    seed: h.seed,
    backend: 'wasm',
    metrics: r.metrics,
    promoted,
    history: r.fits.gnn.history.map((e) => ({ ...e })),
    best_epoch: r.fits.gnn.bestEpoch,
    code_version: '0.1.0',
  };
}

/** Snapshot k of a part as a model input of its own (T = 1). */
function oneSnapshot(s: GraphSamples, k: number): GraphInputs {
  const n = s.nodes;
  const f = s.features;
  return {
    count: 1,
    nodes: n,
    features: f,
    x: s.x.slice(k * n * f, (k + 1) * n * f),
    adjacency: s.adjacency.slice(k * n * n, (k + 1) * n * n),
    times: s.times.slice(k, k + 1),
  };
}

describe('indicators, graph, models and predict on a backfilled store', { timeout: 600_000 }, () => {
  let sim: ExchangeSimulator;
  let serve: ServeProcess;
  let dataDir: string;
  let env: Record<string, string>;
  let trained: UniverseTrainingResult;
  /** A test-period snapshot the model is checked at, and what the trained model itself answers there. */
  let probe: { at: number; time: number; probabilities: Float32Array };

  const cli = (args: readonly string[]) => runCli(args, env, 120_000);
  const http = async (path: string, token: string | null = TOKEN) => {
    const res = await request(`${serve.base}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
  };

  before(async () => {
    sim = await startExchangeSimulator({ seed: SEED, holes: [HOLE], market: { kind: 'planted-clusters', symbols: SYMBOLS, seed: SEED, startMs: MARKET_START, clusters: 2 } });
    dataDir = await makeDataDir();
    env = { BINANCE_API_URL: sim.url, STREAMFORGE_DATA_DIR: dataDir, STREAMFORGE_API_TOKEN: TOKEN };
    for (const symbol of SYMBOLS) {
      const run = await cli(['backfill', symbol, '--type', 'api_candles_1h', '--from', iso(FROM), '--to', iso(TO), '--no-progress']);
      assert.equal(run.code, 0, run.stderr);
    }
    // A model trained on the stored candles (what the trainer will do), saved in the data dir's registry.
    const store = new EmbeddedStore(dataDir);
    const objects = new FilesystemObjectStore(dataDir, { topLevel: ['models', 'checkpoints'] });
    try {
      const candles = await queryUniverseCandles(store, { symbols: SYMBOLS, interval: '1h', fromMs: FROM, toMs: TO });
      const builder = new GraphSnapshotBuilder({ queueId: 'wf-train', interval: '1h', symbols: SYMBOLS, window: WINDOW, edges: { kind: 'threshold', threshold: 0.3 } });
      const snapshots: GraphSnapshot[] = [];
      for (const step of alignCandles(candles)) {
        const s = builder.push(step.time, step.candles);
        if (s !== undefined) snapshots.push(s);
      }
      trained = await trainUniverse(snapshots, await createModelBackend('wasm'), { arch: 'gcn', horizon: 1, seed: 3, epochs: 4 });
      const repo = new ModelRepository({ objects, store });
      await repo.init();
      const artifacts = await trained.fits.gnn.model.serialize();
      const created = Date.UTC(2024, 5, 10);
      await repo.save(newModel('m-corrupt', created, false, trained, builder.features), artifacts);
      await repo.save(newModel('m-old', created + 1000, true, trained, builder.features), artifacts);
      await repo.save(newModel('m-new', created + 2000, false, trained, builder.features), artifacts);
      await writeFile(join(dataDir, 'models', 'm-corrupt', 'weights.bin'), new Uint8Array([1, 2, 3]));
      const k = trained.dataset.test.count - 5;
      const time = trained.dataset.test.times[k] ?? 0;
      probe = { time, at: time + HOUR, probabilities: trained.fits.gnn.model.predict(oneSnapshot(trained.dataset.test, k)) };
    } finally {
      await store.close();
      await objects.close();
    }
    serve = await startServe({ STREAMFORGE_DATA_DIR: dataDir, BINANCE_API_URL: sim.url, STREAMFORGE_API_TOKEN: TOKEN });
  });

  after(async () => {
    for (const fit of Object.values(trained?.fits ?? {})) fit.model.dispose();
    await serve?.process.kill();
    await sim?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  void it('indicators: the exchange candles\' indicators, warmed up before --from, the same locally, with --server and over HTTP', async () => {
    const from = Date.UTC(2024, 4, 25);
    const to = Date.UTC(2024, 5, 1);
    const ind = 'ema:20,rsi:14,atr:14,vwap:24';
    const args = ['indicators', SYMBOLS[1] ?? '', '--interval', '1h', '--from', iso(from), '--to', iso(to), '--ind', ind];
    const csv = await cli([...args, '--format', 'csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stderr, /warmed up on 263 stored candles before --from, from 2024-05-14T01:00:00\.000Z/);
    const lines = csv.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'open_time,ema_20,rsi_14,atr_14,vwap_24');
    // Oracle: the simulator's klines since the backfill's start, through the TA-Lib-checked arrays.
    const expected = indicatorTable(oracleCandles(SYMBOLS[1] ?? '', FROM, to), IndicatorSpecsText.parse(ind)).rows.filter((r) => r.open_time >= from);
    assert.equal(lines.length - 1, expected.length, 'one row per stored candle (the 5-hour hole has none)');
    assert.equal(expected.length, 7 * 24 - 5);
    lines.slice(1).forEach((line, k) => {
      const cells = line.split(',').map(Number);
      const row = expected[k] ?? assert.fail(`row ${k}`);
      assert.equal(cells[0], row.open_time);
      ['ema_20', 'rsi_14', 'atr_14', 'vwap_24'].forEach((col, c) => {
        const e = row[col] ?? Number.NaN;
        assert.ok(Math.abs((cells[c + 1] ?? Number.NaN) - e) <= 1e-7 * Math.abs(e), `${col} at ${row.open_time}: ${cells[c + 1]} vs ${e}`);
      });
    });

    const remote = await cli([...args, '--format', 'csv', '--server', serve.base]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stdout, csv.stdout);
    const overHttp = await http(`/indicators?symbol=${SYMBOLS[1] ?? ''}&interval=1h&from=${iso(from)}&to=${iso(to)}&ind=${ind}&format=csv`);
    assert.equal(overHttp.status, 200);
    assert.match(overHttp.type, /^text\/csv/);
    assert.equal(overHttp.text, csv.stdout);

    const json = await cli([...args, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const body = IndicatorsBody.parse(JSON.parse(json.stdout));
    assert.equal(body.from, iso(from));
    assert.equal(body.to_ms, to);
    assert.equal(body.count, expected.length);
    assert.deepEqual(body.warmup, { needed: 263, candles: 263, from: '2024-05-14T01:00:00.000Z', from_ms: Date.UTC(2024, 4, 14, 1) });
    assert.deepEqual(body.rows.map((r) => r.open_time), expected.map((r) => r.open_time));
    const remoteJson = await cli([...args, '--format', 'json', '--server', serve.base]);
    assert.deepEqual(JSON.parse(remoteJson.stdout), body);
  });

  void it('indicators: empty cells while warming up at the start of the store; exit 2 naming what is wrong', async () => {
    const start = await cli(['indicators', SYMBOLS[0] ?? '', '--interval', '1h', '--from', iso(FROM), '--to', iso(FROM + 20 * HOUR), '--ind', 'ema:20,logret', '--format', 'json']);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /warmed up on 0 stored candles .*of 204 wanted: the store begins later/);
    const body = IndicatorsBody.parse(JSON.parse(start.stdout));
    assert.equal(body.rows[0]?.['log_return'], null);
    assert.equal(typeof body.rows[1]?.['log_return'], 'number');
    assert.equal(body.rows.findIndex((r) => r['ema_20'] !== null), 19, 'EMA(20) has its first value at the 20th candle');

    const cases: Array<[string[], RegExp]> = [
      [['indicators', 'NOPEUSDT', '--interval', '1h', '--from', iso(FROM), '--to', iso(TO), '--ind', 'ema:20'], /no stored 1h candles of NOPEUSDT .*load them first: streamforge backfill NOPEUSDT --type api_candles_1h --from 2024-05-01T00:00:00.000Z --to 2024-06-05T00:00:00.000Z/],
      [['indicators', SYMBOLS[0] ?? '', '--interval', '1h', '--from', iso(FROM), '--to', iso(TO), '--ind', 'ema:20,macd'], /invalid --ind: unknown indicator "macd"; accepted: a comma-separated list of ema:N/],
      [['indicators', SYMBOLS[0] ?? '', '--interval', '1h', '--from', iso(FROM), '--to', iso(TO)], /missing --ind/],
      [['indicators', SYMBOLS[0] ?? '', '--interval', '1h', '--from', iso(FROM), '--to', iso(TO), '--ind', 'ema:3', '--server', serve.base, '--data-dir', dataDir], /--data-dir and --server exclude each other/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  void it('graph: the planted clusters from the stored candles, as the exchange\'s candles give them; table, JSON, --server and HTTP agree', async () => {
    const at = Date.UTC(2024, 4, 28, 12);
    const range = ['--interval', '1h', '--from', iso(FROM), '--to', iso(TO)];
    const json = await cli(['graph', '--symbols', SYMBOLS.join(','), ...range, '--at', iso(at), '--window', '96', '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const body = GraphBody.parse(JSON.parse(json.stdout));
    const expected = correlationGraph({
      symbols: SYMBOLS,
      interval: '1h',
      fromMs: FROM,
      toMs: TO,
      atMs: at - 1,
      window: 96,
      candles: SYMBOLS.map((s) => oracleCandles(s, FROM, at)),
    });
    assert.deepEqual(body, expected);
    assert.equal(body.at, iso(at - HOUR));
    // Round-robin clusters of 2: A with C, B with D; ρ ≈ 0.55 inside, 0 across.
    assert.deepEqual(body.edges.map((e) => `${e.source}-${e.target}`).sort(), [`${SYMBOLS[0]}-${SYMBOLS[2]}`, `${SYMBOLS[1]}-${SYMBOLS[3]}`]);

    const remote = await cli(['graph', '--symbols', SYMBOLS.join(','), ...range, '--at', iso(at), '--window', '96', '--format', 'json', '--server', serve.base]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.deepEqual(JSON.parse(remote.stdout), body);
    const overHttp = await http(`/graph?symbols=${SYMBOLS.join(',')}&interval=1h&from=${iso(FROM)}&to=${iso(TO)}&at=${iso(at)}&window=96`);
    assert.equal(overHttp.status, 200, overHttp.text);
    assert.deepEqual(JSON.parse(overHttp.text), body);

    const table = await cli(['graph', '--symbols', SYMBOLS.join(','), ...range, '--at', iso(at), '--window', '96', '--top-k', '1']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^4 symbols, 1h, 96 log returns ending with the candle opening 2024-05-28T11:00:00\.000Z; edges \(each symbol's 1 strongest\): 2$/);
    assert.match(lines[1] ?? '', /^source\s+target\s+ρ$/);
    assert.match(lines[2] ?? '', new RegExp(`^RDS[A-D]USDT\\s+RDS[A-D]USDT\\s+ 0\\.\\d{4}$`));
  });

  void it('graph: exit 2 with what is accepted, and HTTP 400 the same', async () => {
    const range = ['--interval', '1h', '--from', iso(FROM), '--to', iso(TO)];
    const cases: Array<[string[], RegExp]> = [
      [['graph', '--symbols', SYMBOLS[0] ?? '', ...range], /--symbols: a graph needs at least 2 symbols, got 1; accepted: 2 to 200 distinct symbols/],
      [['graph', '--symbols', SYMBOLS.join(','), '--interval', '1h', '--from', iso(FROM), '--to', iso(FROM + 50 * HOUR)], /holds at most 50 1h candles: a window of 168 log returns needs 169; accepted: a window from 3 to 49 here, or an earlier from/],
      [['graph', '--symbols', SYMBOLS.join(','), '--interval', '7m', '--from', iso(FROM), '--to', iso(TO)], /unknown interval "7m"; accepted: 1s 1m/],
      [['graph', '--symbols', SYMBOLS.join(','), ...range, '--threshold', '0.5', '--top-k', '2'], /--top-k: threshold and top_k exclude each other/],
      [['graph', '--symbols', `${SYMBOLS[0] ?? ''},XYZUSDT`, ...range], /no stored 1h candles of XYZUSDT in \[2024-05-01T00:00:00\.000Z, 2024-06-05T00:00:00\.000Z\); load them first: streamforge backfill XYZUSDT --type api_candles_1h/],
      [['graph', '--symbols', SYMBOLS.join(','), ...range, '--at', '2024-07-01'], /at 2024-07-01T00:00:00\.000Z is outside the range; accepted: after from/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    const bad = await http(`/graph?symbols=${SYMBOLS.join(',')}&interval=1h&from=${iso(FROM)}&to=${iso(TO)}&threshold=0.5&top_k=2`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /threshold and top_k exclude each other/);
  });

  void it('models: newest first with the scores beside the baselines; one model by id or latest; exit 2 and 404 for an unknown id', async () => {
    const table = await cli(['models']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^id\s+created\s+symbols\s+interval\s+horizon\s+arch\s+backend\s+promoted\s+gnn acc\/F1\/loss\s+mlp\s+logistic\s+majority$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ['m-new', 'm-old', 'm-corrupt']);
    const g = trained.metrics.gnn;
    assert.match(lines[2] ?? '', new RegExp(`^m-old\\s+2024-06-10 00:00\\s+RDSAUSDT,RDSBUSDT,RDSCUSDT,… \\(4\\)\\s+1h\\s+1\\s+gcn\\s+wasm\\s+yes\\s+${g.accuracy.toFixed(3)}/${g.macro_f1.toFixed(3)}/${g.log_loss.toFixed(3)}`));

    const json = await cli(['models', '--format', 'json']);
    const list = ModelListBody.parse(JSON.parse(json.stdout));
    assert.deepEqual(list.models.map((m) => m.id), ['m-new', 'm-old', 'm-corrupt']);
    assert.ok(list.models.every((m) => !('history' in m) && !('scaler' in m)));
    const overHttp = await http('/models');
    assert.equal(overHttp.status, 200);
    assert.deepEqual(JSON.parse(overHttp.text), list);
    assert.deepEqual(JSON.parse((await cli(['models', '--format', 'json', '--server', serve.base])).stdout), list);

    const one = await cli(['models', 'latest', '--format', 'json']);
    const meta = ModelMetadata.parse(JSON.parse(one.stdout));
    assert.equal(meta.id, 'm-old');
    assert.deepEqual(meta.scaler, trained.dataset.scaler.toState());
    assert.deepEqual(JSON.parse((await http('/models/m-old')).text), meta);
    assert.match((await cli(['models', 'm-old'])).stdout, /^id\s+m-old\n.*\npromoted\s+yes\n/s);

    const unknown = await cli(['models', 'm-nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no model m-nope; see `streamforge models` for the stored ones, or use latest/);
    assert.equal((await cli(['models', 'm-nope', '--server', serve.base])).code, 2);
    assert.equal((await http('/models/m-nope')).status, 404);
    assert.equal((await http('/models', null)).status, 401);
  });

  void it('predict: the stored model at a time, from the stored candles before it: what the trained model answers there', async () => {
    const json = await cli(['predict', '--model', 'latest', '--at', iso(probe.at), '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const body = PredictionBody.parse(JSON.parse(json.stdout));
    assert.equal(body.model, 'm-old', 'latest is the newest promoted model');
    assert.equal(body.at, iso(probe.at));
    assert.equal(body.last_candle_ms, probe.time, 'the last candle closed at at');
    assert.equal(body.horizon, 1);
    assert.deepEqual(body.predictions.map((p) => p.symbol), SYMBOLS);
    body.predictions.forEach((p, i) => {
      const expected = [0, 1, 2].map((c) => probe.probabilities[i * 3 + c] ?? Number.NaN);
      const got = [p.probabilities.UP, p.probabilities.DOWN, p.probabilities.FLAT];
      got.forEach((v, c) => assert.ok(Math.abs(v - (expected[c] ?? Number.NaN)) < 1e-4, `${p.symbol} class ${c}: ${v} vs ${expected[c]}`));
      assert.ok(Math.abs(got.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(p.class, (['UP', 'DOWN', 'FLAT'] as const)[got.indexOf(Math.max(...got))]);
    });

    const table = await cli(['predict', '--model', 'm-new', '--at', iso(probe.at)]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stderr, new RegExp(`model m-new, 1h, 1 candle after the candle opening ${iso(probe.time)}`));
    const lines = table.stdout.trimEnd().split('\n');
    assert.equal(lines.length, SYMBOLS.length);
    lines.forEach((line, i) => {
      const p = body.predictions[i] ?? assert.fail('prediction');
      assert.equal(line, `${p.symbol}  ${p.class.padEnd(6)}UP ${p.probabilities.UP.toFixed(4)}  DOWN ${p.probabilities.DOWN.toFixed(4)}  FLAT ${p.probabilities.FLAT.toFixed(4)}`);
    });

    const remote = await cli(['predict', '--at', iso(probe.at), '--format', 'json', '--server', serve.base]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.deepEqual(JSON.parse(remote.stdout), body, 'the server loads the same model on the same backend');
    for (const id of ['latest', 'm-old']) {
      const overHttp = await http(`/models/${id}/predict?at=${iso(probe.at)}`);
      assert.equal(overHttp.status, 200, overHttp.text);
      assert.deepEqual(JSON.parse(overHttp.text), body);
    }
  });

  void it('predict: exit 2 for an unknown model, an at before the model\'s data and its warm-up, an at past the stored candles; a damaged model is named', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['predict', '--model', 'm-nope', '--at', iso(probe.at)], /no model m-nope/],
      [['predict', '--model', 'm-old', '--at', iso(FROM + 10 * HOUR)], /at 2024-05-01T10:00:00\.000Z is before model m-old can predict: its data starts 2024-05-01T00:00:00\.000Z and its features need 49 1h candles first; accepted: at or after 2024-05-03T01:00:00\.000Z/],
      [['predict', '--model', 'm-old', '--at', iso(TO + 5 * HOUR)], /no stored 1h candle of .* closes within one candle before 2024-06-05T05:00:00\.000Z: the last closes at 2024-06-05T00:00:00\.000Z/],
      [['predict', '--model', 'm-old'], /missing --at/],
      [['predict', '--model', 'm-old', '--at', 'yesterday'], /invalid --at "yesterday"; accepted: YYYY-MM-DD/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    const early = await http(`/models/m-old/predict?at=${iso(FROM + 10 * HOUR)}`);
    assert.equal(early.status, 400);
    assert.match(early.text, /accepted: at or after 2024-05-03T01:00:00\.000Z/);
    assert.equal((await http(`/models/m-nope/predict?at=${iso(probe.at)}`)).status, 404);
    assert.equal((await cli(['predict', '--model', 'm-nope', '--at', iso(probe.at), '--server', serve.base])).code, 2);

    const corrupt = await cli(['predict', '--model', 'm-corrupt', '--at', iso(probe.at)]);
    assert.equal(corrupt.code, 1, corrupt.stderr);
    assert.match(corrupt.stderr, /model m-corrupt: weights\.bin has sha256 [0-9a-f]{64}, its metadata says [0-9a-f]{64}; the file was changed or damaged \[SF_ERR_MODEL_CORRUPT\]/);
    const overHttp = await http(`/models/m-corrupt/predict?at=${iso(probe.at)}`);
    assert.equal(overHttp.status, 500);
    assert.match(overHttp.text, /"code":"SF_ERR_MODEL_CORRUPT".*train it again/);
  });
});
