import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { ConfigError } from '../../protocol/index.ts';

export const KafkaSaslMechanisms = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KafkaSaslMechanisms)[number];

/** The slice of the runtime config that says how to reach Kafka (the original services' env names). */
export interface KafkaConnectionInput {
  /** Comma-separated `host:port` list. */
  readonly KAFKA_BOOTSTRAP_SERVERS: string;
  readonly KAFKA_USER?: string | undefined;
  readonly KAFKA_PASSWORD?: string | undefined;
  /** @defaultValue 'scram-sha-512' */
  readonly KAFKA_SASL_MECHANISM?: KafkaSaslMechanism | undefined;
  /** PEM file of the CA that signed the brokers' certificates. */
  readonly CA_PATH?: string | undefined;
}

/** What kafkajs needs to open a connection; spread it into the KafkaBus options. */
export interface KafkaConnectionOptions {
  readonly brokers: string[];
  readonly ssl?: ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
}

/**
 * Derives brokers, TLS and SASL from config, reporting every violation in one ConfigError.
 *
 * - `CA_PATH` set: TLS, trusting that CA (and verifying the broker's certificate).
 * - `KAFKA_USER` + `KAFKA_PASSWORD` without `CA_PATH`: still TLS, trusting the system CAs.
 *   Credentials never travel over plaintext by our default: PLAIN would send the password in
 *   clear and SCRAM would leave the session unencrypted. Managed Kafka offerings (MSK, Confluent,
 *   Aiven, Strimzi's TLS listener) present publicly trusted certificates, so this just works there.
 *   A SASL_PLAINTEXT listener would need a new explicit opt-out setting.
 * - Neither: plaintext, as the local development broker expects.
 *
 * Only `readCa` touches the outside world, so tests can hand in a file's content.
 */
export function kafkaConnectionOptions(
  input: KafkaConnectionInput,
  readCa: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaConnectionOptions {
  const problems: string[] = [];
  const brokers = input.KAFKA_BOOTSTRAP_SERVERS.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) problems.push('KAFKA_BOOTSTRAP_SERVERS: no broker address given');
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(b)) {
      problems.push(`KAFKA_BOOTSTRAP_SERVERS: "${b}" is not host:port`);
    }
  }

  const user = input.KAFKA_USER;
  const password = input.KAFKA_PASSWORD;
  if (user !== undefined && password === undefined) problems.push('KAFKA_PASSWORD: required when KAFKA_USER is set');
  if (password !== undefined && user === undefined) problems.push('KAFKA_USER: required when KAFKA_PASSWORD is set');
  const mechanism = input.KAFKA_SASL_MECHANISM ?? 'scram-sha-512';
  if (!KafkaSaslMechanisms.includes(mechanism)) {
    problems.push(`KAFKA_SASL_MECHANISM: "${String(mechanism)}" is not one of ${KafkaSaslMechanisms.join(', ')}`);
  }

  let ca: string | undefined;
  if (input.CA_PATH !== undefined) {
    try {
      ca = readCa(input.CA_PATH);
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) problems.push(`CA_PATH: ${input.CA_PATH} holds no PEM certificate`);
    } catch (err) {
      problems.push(`CA_PATH: cannot read ${input.CA_PATH} (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  if (problems.length > 0) throw new ConfigError(`invalid Kafka connection settings:\n${problems.map((p) => `  ✖ ${p}`).join('\n')}`);

  const sasl: SASLOptions | undefined =
    user !== undefined && password !== undefined ? { mechanism, username: user, password } : undefined;
  const ssl: ConnectionOptions | boolean | undefined =
    ca !== undefined ? { ca: [ca], rejectUnauthorized: true } : sasl !== undefined ? true : undefined;
  return {
    brokers,
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl !== undefined ? { sasl } : {}),
  };
}
