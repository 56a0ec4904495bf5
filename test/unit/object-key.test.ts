import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectStoreError } from '../../src/protocol/index.ts';
import { assertObjectKey, assertObjectPrefix } from '../../src/system/objects/index.ts';

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ObjectStoreError && !err.retriable);
    return err.message;
  }
  return assert.fail('expected a refusal');
}

describe('object keys', () => {
  it('accepts the model layout and S3-safe segments', () => {
    for (const key of ['models/gnn-BTCUSDT-20260101T000000Z-0f3a/model.json', 'a', 'A/b_c/d.e=f+g-h', `${'x'.repeat(200)}/y`]) assertObjectKey(key);
  });

  it('says which part of a key is wrong', () => {
    assert.match(refusal(() => assertObjectKey('')), /bad object key "": it is empty/);
    assert.match(refusal(() => assertObjectKey('/etc/passwd')), /it starts with \//);
    assert.match(refusal(() => assertObjectKey('models/')), /it ends with \//);
    assert.match(refusal(() => assertObjectKey('a//b')), /it contains \/\//);
    assert.match(refusal(() => assertObjectKey('a/../b')), /its segment "\.\." is not allowed/);
    assert.match(refusal(() => assertObjectKey('a/.tmp')), /its segment "\.tmp" is not allowed/);
    assert.match(refusal(() => assertObjectKey('k'.repeat(1025))), /it has 1025 characters/);
    assert.match(refusal(() => assertObjectKey(`a/${'y'.repeat(201)}`)), /longer than 200/);
  });

  it('accepts prefixes that end inside a segment or with /, and the empty prefix', () => {
    for (const prefix of ['', 'models/', 'models/gnn-', 'models/gnn-1/']) assertObjectPrefix(prefix);
    assert.match(refusal(() => assertObjectPrefix('models/..')), /segment "\.\."/);
    assert.match(refusal(() => assertObjectPrefix('../')), /segment "\.\." is not allowed/);
    assert.match(refusal(() => assertObjectPrefix('/models/')), /it starts with \//);
  });
});
