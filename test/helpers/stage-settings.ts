import type { StageSettings, WebSocketConnector } from '../../src/actors/index.ts';
import { loadConfig, retryPolicies } from '../../src/system/config/index.ts';
import type { RetryPolicies } from '../../src/system/config/index.ts';

/** The configuration's named retry and restart policies with every default (no environment read). */
export const defaultPolicies: RetryPolicies = retryPolicies(loadConfig({}, {}));

/**
 * Stage settings for a test that runs one stage on its own ports: the contract's topic names,
 * exchange URLs nobody answers on, every progress report sent at once, the default retry policies
 * with `exchangeMaxAttempts` (4 unless given) attempts per exchange request. Override what the test uses.
 */
export function testStageSettings(overrides: Partial<StageSettings> & { readonly exchangeMaxAttempts?: number } = {}): StageSettings {
  const { exchangeMaxAttempts = 4, ...rest } = overrides;
  return {
    controlTopic: 'queue-control',
    eventsTopic: 'queue-events',
    binanceApiUrl: 'http://127.0.0.1:1',
    binanceWsUrl: 'ws://127.0.0.1:1',
    binanceArchiveUrl: 'http://127.0.0.1:1',
    retry: retryPolicies({ EXCHANGE_MAX_ATTEMPTS: exchangeMaxAttempts }),
    exchangeWeightTarget: 0.97,
    connectorBatchSize: 1000,
    progressIntervalMs: 0,
    ...rest,
  };
}

/** The WebSocket port of a stage that must open none: a call fails the test with who called it. */
export function noWebSockets(stage: string): WebSocketConnector {
  return {
    connect: () => {
      throw new Error(`the ${stage} opens no WebSocket`);
    },
  };
}
