import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseJsonOrUndefined, TelemetryEvent, unixSeconds } from '../../protocol/index.ts';
import type { PingCommand } from '../../protocol/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import { writeLine } from './cli-io.ts';
import { Flag, wholeNumber } from './cli-args.ts';
import { defineCommand } from './command.ts';

export const PING_USAGE = `Usage: streamforge ping --queue-id X [--expect-pong] [--repeat N] [--timeout-ms 5000]
  Sends the contract's ping on queue-control and prints each pong's round-trip time (bus from the environment).
  Exit 1 with --expect-pong when a ping got no pong.`;

const PingArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: 'ping takes no positional arguments' }),
  values: z.object({
    'queue-id': z.string({ error: 'missing --queue-id' }),
    'expect-pong': Flag,
    repeat: wholeNumber('repeat', 1).transform((n) => n ?? 1),
    'timeout-ms': wholeNumber('timeout-ms', 1).transform((n) => n ?? 5_000),
  }),
});

/** `streamforge ping`: the original debug producer's ping, with round-trip times. */
export const pingCommand = defineCommand({
  name: 'ping',
  usage: PING_USAGE,
  options: { 'queue-id': { type: 'string' }, 'expect-pong': { type: 'boolean' }, repeat: { type: 'string' }, 'timeout-ms': { type: 'string' } },
  schema: PingArgs,
  async run({ values }, io) {
    const queueId = values['queue-id'];
    const timeoutMs = values['timeout-ms'];
    const config = loadConfig({}, io.env, ONE_SHOT_DEFAULTS);
    const { createRuntime } = await import('../runtime.ts');
    const runtime = createRuntime(config, {}, { manager: false });
    const { bus, clock } = runtime;
    const pongs = new Map<number, (event: TelemetryEvent) => void>();
    // A subscription that stops ends the command with its reason instead of waiting for pongs that cannot come.
    let stopped: (err: unknown) => void = () => undefined;
    const subscriptionStopped = new Promise<never>((_, reject) => (stopped = reject));
    subscriptionStopped.catch(() => undefined);
    try {
      await bus.ensureTopics([{ name: config.QUEUE_CONTROL_TOPIC }, { name: config.QUEUE_EVENTS_TOPIC }]);
      await bus.subscribe({
        groupId: `streamforge-ping-${randomBytes(4).toString('hex')}`,
        topics: [config.QUEUE_EVENTS_TOPIC],
        fromBeginning: false,
        handler: (batch) => {
          for (const m of batch) {
            const event = TelemetryEvent.safeParse(parseJsonOrUndefined(m.value));
            if (event.success && event.data.status === 'pong' && event.data.queue_id === queueId && event.data.ping_ts !== undefined) {
              pongs.get(event.data.ping_ts)?.(event.data);
            }
          }
          return Promise.resolve();
        },
        onError: (err) => stopped(err),
      });
      let missing = 0;
      for (let i = 0; i < values.repeat; i++) {
        const sentAt = unixSeconds(clock.now()) + i / 1e6;
        const started = performance.now();
        const answered = new Promise<TelemetryEvent | undefined>((resolve) => {
          const timer = clock.setTimeout(() => resolve(undefined), timeoutMs);
          pongs.set(sentAt, (e) => {
            timer.cancel();
            resolve(e);
          });
        });
        const ping: PingCommand = { command: 'ping', queue_id: queueId, sent_at: sentAt };
        await bus.produce(config.QUEUE_CONTROL_TOPIC, [{ key: queueId, value: JSON.stringify(ping) }]);
        const pong = await Promise.race([answered, subscriptionStopped]);
        pongs.delete(sentAt);
        if (pong) writeLine(io.out, `pong from ${pong.producer} for ${queueId}: rtt=${(performance.now() - started).toFixed(1)} ms`);
        else {
          missing++;
          writeLine(io.out, `no pong for ${queueId} within ${timeoutMs} ms`);
        }
      }
      return values['expect-pong'] && missing > 0 ? 1 : 0;
    } finally {
      await runtime.close();
    }
  },
});
