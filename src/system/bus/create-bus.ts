import type { Bus, Logger } from '../../actors/index.ts';
import type { Config } from '../config/index.ts';
import { EmbeddedBus } from './embedded-bus.ts';
import { KafkaBus } from './kafka-bus.ts';
import { kafkaConnectionOptions } from './kafka-connection-options.ts';

/** The bus this configuration asks for: Kafka when `KAFKA_BOOTSTRAP_SERVERS` is set, else the embedded log in the data dir. */
export function createBus(config: Config, logger?: Logger): Bus {
  if (config.KAFKA_BOOTSTRAP_SERVERS !== undefined) {
    return new KafkaBus({
      ...kafkaConnectionOptions({ ...config, KAFKA_BOOTSTRAP_SERVERS: config.KAFKA_BOOTSTRAP_SERVERS }),
      clientId: `streamforge-${config.ROLE}`,
      defaultPartitions: config.KAFKA_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      topicReadyTimeoutMs: config.KAFKA_TOPIC_READY_TIMEOUT_MS,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
      ...(logger !== undefined ? { logger: logger.child({ component: 'kafka-bus' }) } : {}),
    });
  }
  return new EmbeddedBus({
    dataDir: config.STREAMFORGE_DATA_DIR,
    defaultPartitions: config.KAFKA_PARTITIONS,
    pollIntervalMs: config.STREAMFORGE_BUS_POLL_MS,
    retentionMs: config.STREAMFORGE_BUS_RETENTION_MS,
    retentionCheckMs: config.STREAMFORGE_BUS_RETENTION_CHECK_MS,
    synchronous: config.STREAMFORGE_SQLITE_SYNCHRONOUS,
    ...(logger !== undefined ? { logger: logger.child({ component: 'embedded-bus' }) } : {}),
  });
}
