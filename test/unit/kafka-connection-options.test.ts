import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/protocol/index.ts';
import { byteSlices, kafkaConnectionOptions, KafkaBus, retriesWithin } from '../../src/system/bus/index.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function configErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('expected a ConfigError');
}

void describe('kafkaConnectionOptions', () => {
  let dir: string;
  let caPath: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-kafka-conn-'));
    caPath = join(dir, 'ca.pem');
    await writeFile(caPath, PEM);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  void it('is plaintext without credentials or CA, and splits the broker list', () => {
    assert.deepEqual(kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: ' kafka-0:9092, kafka-1:9092 ,' }), {
      brokers: ['kafka-0:9092', 'kafka-1:9092'],
    });
  });

  void it('uses SASL with the configured mechanism and TLS with the CA file when both are set', () => {
    const opts = kafkaConnectionOptions({
      KAFKA_BOOTSTRAP_SERVERS: 'kafka:9093',
      KAFKA_USER: 'streamforge',
      KAFKA_PASSWORD: 's3cret',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      CA_PATH: caPath,
    });
    assert.deepEqual(opts, {
      brokers: ['kafka:9093'],
      sasl: { mechanism: 'scram-sha-256', username: 'streamforge', password: 's3cret' },
      ssl: { ca: [PEM], rejectUnauthorized: true },
    });
  });

  void it('defaults to SCRAM-SHA-512 and still uses TLS (system CAs) for SASL without a CA file', () => {
    const opts = kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9093', KAFKA_USER: 'u', KAFKA_PASSWORD: 'p' });
    assert.deepEqual(opts, { brokers: ['kafka:9093'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' }, ssl: true });
  });

  void it('supports PLAIN', () => {
    const opts = kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9093', KAFKA_USER: 'u', KAFKA_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'plain' });
    assert.equal(opts.sasl?.mechanism, 'plain');
  });

  void it('uses TLS without SASL when only a CA file is given', () => {
    const opts = kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9093', CA_PATH: caPath }, () => PEM);
    assert.deepEqual(opts, { brokers: ['kafka:9093'], ssl: { ca: [PEM], rejectUnauthorized: true } });
  });

  void it('reports every problem in one ConfigError', () => {
    const message = configErrorMessage(() =>
      kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: 'no-port', KAFKA_USER: 'u', CA_PATH: join(dir, 'missing.pem') }),
    );
    assert.match(message, /"no-port" is not host:port/);
    assert.match(message, /KAFKA_PASSWORD: required when KAFKA_USER is set/);
    assert.match(message, /CA_PATH: cannot read/);
  });

  void it('rejects a password without a user, an empty broker list and a CA file that holds no certificate', () => {
    const message = configErrorMessage(() =>
      kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: ' , ', KAFKA_PASSWORD: 'p', CA_PATH: '/etc/ca.pem' }, () => 'not a pem'),
    );
    assert.match(message, /KAFKA_USER: required when KAFKA_PASSWORD is set/);
    assert.match(message, /no broker address given/);
    assert.match(message, /holds no PEM certificate/);
  });

  void it('never puts the password into the error message', () => {
    const message = configErrorMessage(() => kafkaConnectionOptions({ KAFKA_BOOTSTRAP_SERVERS: 'bad', KAFKA_PASSWORD: 'hunter2' }));
    assert.doesNotMatch(message, /hunter2/);
  });
});

void describe('KafkaBus options', () => {
  void it('rejects maxInFlightRequests outside 1..5 and marks that are not ordered', () => {
    assert.throws(() => new KafkaBus({ brokers: ['127.0.0.1:1'], maxInFlightRequests: 6 }), /maxInFlightRequests must be 1..5/);
    assert.throws(() => new KafkaBus({ brokers: ['127.0.0.1:1'], highWaterMark: 10, lowWaterMark: 10 }), /lowWaterMark must be below/);
  });

  void it('bounds the producer retries by the produce timeout', () => {
    assert.equal(retriesWithin(1), 1);
    // 300 + 600 + 1200 + 2400 + 4800 = 9300 ms, then 5 s steps.
    assert.equal(retriesWithin(9_300), 5);
    assert.equal(retriesWithin(30_000), 10);
  });
});

void describe('byteSlices', () => {
  void it('keeps order and puts at most maxBytes of payload in each slice', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ key: 'BTCUSDT', value: 'x'.repeat(300 + (i % 7)) }));
    const slices = byteSlices(messages, 64 * 1024);
    assert.ok(slices.length > 1);
    assert.deepEqual(slices.flat(), messages);
    for (const s of slices) {
      const bytes = s.reduce((n, m) => n + m.value.length + (m.key?.length ?? 0) + 64, 0);
      assert.ok(bytes <= 64 * 1024, `slice of ${bytes} bytes`);
    }
    const huge = [{ key: null, value: 'y'.repeat(100_000) }];
    assert.deepEqual(byteSlices(huge, 1024), [huge]);
  });
});
