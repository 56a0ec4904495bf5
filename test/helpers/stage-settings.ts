import type { StageSettings, WebSocketConnector } from '../../src/actors/index.ts';

/**
 * Stage settings for a test that runs one stage on its own ports: the contract's topic names,
 * exchange URLs nobody answers on, every progress report sent at once. Override what the test uses.
 */
export function testStageSettings(overrides: Partial<StageSettings> = {}): StageSettings {
  return {
    controlTopic: 'queue-control',
    eventsTopic: 'queue-events',
    binanceApiUrl: 'http://127.0.0.1:1',
    binanceWsUrl: 'ws://127.0.0.1:1',
    binanceArchiveUrl: 'http://127.0.0.1:1',
    exchangeMaxAttempts: 4,
    exchangeWeightTarget: 0.97,
    connectorBatchSize: 1000,
    progressIntervalMs: 0,
    ...overrides,
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
