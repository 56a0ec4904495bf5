import { ModelListBody, ModelMetadata } from '../../protocol/index.ts';
import type { ModelScore } from '../../protocol/index.ts';
import { createLogger } from '../observability/index.ts';
import { modelServiceFor } from '../query/index.ts';
import { z } from 'zod';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { oneOf, Text } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { assertOneSource, withLocalStore } from './local-store.ts';
import { notFoundAsUsage } from './not-found-as-usage.ts';
import { ServerApiClient } from './server-api-client.ts';

const USAGE = `Usage: streamforge models [<ID>|latest] [--format table|json] [--server URL] [--data-dir DIR]
  Lists the stored models, newest first: id, created, symbols, interval, horizon (candles ahead),
  graph network (gcn, gatv2), tfjs backend it was trained on, promoted or not, and the test-period
  accuracy / macro-F1 / log loss of the graph network beside its baselines (MLP, logistic regression,
  majority class). With an id (or latest: the newest promoted model), that model's metadata.
  --format json prints {models: […]} (GET /models), or the model's metadata (GET /models/{id}).
  Models are read from the object store (MINIO_ENDPOINT, else files under STREAMFORGE_DATA_DIR);
  --server URL asks a running StreamForge. An unknown id exits 2.`;

type ListedModel = ModelListBody['models'][number];

const ModelsArgs = z.object({
  positionals: z.array(z.string()).max(1, { error: (issue) => `one model id at most, got ${(issue.input as string[]).join(' ')}` }),
  values: z.object({ format: oneOf('format', ['table', 'json']), server: Text, 'data-dir': Text }),
});

/** `streamforge models`: the stored models, from the local stores or a server. */
export const modelsCommand = defineCommand({
  name: 'models',
  usage: USAGE,
  options: {
    format: { type: 'string', default: 'table' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: ModelsArgs,
  async run({ values, positionals }, io) {
    assertOneSource(values);
    const id = positionals[0];
    if (id !== undefined) {
      const model = await notFoundAsUsage(() => (values.server !== undefined ? remote(values.server, io).model(id) : local(values['data-dir'], io, (s) => s.get(id))));
      if (values.format === 'json') writeLine(io.out, JSON.stringify(model));
      else printModel(io, model);
      return 0;
    }
    const models = values.server !== undefined ? await remote(values.server, io).list() : await local(values['data-dir'], io, async (s) => (await s.list()).map(listed));
    if (values.format === 'json') writeLine(io.out, JSON.stringify({ models }));
    else printTable(io, models);
    return 0;
  },
});

function listed(m: ModelMetadata): ListedModel {
  const { history: _h, scaler: _s, ...rest } = m;
  return rest;
}

function remote(server: string, io: CliIo) {
  const client = new ServerApiClient(server, io.env.STREAMFORGE_API_TOKEN);
  return {
    list: async () => ModelListBody.parse(JSON.parse(await client.getText('/models'))).models,
    model: async (id: string) => ModelMetadata.parse(JSON.parse(await client.getText(`/models/${encodeURIComponent(id)}`))),
  };
}

function local<T>(dataDir: string | undefined, io: CliIo, use: (service: ReturnType<typeof modelServiceFor>) => Promise<T>): Promise<T> {
  return withLocalStore(dataDir, io, async (store, config) => {
    const service = modelServiceFor(config, store, createLogger(config));
    try {
      return await use(service);
    } finally {
      await service.close();
    }
  });
}

const score = (s: ModelScore): string => `${s.accuracy.toFixed(3)}/${s.macro_f1.toFixed(3)}/${s.log_loss.toFixed(3)}`;

function symbolsText(symbols: readonly string[]): string {
  return symbols.length <= 3 ? symbols.join(',') : `${symbols.slice(0, 3).join(',')},… (${symbols.length})`;
}

function printTable(io: CliIo, models: readonly ListedModel[]): void {
  if (models.length === 0) {
    writeLine(io.out, 'no stored model yet (train one: streamforge train …)');
    return;
  }
  const header = ['id', 'created', 'symbols', 'interval', 'horizon', 'arch', 'backend', 'promoted', 'gnn acc/F1/loss', 'mlp', 'logistic', 'majority'];
  const rows = models.map((m) => [
    m.id,
    m.created_at.slice(0, 16).replace('T', ' '),
    symbolsText(m.symbols),
    m.interval,
    String(m.horizon),
    m.hyperparameters.arch,
    m.backend,
    m.promoted ? 'yes' : 'no',
    score(m.metrics.gnn),
    score(m.metrics.mlp),
    score(m.metrics.logistic),
    score(m.metrics.majority),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  for (const row of [header, ...rows]) writeLine(io.out, row.map((cell, k) => cell.padEnd(widths[k] ?? 0)).join('  ').trimEnd());
}

function printModel(io: CliIo, m: ModelMetadata): void {
  const lines: Array<[string, string]> = [
    ['id', m.id],
    ['created', m.created_at],
    ['universe', `${m.universe}: ${m.symbols.join(',')}`],
    ['interval', `${m.interval}, horizon ${m.horizon}, window ${m.window}, edges ${m.edges.kind === 'top-k' ? `top-${m.edges.k}` : `|ρ| ≥ ${m.edges.threshold}`}`],
    ['model', `${m.hyperparameters.arch} (hidden ${m.hyperparameters.hidden}), trained on ${m.backend}, seed ${m.seed}, best epoch ${m.best_epoch}`],
    ['data', `${m.data.from} to ${m.data.to}`],
    ['test', `${m.split.test.from} to ${m.split.test.to} (${m.split.test.samples} snapshots)`],
    ['promoted', m.promoted ? 'yes' : 'no'],
    ...(['gnn', 'mlp', 'logistic', 'majority'] as const).map((k): [string, string] => [k, `accuracy ${m.metrics[k].accuracy.toFixed(4)}, macro-F1 ${m.metrics[k].macro_f1.toFixed(4)}, log loss ${m.metrics[k].log_loss.toFixed(4)}`]),
    ['uri', m.uri],
  ];
  for (const [key, value] of lines) writeLine(io.out, `${key.padEnd(9)} ${value}`);
}
