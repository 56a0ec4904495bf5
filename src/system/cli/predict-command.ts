import { ACCEPTED_INSTANTS, ModelClasses, parseInstant, PredictionBody } from '../../protocol/index.ts';
import { createLogger } from '../observability/index.ts';
import { modelServiceFor } from '../query/index.ts';
import { z } from 'zod';
import { writeLine } from './cli-io.ts';
import { oneOf, Text } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { assertOneSource, withLocalStore } from './local-store.ts';
import { notFoundAsUsage } from './not-found-as-usage.ts';
import { ServerApiClient } from './server-api-client.ts';

const USAGE = `Usage: streamforge predict --at <date|ISO> [--model latest|ID] [--format table|json] [--server URL] [--data-dir DIR]
  Prints a stored model's forecast at a time: per symbol, one line with the class (UP, DOWN or FLAT,
  the model's horizon candles ahead) and the three probabilities. Only candles closed at or before
  --at are read: the snapshot of the last closed candle is built from the stored candles before it
  (its warm-up), normalised with the model's own scaler and fed to the model. --model latest (the
  default) is the newest promoted model. --format json prints {model, interval, horizon, at, at_ms,
  last_candle, last_candle_ms, predictions: [{symbol, class, probabilities: {UP, DOWN, FLAT}}]}.
  Exit 2 for an unknown model, an --at before the model's data plus its warm-up, or too few stored
  candles before --at (load them with streamforge backfill). --server URL asks a running StreamForge.`;

const PredictArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: (issue) => `unexpected ${JSON.stringify((issue.input as string[])[0])}: the model goes in --model` }),
  values: z.object({
    model: z.string(),
    at: z.string({ error: (issue) => (issue.input === undefined ? `missing --at (${ACCEPTED_INSTANTS})` : undefined) }).transform((text, ctx) => {
      const ms = parseInstant(text);
      if (ms !== undefined) return ms;
      ctx.addIssue({ code: 'custom', message: `invalid --at ${JSON.stringify(text)}; accepted: ${ACCEPTED_INSTANTS}` });
      return z.NEVER;
    }),
    format: oneOf('format', ['table', 'json']),
    server: Text,
    'data-dir': Text,
  }),
});

/** `streamforge predict`: a stored model's forecast at a time, from the local stores or a server. */
export const predictCommand = defineCommand({
  name: 'predict',
  usage: USAGE,
  options: {
    model: { type: 'string', default: 'latest' },
    at: { type: 'string' },
    format: { type: 'string', default: 'table' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: PredictArgs,
  async run({ values }, io) {
    assertOneSource(values);
    const { model, at: atMs } = values;
    const body = await notFoundAsUsage(async () => {
      if (values.server !== undefined) {
        const client = new ServerApiClient(values.server, io.env.STREAMFORGE_API_TOKEN);
        const q = new URLSearchParams({ at: new Date(atMs).toISOString() });
        return PredictionBody.parse(JSON.parse(await client.getText(`/models/${encodeURIComponent(model)}/predict?${q.toString()}`)));
      }
      return withLocalStore(values['data-dir'], io, async (store, config) => {
        const service = modelServiceFor(config, store, createLogger(config));
        try {
          return await service.predict(model, atMs);
        } finally {
          await service.close();
        }
      });
    });
    if (values.format === 'json') {
      writeLine(io.out, JSON.stringify(body));
      return 0;
    }
    writeLine(io.err, `predict: model ${body.model}, ${body.interval}, ${body.horizon} candle${body.horizon === 1 ? '' : 's'} after the candle opening ${body.last_candle}`);
    const width = Math.max(...body.predictions.map((p) => p.symbol.length)) + 2;
    for (const p of body.predictions) {
      writeLine(io.out, `${p.symbol.padEnd(width)}${p.class.padEnd(6)}${ModelClasses.map((c) => `${c} ${p.probabilities[c].toFixed(4)}`).join('  ')}`);
    }
    return 0;
  },
});
