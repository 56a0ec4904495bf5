// KafkaBus over SASL_SSL (SCRAM-SHA-512 on TLS) against a real Kafka 4.3.1 broker, with the
// connection settings derived by kafkaConnectionOptions() from the same env names production uses.
// The broker, a throwaway CA and its certificate are private to this file and removed afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BusError } from '../../src/protocol/index.ts';
import { KafkaBus, kafkaConnectionOptions } from '../../src/system/bus/index.ts';
import type { KafkaConnectionInput } from '../../src/system/bus/index.ts';
import { busContract } from '../helpers/bus-contract.ts';
import { uniqueName } from '../helpers/kafka-broker.ts';
import { startSecureBroker } from '../helpers/secure-broker.ts';
import type { SecureBroker } from '../helpers/secure-broker.ts';

let broker: SecureBroker | undefined;
before(async () => {
  broker = await startSecureBroker();
});
after(async () => {
  await broker?.stop();
  broker = undefined;
});

function started(): SecureBroker {
  assert.ok(broker, 'the SASL_SSL broker did not start (see the before hook)');
  return broker;
}

/** What an operator would configure: user, password, mechanism and the CA file. */
function settings(overrides: Partial<KafkaConnectionInput> = {}): KafkaConnectionInput {
  const b = started();
  return {
    KAFKA_BOOTSTRAP_SERVERS: b.bootstrap,
    KAFKA_USER: b.user,
    KAFKA_PASSWORD: b.password,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    CA_PATH: b.caPath,
    ...overrides,
  };
}

function secureBus(input: KafkaConnectionInput): KafkaBus {
  return new KafkaBus({ ...kafkaConnectionOptions(input), clientId: uniqueName('sf-it-kafka-secure') });
}

busContract('kafka over SASL_SSL (SCRAM-SHA-512)', () => {
  const bus = secureBus(settings());
  return Promise.resolve({ bus, cleanup: () => bus.close() });
});

/** Runs `call` on a fresh bus and returns its rejection and how long it took; the bus is closed in bounded time. */
async function failure(input: KafkaConnectionInput, limitMs: number): Promise<{ err: BusError; ms: number }> {
  const bus = secureBus(input);
  const startedAt = Date.now();
  try {
    const outcome = await Promise.race([
      bus.ensureTopics([{ name: uniqueName('sf-it-secure-neg'), partitions: 1 }]).then(
        () => assert.fail('ensureTopics succeeded; expected the connection to be refused'),
        (err: unknown) => err,
      ),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no rejection within ${limitMs} ms`)), limitMs).unref()),
    ]);
    const ms = Date.now() - startedAt;
    assert.ok(outcome instanceof BusError, `expected a BusError, got ${String(outcome)}`);
    return { err: outcome, ms };
  } finally {
    const closing = Date.now();
    await bus.close();
    assert.ok(Date.now() - closing < 5_000, 'close() after a refused connection took over 5 s');
  }
}

describe('KafkaBus security settings against the SASL_SSL listener', { timeout: 60_000 }, () => {
  it('derives TLS with the given CA and SCRAM-SHA-512 from the config', () => {
    const options = kafkaConnectionOptions(settings());
    assert.deepEqual(options.brokers, [started().bootstrap]);
    assert.ok(typeof options.ssl === 'object' && options.ssl.rejectUnauthorized === true && Array.isArray(options.ssl.ca));
    assert.deepEqual(options.sasl, { mechanism: 'scram-sha-512', username: started().user, password: started().password });
  });

  it('rejects a wrong password at once with a non-retriable authentication BusError', async () => {
    const { err, ms } = await failure(settings({ KAFKA_PASSWORD: `${started().password}-wrong` }), 15_000);
    assert.match(err.message, /SASL SCRAM SHA512 authentication failed/);
    assert.match(err.message, /invalid credentials/);
    assert.equal(err.retriable, false);
    assert.ok(ms < 10_000, `took ${ms} ms`);
    assert.doesNotMatch(err.message, new RegExp(started().password), 'the error must not echo the password');
  });

  it('rejects a mechanism the listener does not enable with a clear BusError', async () => {
    const { err, ms } = await failure(settings({ KAFKA_SASL_MECHANISM: 'scram-sha-256' }), 15_000);
    assert.match(err.message, /^connect to Kafka: The broker does not support the requested SASL mechanism/);
    assert.equal(err.retriable, false);
    assert.ok(ms < 10_000, `took ${ms} ms`);
  });

  it('without CA_PATH (system CAs) fails TLS verification of the throwaway certificate, and says so', async () => {
    // kafkajs treats the TLS failure as a connection error and retries it (8 times, backoff to 5 s), so ~25 s.
    const { err, ms } = await failure(settings({ CA_PATH: undefined }), 45_000);
    assert.match(err.message, /^connect to Kafka: /);
    assert.match(err.message, /self-signed certificate in certificate chain/);
    assert.equal(err.retriable, false, 'a certificate that does not verify is a misconfiguration, not worth retrying');
    assert.ok(ms < 40_000, `took ${ms} ms`);
  });
});
