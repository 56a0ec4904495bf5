// `streamforge train` as a user runs it: a child process against the exchange simulator serving a
// planted-cluster market; the data the universe lacks is loaded by the workflow itself (one symbol
// is backfilled beforehand with a comma-separated `backfill`), the model lands in the data dir and
// `models` and `predict` find it. Bad input exits 2 and writes nothing.
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelListBody, PredictionBody, TrainResult } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { syntheticSymbols } from '../helpers/synthetic-snapshots.ts';
import { makeDataDir } from '../helpers/test-runtime.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const TO = FROM + 2_400 * HOUR;
const SYMBOLS = syntheticSymbols('TRN', 6);
const iso = (ms: number) => new Date(ms).toISOString();

describe('streamforge train', { timeout: 900_000 }, () => {
  let sim: ExchangeSimulator;
  let dataDir: string;
  let env: Record<string, string>;
  const cli = (args: readonly string[], timeoutMs = 600_000) => runCli(args, env, timeoutMs);
  const train = (extra: readonly string[]) =>
    cli(['train', '--symbols', SYMBOLS.join(','), '--interval', '1h', '--from', iso(FROM), '--to', iso(TO), '--epochs', '12', '--seed', '7', '--window', '48', ...extra]);

  before(async () => {
    sim = await startExchangeSimulator({ market: { kind: 'planted-clusters', symbols: SYMBOLS, seed: 11, clusters: 2, startMs: FROM - 500 * HOUR } });
    dataDir = await makeDataDir();
    env = { BINANCE_API_URL: sim.url, STREAMFORGE_DATA_DIR: dataDir };
  });

  after(async () => {
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses bad input with exit 2, naming the flag and what is accepted, and stores nothing', async () => {
    const cases: Array<[readonly string[], RegExp]> = [
      [['train', '--symbols', 'BTCUSDT', '--interval', '1h', '--from', '2024-01-01', '--to', '2024-03-01'], /--symbols: a graph needs at least 2 symbols/],
      [['train', '--symbols', 'BTCUSDT,ETHUSDT', '--interval', '7m', '--from', '2024-01-01', '--to', '2024-03-01'], /--interval: .*7m/],
      [['train', '--symbols', 'BTCUSDT,ETHUSDT', '--interval', '1h', '--from', '2024-01-01'], /missing --to \(or --live/],
      [['train', '--symbols', 'BTCUSDT,ETHUSDT', '--interval', '1h', '--from', '2024-01-01', '--to', '2024-03-01', '--arch', 'lstm'], /--arch: /],
      [['train', '--symbols', 'BTCUSDT,ETHUSDT', '--interval', '1h', '--from', '2024-01-01', '--to', '2024-03-01', '--epochs', 'many'], /--epochs: /],
      [['train', '--symbols', 'BTCUSDT,ETHUSDT', '--interval', '1h', '--from', '2024-01-01', '--to', '2024-03-01', '--threshold', '0.5', '--top-k', '2'], /threshold or by top_k/],
      // Too short for window + horizon + a 70/15/15 split: refused by the manager before anything loads.
      [['train', '--symbols', SYMBOLS.slice(0, 2).join(','), '--interval', '1h', '--from', iso(FROM), '--to', iso(FROM + 100 * HOUR)], /too short/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args, 60_000);
      assert.equal(run.code, 2, `${args.join(' ')}\n${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.match(run.stderr, /Usage: streamforge train/);
    }
    const models = await cli(['models', '--format', 'json'], 60_000);
    assert.equal(models.code, 0, models.stderr);
    assert.deepEqual(ModelListBody.parse(JSON.parse(models.stdout)).models, []);
  });

  it('loads what the universe lacks, trains, prints one TrainResult and stores a model that models and predict find', async () => {
    // Part of the universe is there already (backfill takes a comma-separated list): the workflow loads only the rest.
    const first = await cli(['backfill', SYMBOLS.slice(0, 2).join(','), '--type', 'api_candles_1h', '--from', iso(FROM), '--to', iso(TO), '--no-progress']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.match(/^completed /gm)?.length, 2, first.stdout);

    const run = await train(['--json', '--no-progress']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object');
    const result = TrainResult.parse(JSON.parse(lines[0] ?? ''));
    assert.deepEqual(result.symbols, SYMBOLS);
    assert.equal(result.interval, '1h');
    assert.equal(result.horizon, 1);
    assert.equal(result.backend, 'wasm');
    // Time-ordered parts: train before val before test, inside the range.
    assert.ok(result.split.train.to_ms <= result.split.val.from_ms && result.split.val.to_ms <= result.split.test.from_ms);
    assert.ok(result.split.train.from_ms >= FROM && result.split.test.to_ms <= TO);
    for (const k of ['gnn', 'mlp', 'logistic', 'majority'] as const) {
      assert.ok(Number.isFinite(result.metrics[k].log_loss), `${k} log loss is finite`);
      assert.ok(result.metrics[k].accuracy > 0 && result.metrics[k].accuracy <= 1);
    }
    assert.ok(result.metrics.gnn.accuracy > result.metrics.majority.accuracy, 'the network learned the planted structure');
    assert.match(run.stderr, /started wf-multi-gnn_train-\d{8}-[0-9a-f]{6}/);

    // The model's files under the data dir, and the registry that lists it.
    const files = await readdir(join(dataDir, 'models', result.model.id));
    assert.deepEqual(files.sort(), ['metadata.json', 'model.json', 'weights.bin']);
    const listed = ModelListBody.parse(JSON.parse((await cli(['models', '--format', 'json'], 60_000)).stdout)).models;
    assert.deepEqual(listed.map((m) => m.id), [result.model.id]);
    assert.equal(listed[0]?.promoted, result.model.promoted);
    assert.deepEqual(listed[0]?.metrics, result.metrics);

    const at = iso(result.split.test.from_ms + 10 * HOUR);
    const predicted = await cli(['predict', '--model', result.model.id, '--at', at, '--format', 'json'], 120_000);
    assert.equal(predicted.code, 0, predicted.stderr);
    const body = PredictionBody.parse(JSON.parse(predicted.stdout));
    assert.deepEqual(body.predictions.map((p) => p.symbol), SYMBOLS);
    for (const p of body.predictions) assert.ok(Math.abs(p.probabilities.UP + p.probabilities.DOWN + p.probabilities.FLAT - 1) < 1e-4);

    // The table form: the same model and its scores beside the baselines.
    const table = await train(['--no-progress']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^model \S+ \((promoted|not promoted: it does not beat its baselines)\) at file:\/\//m);
    for (const k of ['gnn', 'mlp', 'logistic', 'majority']) assert.match(table.stdout, new RegExp(`^ {4}${k} +accuracy 0\\.\\d{4} +macro-F1 0\\.\\d{4} +log loss \\d+\\.\\d{4}$`, 'm'));
    // Same seed, same backend, same data: the same metrics.
    const again = ModelListBody.parse(JSON.parse((await cli(['models', '--format', 'json'], 60_000)).stdout)).models;
    assert.equal(again.length, 2);
    assert.deepEqual(again[0]?.metrics, result.metrics);
  });

  it('exits 1 with the exchange\'s message for a symbol the exchange does not list', async () => {
    const run = await cli(['train', '--symbols', `${SYMBOLS[0] ?? ''},NOSUCHUSDT`, '--interval', '1h', '--from', iso(FROM), '--to', iso(TO), '--no-progress'], 300_000);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /NOSUCHUSDT/);
    assert.match(run.stderr, /Invalid symbol|unknown symbol/i);
  });
});
