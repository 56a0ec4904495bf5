import type { Bus } from '../../actors/index.ts';
import type { Config } from '../config/index.ts';
import { EmbeddedBus } from './embedded-bus.ts';

/** The bus this configuration asks for: Kafka when `KAFKA_BOOTSTRAP_SERVERS` is set, else the embedded log in the data dir. */
export function createBus(config: Config): Bus {
  return new EmbeddedBus({
    dataDir: config.STREAMFORGE_DATA_DIR,
    defaultPartitions: config.KAFKA_PARTITIONS,
    pollIntervalMs: config.STREAMFORGE_BUS_POLL_MS,
  });
}
