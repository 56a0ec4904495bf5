import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackoffPolicy, SupervisionPolicy } from '../../src/actors/index.ts';
import { ConfigError, ErrorCodes } from '../../src/protocol/index.ts';
import { loadConfig, retryPolicies } from '../../src/system/config/index.ts';

describe('loadConfig', () => {
  it('reads the live-stream and archive settings with their defaults', () => {
    const config = loadConfig({}, {});
    assert.equal(config.BINANCE_WS_URL, 'wss://stream.binance.com:9443');
    assert.equal(config.BINANCE_ARCHIVE_URL, 'https://data.binance.vision');
    assert.equal(config.WS_ROTATE_MS, 23 * 3_600_000);
    assert.equal(config.CONNECTOR_POOL, false);
    assert.equal(loadConfig({}, { CONNECTOR_POOL: 'true' }).CONNECTOR_POOL, true);
    assert.ok(Object.isFrozen(config));
  });

  it('refuses a rotation at or past 24 h (Binance drops the connection first; Node timers overflow past 2^31 ms)', () => {
    for (const value of ['86400000', '3000000000']) {
      assert.throws(() => loadConfig({}, { WS_ROTATE_MS: value }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, ErrorCodes.CONFIG_INVALID);
        assert.match(err.message, /WS_ROTATE_MS must be below 24 h/);
        return true;
      });
    }
  });

  it('reports every invalid setting at once, naming what is accepted', () => {
    assert.throws(
      () => loadConfig({}, { BINANCE_WS_URL: 'http://example.com', BINANCE_ARCHIVE_URL: 'ftp://example.com', CONNECTOR_POOL: 'maybe' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['BINANCE_WS_URL', 'BINANCE_ARCHIVE_URL', 'CONNECTOR_POOL']) assert.match(err.message, new RegExp(name));
        return true;
      },
    );
  });

  it('wants https and wss for the exchange beyond loopback, unless STREAMFORGE_ALLOW_INSECURE_EXCHANGE=true', () => {
    const insecure = { BINANCE_API_URL: 'http://api.example.com', BINANCE_WS_URL: 'ws://10.1.2.3:9443', BINANCE_ARCHIVE_URL: 'http://127.evil.example' };
    assert.throws(
      () => loadConfig({}, insecure),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /BINANCE_API_URL must use https:\/\/ \(got http:\/\/api\.example\.com\)/);
        assert.match(err.message, /BINANCE_WS_URL must use wss:\/\/ \(got ws:\/\/10\.1\.2\.3:9443\)/);
        assert.match(err.message, /BINANCE_ARCHIVE_URL must use https:\/\//, 'a name that merely starts with 127 is no loopback address');
        assert.match(err.message, /STREAMFORGE_ALLOW_INSECURE_EXCHANGE=true/);
        return true;
      },
    );
    const allowed = loadConfig({}, { ...insecure, STREAMFORGE_ALLOW_INSECURE_EXCHANGE: 'true' });
    assert.equal(allowed.BINANCE_API_URL, 'http://api.example.com');
    // The simulator every test and the demo use: plain http and ws to loopback need no flag.
    for (const host of ['127.0.0.1:8080', '127.8.9.10', 'localhost:1234', '[::1]:99']) {
      const c = loadConfig({}, { BINANCE_API_URL: `http://${host}`, BINANCE_WS_URL: `ws://${host}`, BINANCE_ARCHIVE_URL: `http://${host}` });
      assert.equal(c.BINANCE_WS_URL, `ws://${host}`);
    }
    assert.equal(loadConfig({}, {}).STREAMFORGE_ALLOW_INSECURE_EXCHANGE, false);
  });

  it('bounds archive downloads by default: 256 MiB zipped, 1 GiB unzipped', () => {
    const c = loadConfig({}, {});
    assert.deepEqual([c.ARCHIVE_MAX_DOWNLOAD_BYTES, c.ARCHIVE_MAX_UNZIPPED_BYTES], [268_435_456, 1_073_741_824]);
    assert.throws(() => loadConfig({}, { ARCHIVE_MAX_UNZIPPED_BYTES: '0' }), /ARCHIVE_MAX_UNZIPPED_BYTES/);
  });

  it('reads the HTTP settings: loopback by default, limits and timeouts, and refuses headers that may take longer than the request', () => {
    const c = loadConfig({}, {});
    assert.equal(c.HOST, '127.0.0.1');
    assert.deepEqual(
      [c.HTTP_BODY_LIMIT_BYTES, c.HTTP_HEADERS_TIMEOUT_MS, c.HTTP_REQUEST_TIMEOUT_MS, c.HTTP_KEEP_ALIVE_TIMEOUT_MS, c.HTTP_MAX_CONNECTIONS, c.API_RATE_LIMIT_PER_MINUTE, c.MAX_ACTIVE_WORKFLOWS],
      [1_048_576, 30_000, 60_000, 5_000, 1_024, 60, 100],
    );
    assert.equal(c.STREAMFORGE_INSECURE_NO_AUTH, false);
    assert.equal(c.METRICS_REQUIRE_TOKEN, false);
    assert.deepEqual(loadConfig({}, { HTTP_ALLOWED_HOSTS: ' API.example.com, ,sf.internal ' }).HTTP_ALLOWED_HOSTS, ['api.example.com', 'sf.internal']);
    assert.throws(
      () => loadConfig({}, { HTTP_HEADERS_TIMEOUT_MS: '90000', HTTP_MAX_CONNECTIONS: '0' }),
      (err: unknown) => err instanceof ConfigError && /HTTP_HEADERS_TIMEOUT_MS \(90000\) must not exceed HTTP_REQUEST_TIMEOUT_MS/.test(err.message) && /HTTP_MAX_CONNECTIONS/.test(err.message),
    );
  });
});

describe('retryPolicies', () => {
  it('names every policy in one frozen place, the exchange attempts taken from EXCHANGE_MAX_ATTEMPTS', () => {
    const policies = retryPolicies(loadConfig({}, { EXCHANGE_MAX_ATTEMPTS: '2' }));
    assert.deepEqual(policies.exchangeRequest.budget, { retries: 1 }, 'two attempts: the first and one retry');
    assert.deepEqual(policies.archiveDownload.budget, { retries: 1 }, 'an archive download gets 3 attempts, at most the exchange\'s');
    assert.deepEqual(retryPolicies(loadConfig({}, {})).archiveDownload.budget, { retries: 2 });
    assert.equal(policies.streamReconnect.budget, undefined, 'a live stream never gives up');
    assert.ok(Object.isFrozen(policies) && Object.isFrozen(policies.exchangeRequest) && Object.isFrozen(policies.exchangeRequest.budget));
    for (const [name, policy] of Object.entries(policies) as Array<[string, BackoffPolicy | SupervisionPolicy]>) {
      const [base, cap] = 'baseMs' in policy ? [policy.baseMs, policy.capMs] : [policy.initialBackoffMs, policy.maxBackoffMs];
      assert.ok(base >= 0 && cap >= base, `${name}: 0 ≤ base ≤ cap`);
    }
  });
});
