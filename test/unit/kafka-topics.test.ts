import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import type { ITopicMetadata } from 'kafkajs';
import { KafkaTopics } from '../../src/system/bus/kafka-topics.ts';
import { kafkaBusError } from '../../src/system/bus/kafka-bus-error.ts';
import type { TopicAdmin } from '../../src/system/bus/kafka-topics.ts';
import { BusError, ErrorCodes } from '../../src/protocol/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

// kafkajs is CommonJS: its error classes come through the default export.
const { KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;

/** The error a broker answers while it does not host a just-created topic yet (code 3, retriable). */
function unknownTopic(): Error {
  return new KafkaJSProtocolError(
    Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }),
  );
}

interface Script {
  /** Answers of fetchTopicMetadata, in order; the last one repeats. */
  metadata: Array<Error | ITopicMetadata[]>;
  createTopics?: Array<Error | boolean>;
  /** Answers of deleteGroups, in order; the last one repeats. */
  deleteGroups?: Error[];
  listTopics?: Array<Error | string[]>;
  fetchOffsets?: Array<Error | Awaited<ReturnType<TopicAdmin['fetchOffsets']>>>;
}

/** An admin that answers from a script: stands in for a broker's metadata answers, which cannot be timed on a real one. */
function scriptedAdmin(script: Script) {
  const calls = { createTopics: 0, fetchTopicMetadata: 0, listTopics: 0, deleteTopics: 0, fetchOffsets: 0, deleteGroups: 0 };
  const next = <T>(answers: Array<Error | T> | undefined, i: number, fallback: T): Promise<T> => {
    const answer = answers === undefined ? fallback : (answers[Math.min(i, answers.length - 1)] as Error | T);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  const admin: TopicAdmin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    createTopics: () => next(script.createTopics, calls.createTopics++, true),
    fetchTopicMetadata: () => next(script.metadata, calls.fetchTopicMetadata++, [] as ITopicMetadata[]).then((topics) => ({ topics })),
    listTopics: () => next(script.listTopics, calls.listTopics++, [] as string[]),
    deleteTopics: () => {
      calls.deleteTopics++;
      return Promise.resolve();
    },
    fetchOffsets: () => next(script.fetchOffsets, calls.fetchOffsets++, []),
    deleteGroups: (ids) => next(script.deleteGroups, calls.deleteGroups++, ids.map((groupId) => ({ groupId, errorCode: 0 }))),
    fetchTopicOffsets: () => Promise.resolve([{ partition: 0, offset: '7', high: '7', low: '0' }]),
  };
  return { admin, calls };
}

function led(name: string, partitions = 2): ITopicMetadata {
  return { name, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 })) };
}

function leaderless(name: string): ITopicMetadata {
  return { name, partitions: [{ partitionId: 0, leader: -1, replicas: [1], isr: [], offlineReplicas: [], partitionErrorCode: 5 }] };
}

function topicsWith(admin: TopicAdmin, clock: FakeClock, readyTimeoutMs = 30_000): KafkaTopics {
  return new KafkaTopics({ admin: () => admin }, { defaultPartitions: 2, replicationFactor: 1, timeoutMs: 5_000, readyTimeoutMs, clock });
}

void describe('KafkaTopics', () => {
  void it('waits through UNKNOWN_TOPIC_OR_PARTITION and leaderless partitions until every partition has a leader', async () => {
    const { admin, calls } = scriptedAdmin({ metadata: [unknownTopic(), unknownTopic(), unknownTopic(), [leaderless('t')], [led('t')]] });
    const clock = new FakeClock(0);
    await topicsWith(admin, clock).ensure([{ name: 't' }]);
    assert.equal(calls.fetchTopicMetadata, 5);
    assert.equal(calls.createTopics, 1, 'the topic is created once, not once per attempt');
    assert.equal(clock.sleeps.length, 4, 'one backoff per failed attempt');
    assert.ok(clock.sleeps.every((ms) => ms > 0 && ms <= 1_000), `bounded backoff: ${clock.sleeps.join(', ')}`);
  });

  void it('retries a retriable failure of createTopics itself', async () => {
    const { admin, calls } = scriptedAdmin({ createTopics: [unknownTopic(), true], metadata: [[led('t')]] });
    await topicsWith(admin, new FakeClock(0)).ensure([{ name: 't' }]);
    assert.equal(calls.createTopics, 2);
  });

  void it('gives up after the ready timeout with a non-retriable error naming the topics and the last cause', async () => {
    const { admin, calls } = scriptedAdmin({ metadata: [unknownTopic()] });
    const clock = new FakeClock(0);
    const err = await topicsWith(admin, clock, 5_000).ensure([{ name: 'orders' }, { name: 'fills' }]).then(
      () => assert.fail('ensure resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BusError);
    assert.equal(err.code, ErrorCodes.BUS);
    assert.equal(err.retriable, false);
    assert.match(err.message, /ensure topics orders, fills: not done after 5000 ms/);
    assert.match(err.message, /does not host this topic-partition/);
    assert.ok(clock.now() >= 5_000 && clock.now() < 7_000, `stopped near the deadline (${clock.now()} ms)`);
    assert.ok(calls.fetchTopicMetadata > 5);
  });

  void it('fails at once on a non-retriable error', async () => {
    const { admin, calls } = scriptedAdmin({ metadata: [new KafkaJSNonRetriableError('topic authorization failed')] });
    const clock = new FakeClock(0);
    await assert.rejects(topicsWith(admin, clock).ensure([{ name: 't' }]), (e: unknown) => e instanceof BusError && !e.retriable && /authorization/.test(e.message));
    assert.equal(calls.fetchTopicMetadata, 1);
    assert.equal(clock.sleeps.length, 0);
  });

  void it('retries topic lookups and offset reads through retriable errors', async () => {
    const { admin, calls } = scriptedAdmin({
      metadata: [],
      listTopics: [unknownTopic(), ['x']],
      fetchOffsets: [unknownTopic(), [{ topic: 'x', partitions: [{ partition: 0, offset: '-1', metadata: null }] }]],
    });
    const topics = topicsWith(admin, new FakeClock(0));
    await topics.assertExists('x');
    const ends = await topics.endOffsetsOfUncommitted('g', ['x']);
    assert.equal(ends.get('x')?.get(0), '7');
    assert.equal(calls.listTopics, 2);
    assert.equal(calls.fetchOffsets, 2);
  });

  void it('waits until a deleted topic is no longer listed, requesting the deletion once', async () => {
    const { admin, calls } = scriptedAdmin({ metadata: [], listTopics: [['d'], unknownTopic(), ['d'], ['d'], []] });
    await topicsWith(admin, new FakeClock(0)).delete(['d']);
    assert.equal(calls.deleteTopics, 1);
  });

  void it('deletes consumer groups: one that does not exist is fine, one with members is a retriable error naming it', async () => {
    const outcome = (...codes: Array<[string, number]>) =>
      new kafkajs.KafkaJSDeleteGroupsError('Error in DeleteGroups', codes.map(([groupId, errorCode]) => ({ groupId, errorCode, error: new kafkajs.KafkaJSError(`code ${errorCode}`) })));
    const fine = scriptedAdmin({ metadata: [] });
    await topicsWith(fine.admin, new FakeClock(0)).deleteGroups(['g1', 'g2']);
    assert.equal(fine.calls.deleteGroups, 1);
    const gone = scriptedAdmin({ metadata: [], deleteGroups: [outcome(['g1', 69])] });
    await topicsWith(gone.admin, new FakeClock(0)).deleteGroups(['g1', 'g2']);
    const busy = scriptedAdmin({ metadata: [], deleteGroups: [outcome(['g1', 69], ['g2', 68])] });
    await assert.rejects(
      topicsWith(busy.admin, new FakeClock(0)).deleteGroups(['g1', 'g2']),
      (e: unknown) => e instanceof BusError && e.retriable && /consumer groups g2$/.test(e.message),
    );
    await topicsWith(busy.admin, new FakeClock(0)).deleteGroups([]);
    assert.equal(busy.calls.deleteGroups, 1, 'no request for no groups');
  });
});

void describe('kafkaBusError', () => {
  const connectionRefused = () =>
    Object.assign(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

  void it('keeps kafkajs retriable flag', () => {
    assert.equal(kafkaBusError(unknownTopic(), 'x').retriable, true);
    assert.equal(kafkaBusError(new KafkaJSNonRetriableError('authorization failed'), 'x').retriable, false);
  });

  void it('takes a connection failure that kafkajs bailed on (a fresh producer against a broker that is down) as retriable', () => {
    // As kafkajs's retrier wraps what a bail() rejected with: the original as `cause`.
    const refused = connectionRefused();
    const bailed = Object.assign(new KafkaJSNonRetriableError(refused), { cause: refused });
    const error = kafkaBusError(bailed, 'produce to t');
    assert.equal(error.retriable, true);
    assert.equal(error.cause, bailed);
  });

  void it('never retries a failed certificate check, even inside a connection error', () => {
    const cert = Object.assign(new kafkajs.KafkaJSConnectionError('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const tls = Object.assign(new KafkaJSNonRetriableError(cert), { cause: cert });
    assert.equal(kafkaBusError(tls, 'connect').retriable, false);
  });
});
