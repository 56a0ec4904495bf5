// A private Kafka broker with a SASL_SSL listener (SCRAM-SHA-512 over TLS), for tests of the bus's
// security settings. Throwaway CA and broker certificate are generated into a temp dir by
// scripts/kafka/test-certs.sh; the SCRAM user is created when kafka-up.sh formats the storage.
// The broker keeps a PLAINTEXT listener on its main port for kafka-up.sh's readiness probe and
// inter-broker traffic; clients under test use only the SASL_SSL one.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePortPair, kafkaDown, runScript } from './private-broker.ts';

const KAFKA_UP = fileURLToPath(new URL('../../scripts/kafka/kafka-up.sh', import.meta.url));
const TEST_CERTS = fileURLToPath(new URL('../../scripts/kafka/test-certs.sh', import.meta.url));

export interface SecureBroker {
  /** host:port of the SASL_SSL listener. */
  readonly bootstrap: string;
  /** host:port of the PLAINTEXT listener (readiness probe, inter-broker). */
  readonly plaintextBootstrap: string;
  /** PEM of the throwaway CA that signed the broker certificate. */
  readonly caPath: string;
  readonly user: string;
  readonly password: string;
  /** Stops the broker, removes its data and the temp dir with the key material. Never throws. */
  readonly stop: () => Promise<void>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function freePortOutside(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(port) && (await canListen(port))) return port;
  }
  throw new Error('no free loopback port for the SASL_SSL listener');
}

export async function startSecureBroker(user = 'streamforge'): Promise<SecureBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-kafka-tls-'));
  const certs = join(dir, 'certs');
  let port: number | undefined;
  const stop = async (): Promise<void> => {
    if (port !== undefined) await kafkaDown(port).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await promisify(execFile)('bash', [TEST_CERTS, certs]);
    port = await freePortPair();
    const securePort = await freePortOutside([port, port + 1]);
    const password = randomBytes(18).toString('base64url');
    const config = [
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1},SASL_SSL://127.0.0.1:${securePort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${securePort}`,
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.ssl.keystore.type=PEM',
      `listener.name.sasl_ssl.ssl.keystore.location=${join(certs, 'broker.pem')}`,
      'listener.name.sasl_ssl.ssl.client.auth=none',
    ].join('\n');
    const result = await runScript(KAFKA_UP, {
      KAFKA_PORT: String(port),
      KAFKA_OWNER_PID: String(process.pid),
      KAFKA_EXTRA_CONFIG: config,
      KAFKA_FORMAT_ARGS: ['--add-scram', `SCRAM-SHA-512=[name=${user},password=${password}]`].join('\n'),
    });
    const line = result.stdout.split('\n').find((l) => l.startsWith('KAFKA_BOOTSTRAP_SERVERS='));
    if (result.code !== 0 || line === undefined) {
      throw new Error(`kafka-up with a SASL_SSL listener on ${port}/${securePort} failed:\n${result.stderr.slice(-4000)}`);
    }
    return {
      bootstrap: `127.0.0.1:${securePort}`,
      plaintextBootstrap: line.slice('KAFKA_BOOTSTRAP_SERVERS='.length).trim(),
      caPath: join(certs, 'ca.pem'),
      user,
      password,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
