import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});

describe('retryPolicies', () => {
  it('names every policy in one frozen place, the exchange attempts taken from EXCHANGE_MAX_ATTEMPTS', () => {
    const policies = retryPolicies(loadConfig({}, { EXCHANGE_MAX_ATTEMPTS: '2' }));
    assert.deepEqual(policies.exchangeRequest.budget, { retries: 1 }, 'two attempts: the first and one retry');
    assert.deepEqual(policies.archiveDownload.budget, { retries: 1 }, 'an archive download gets 3 attempts, at most the exchange\'s');
    assert.deepEqual(retryPolicies(loadConfig({}, {})).archiveDownload.budget, { retries: 2 });
    assert.equal(policies.streamReconnect.budget, undefined, 'a live stream never gives up');
    assert.ok(Object.isFrozen(policies) && Object.isFrozen(policies.exchangeRequest) && Object.isFrozen(policies.exchangeRequest.budget));
    for (const [name, policy] of Object.entries(policies)) {
      const [base, cap] = 'baseMs' in policy ? [policy.baseMs, policy.capMs] : [policy.initialBackoffMs, policy.maxBackoffMs];
      assert.ok(base >= 0 && cap >= base, `${name}: 0 ≤ base ≤ cap`);
    }
  });
});
