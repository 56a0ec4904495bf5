import { TelemetryEvent } from '../../src/protocol/index.ts';
import { failTestOnError } from './fail-test-on-error.ts';
import type { Bus, Subscription } from '../../src/actors/index.ts';

/** Appends every telemetry event on `topic` (from its beginning) to `into`, parsed by its schema. */
export async function recordTelemetry(bus: Bus, topic: string, into: TelemetryEvent[]): Promise<Subscription> {
  await bus.ensureTopics([{ name: topic }]);
  return bus.subscribe({
    groupId: `telemetry-recorder-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    topics: [topic],
    fromBeginning: true,
    handler: (batch) => {
      for (const m of batch) {
        const parsed = TelemetryEvent.safeParse(JSON.parse(m.value));
        if (parsed.success) into.push(parsed.data);
      }
      return Promise.resolve();
    },
    onError: failTestOnError('the telemetry recorder'),
  });
}
