import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExchangeError, ErrorCodes } from '../../src/protocol/index.ts';
import { createLogger, humanLogLine, statusBlockOf } from '../../src/system/observability/index.ts';
import { TextSink } from '../helpers/text-sink.ts';

function unreachable(): ExchangeError {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  return new ExchangeError(ErrorCodes.EXCHANGE_UNREACHABLE, 'cannot reach 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9', { retriable: true, cause: refused });
}

async function flushed(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('human log lines', () => {
  it('say a retry in one line: who, what, the error and its code, the attempt and when the next try comes', () => {
    const line = humanLogLine(
      { level: 40, time: 0, pid: 1, hostname: 'h', name: 'loader', actor: 'loader', msg: 'exchange request retried', endpoint: 'exchangeInfo', attempt: 2, delay_ms: 480, err: { message: 'cannot reach api.binance.com', code: 'SF_ERR_EXCHANGE_UNREACHABLE', stack: 'Error: x\n    at y' } },
      false,
    );
    assert.equal(line, 'warn  loader: exchange request retried endpoint=exchangeInfo: cannot reach api.binance.com [SF_ERR_EXCHANGE_UNREACHABLE] (attempt 2, next try in 0.5s)');
  });

  it('show the stack, indented under the line, only when asked (debug)', () => {
    const entry = { level: 50, msg: 'loader failed', err: { message: 'boom', stack: 'Error: boom\n    at here (file.ts:1:1)' } };
    assert.equal(humanLogLine(entry, false), 'error loader failed: boom');
    assert.equal(humanLogLine(entry, true), 'error loader failed: boom\n    Error: boom\n        at here (file.ts:1:1)');
  });
});

describe('createLogger', () => {
  it('writes human lines on a terminal, without stacks below debug, above a progress display', async () => {
    const tty = new TextSink(true);
    const log = createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'auto' }, { stream: tty });
    statusBlockOf(tty).show(['progress line']);
    log.child({ actor: 'loader', name: 'loader' }).warn({ err: unreachable(), attempt: 1, delay_ms: 250 }, 'exchange request retried');
    log.info('not at warn');
    await flushed();
    const lines = tty.text.split('\n');
    assert.ok(!tty.text.includes('{'), `no JSON: ${tty.text}`);
    assert.ok(!/\n\s+at /.test(tty.text), 'no stack');
    // The progress line is cleared, the log line printed, the progress line drawn again below it.
    assert.ok(lines.some((l) => l.endsWith('warn  loader: exchange request retried: cannot reach 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9 [SF_ERR_EXCHANGE_UNREACHABLE] (attempt 1, next try in 0.3s)')), tty.text);
    // eslint-disable-next-line no-control-regex -- ANSI escapes are what a terminal gets
    assert.match(tty.text, /progress line\u001b\[K\n$/);
    assert.doesNotMatch(tty.text, /not at warn/);
  });

  it('writes JSON when stderr is not a terminal, or with LOG_FORMAT=json; causes said once; the stack only at debug', async () => {
    for (const [stream, format] of [[new TextSink(false), 'auto'], [new TextSink(true), 'json']] as const) {
      createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, { stream }).error({ err: unreachable() }, 'loader failed');
      await flushed();
      const entry = JSON.parse(stream.text) as { msg: string; err: { message: string; code: string; stack?: string } };
      assert.equal(entry.msg, 'loader failed');
      assert.equal(entry.err.code, 'SF_ERR_EXCHANGE_UNREACHABLE');
      assert.equal(entry.err.message, 'cannot reach 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9', 'the cause is in the message already: not repeated');
      assert.equal(entry.err.stack, undefined);
    }
    const debug = new TextSink(false);
    createLogger({ LOG_LEVEL: 'debug', LOG_FORMAT: 'auto' }, { stream: debug }).error({ err: unreachable() }, 'loader failed');
    await flushed();
    assert.match((JSON.parse(debug.text) as { err: { stack: string } }).err.stack, /\n\s+at /);
  });

  it('writes human lines when asked to (LOG_FORMAT=human) even where stderr is no terminal', async () => {
    const pipe = new TextSink(false);
    createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'human' }, { stream: pipe }).info({ queue_id: 'wf-x' }, 'workflow started');
    await flushed();
    assert.equal(pipe.text, 'info  workflow started queue_id=wf-x\n');
  });
});
