import { randomBytes } from 'node:crypto';
import { parseJsonOrUndefined, TelemetryEvent, unixSeconds } from '../../protocol/index.ts';
import type { PingCommand, StopCommand } from '../../protocol/index.ts';
import { createBus } from '../bus/index.ts';
import { loadConfig } from '../config/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli } from './cli-args.ts';
import { UsageError } from './usage-error.ts';

export const PING_USAGE = `Usage: streamforge ping --queue-id X [--expect-pong] [--repeat N] [--timeout-ms 5000]
  Sends the contract's ping on queue-control and prints each pong's round-trip time (bus from the environment).`;
export const STOP_USAGE = `Usage: streamforge stop --queue-id X
  Sends the contract's stop on queue-control: every stage of the workflow reports interrupted and exits.`;


/** `streamforge ping`: the original debug producer's ping, with round-trip times. Exit 1 with --expect-pong when a ping got no pong. */
export async function pingCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, {
    'queue-id': { type: 'string' },
    'expect-pong': { type: 'boolean' },
    repeat: { type: 'string', default: '1' },
    'timeout-ms': { type: 'string', default: '5000' },
  });
  const queueId = values['queue-id'];
  if (!queueId) throw new UsageError('missing --queue-id');
  const repeat = Number(values.repeat);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`invalid --repeat ${JSON.stringify(values.repeat)}; accepted: a whole number >= 1`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`invalid --timeout-ms ${JSON.stringify(values['timeout-ms'])}; accepted: milliseconds > 0`);
  const config = loadConfig({}, io.env, { LOG_LEVEL: 'warn' });
  const bus = createBus(config);
  const pongs = new Map<number, (event: TelemetryEvent) => void>();
  try {
    await bus.ensureTopics([{ name: config.QUEUE_CONTROL_TOPIC }, { name: config.QUEUE_EVENTS_TOPIC }]);
    const sub = await bus.subscribe({
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
    });
    let missing = 0;
    for (let i = 0; i < repeat; i++) {
      const sentAt = unixSeconds(Date.now()) + i / 1e6;
      const started = performance.now();
      const answered = new Promise<TelemetryEvent | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        pongs.set(sentAt, (e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
      const ping: PingCommand = { command: 'ping', queue_id: queueId, sent_at: sentAt };
      await bus.produce(config.QUEUE_CONTROL_TOPIC, [{ key: queueId, value: JSON.stringify(ping) }]);
      const pong = await answered;
      pongs.delete(sentAt);
      if (pong) writeLine(io.out, `pong from ${pong.producer} for ${queueId}: rtt=${(performance.now() - started).toFixed(1)} ms`);
      else {
        missing++;
        writeLine(io.out, `no pong for ${queueId} within ${timeoutMs} ms`);
      }
    }
    await sub.close();
    return values['expect-pong'] && missing > 0 ? 1 : 0;
  } finally {
    await bus.close();
  }
}

/** `streamforge stop`: the contract's stop command for one workflow. */
export async function stopCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, { 'queue-id': { type: 'string' } });
  const queueId = values['queue-id'];
  if (!queueId) throw new UsageError('missing --queue-id');
  const config = loadConfig({}, io.env, { LOG_LEVEL: 'warn' });
  const bus = createBus(config);
  try {
    await bus.ensureTopics([{ name: config.QUEUE_CONTROL_TOPIC }]);
    const stop: StopCommand = { command: 'stop', queue_id: queueId, timestamp: unixSeconds(Date.now()) };
    await bus.produce(config.QUEUE_CONTROL_TOPIC, [{ key: queueId, value: JSON.stringify(stop) }]);
    writeLine(io.out, `stop sent to ${queueId} on ${config.QUEUE_CONTROL_TOPIC}`);
    return 0;
  } finally {
    await bus.close();
  }
}
