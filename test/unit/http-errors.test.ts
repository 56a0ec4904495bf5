import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, ExchangeError, StoreError, StreamForgeError, ValidationError } from '../../src/protocol/index.ts';
import { httpStatusOf } from '../../src/system/http/http-errors.ts';

describe('HTTP status of an error', () => {
  it("answers 400 for the caller's input, 502/503 for the exchange's or the store's trouble, 500 for anything else", () => {
    const exchange = (code: (typeof ErrorCodes)[keyof typeof ErrorCodes], status?: number) =>
      new ExchangeError(code, 'x', { ...(status === undefined ? {} : { status }) });
    assert.equal(httpStatusOf(new ValidationError('bad field')), 400);
    assert.equal(httpStatusOf(exchange(ErrorCodes.EXCHANGE_BAD_REQUEST, 400)), 400, 'the exchange refused the symbol the caller gave');
    assert.equal(httpStatusOf(exchange(ErrorCodes.EXCHANGE_BAD_REQUEST, 451)), 502, 'a restricted location is not the caller\'s input');
    assert.equal(httpStatusOf(exchange(ErrorCodes.EXCHANGE_BAD_REQUEST, 403)), 502);
    assert.equal(httpStatusOf(exchange(ErrorCodes.EXCHANGE_RESPONSE_INVALID)), 502);
    assert.equal(httpStatusOf(exchange(ErrorCodes.EXCHANGE_UNREACHABLE)), 502);
    assert.equal(httpStatusOf(exchange(ErrorCodes.EXCHANGE_RATE_LIMITED, 429)), 503);
    assert.equal(httpStatusOf(new StoreError('busy', { retriable: true })), 503);
    assert.equal(httpStatusOf(new StreamForgeError(ErrorCodes.NOT_FOUND, 'no queue')), 404);
    assert.equal(httpStatusOf(new RangeError('Invalid string length')), 500);
  });
});
