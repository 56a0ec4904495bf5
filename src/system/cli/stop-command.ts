import { z } from 'zod';
import { unixSeconds } from '../../protocol/index.ts';
import type { StopCommand } from '../../protocol/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import { writeLine } from './cli-io.ts';
import { defineCommand } from './command.ts';

export const STOP_USAGE = `Usage: streamforge stop --queue-id X
  Sends the contract's stop on queue-control: every stage of the workflow reports interrupted and exits.`;

const StopArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: 'stop takes no positional arguments' }),
  values: z.object({ 'queue-id': z.string({ error: 'missing --queue-id' }) }),
});

/** `streamforge stop`: the contract's stop command for one workflow. */
export const stopCommand = defineCommand({
  name: 'stop',
  usage: STOP_USAGE,
  options: { 'queue-id': { type: 'string' } },
  schema: StopArgs,
  async run({ values }, io) {
    const queueId = values['queue-id'];
    const config = loadConfig({}, io.env, ONE_SHOT_DEFAULTS);
    const { createRuntime } = await import('../runtime.ts');
    const runtime = createRuntime(config, {}, { manager: false });
    try {
      await runtime.bus.ensureTopics([{ name: config.QUEUE_CONTROL_TOPIC }]);
      const stop: StopCommand = { command: 'stop', queue_id: queueId, timestamp: unixSeconds(runtime.clock.now()) };
      await runtime.bus.produce(config.QUEUE_CONTROL_TOPIC, [{ key: queueId, value: JSON.stringify(stop) }]);
      writeLine(io.out, `stop sent to ${queueId} on ${config.QUEUE_CONTROL_TOPIC}`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
});
