// `broker-loss`: a 3-node KRaft cluster (replication factor 3, min.insync.replicas 2, no unclean
// election) under the workflow mix. SIGKILL of the leader of a data partition mid-run, restarted
// later; then SIGKILL of 2 of the 3 nodes (the quorum and the in-sync minimum are gone: producers
// with acks=all must block or fail clearly), brought back. At the end: every workflow exact against
// the oracle, every data topic replicated 3 times, and nothing acknowledged lost: every record on
// the data topics is in the store, and no consumer group committed past a partition's log end (a
// log truncated under an acknowledged, consumed offset would show there).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Store } from '../../../src/actors/index.ts';
import { startExchangeSimulator } from '../../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka } from '../../helpers/kafka-broker.ts';
import { startTestRuntime } from '../../helpers/test-runtime.ts';
import type { TestRuntime } from '../../helpers/test-runtime.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { isAbort, pause, recoveryAfterHeal, until } from '../fault-timing.ts';
import { CLUSTER_REPLICATION_FACTOR, KafkaCluster } from '../kafka-cluster.ts';
import { measure, settleMix } from '../mix-measurement.ts';
import { killLeftoverStages, teardown } from '../teardown.ts';
import { startLiveMix, startRestMix, storedCount } from '../kafka-fault-mix.ts';
import type { MixWorkflow } from '../kafka-fault-mix.ts';

const SEED = 43;

type Check = { name: string; ok: boolean; detail?: string };

export const brokerLoss: ChaosExperiment = {
  name: 'broker-loss',
  chaosMesh: { manifest: 'pod-kill-kafka-broker.yaml' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    const { signal, log } = ctx;
    const full = ctx.profile === 'full';
    const leaderDownMs = full ? 20_000 : 4_000;
    const quorumDownMs = full ? 30_000 : 6_000;
    let sim: ExchangeSimulator | undefined;
    let cluster: KafkaCluster | undefined;
    let rt: TestRuntime | undefined;
    let faults = 0;
    const recoveryMs: number[] = [];
    const checks: Check[] = [];
    try {
      // Both at once; each is recorded as soon as it runs, so teardown stops whatever started.
      await Promise.all([
        KafkaCluster.start(join(ctx.workDir, 'kafka-cluster')).then((c) => (cluster = c)),
        startExchangeSimulator({ seed: SEED, latencyMs: 10 }).then((s) => (sim = s)),
      ]);
      if (!cluster || !sim) throw new Error('deployment did not start');
      signal.throwIfAborted();
      log.info({ bootstrap: cluster.bootstrap }, 'broker-loss: cluster up');
      rt = await startTestRuntime(sim.url, {
        env: {
          ...processStagesOnKafka(cluster.bootstrap),
          KAFKA_REPLICATION_FACTOR: String(CLUSTER_REPLICATION_FACTOR),
          // A stage that hangs after the outage (a consumer that never rejoins) is relaunched within the
          // run, not after 2 minutes; not much shorter: a loader blocked while the brokers are down (as it
          // must be) is silent too, and relaunches of stalled stages draw on the same restart budget.
          STALL_TIMEOUT_MS: '45000',
          STREAMFORGE_INSTANCE_ID: `chaos-broker-loss-${randomBytes(3).toString('hex')}`,
        },
      });
      const runtime = rt;
      const kafka = cluster;
      const rounds = full ? 3 : 1;
      const mix = await startRestMix(rt.manager, { candleDays: full ? 240 : 30, tradeMinutes: full ? 120 : 20 });
      const progress = () => storedCount(runtime.runtime.store, mix);
      log.info({ workflows: mix.map((m) => m.workflow.queue_id) }, 'broker-loss: REST workflows created');
      await until(async () => ((await progress()) > 0 ? true : undefined), 60_000, signal);
      // The live stream from now until just after the brokers are back.
      mix.push(await startLiveMix(rt.manager, rounds * (leaderDownMs + 3_000) + quorumDownMs + 8_000));
      const dataTopic = (mix[0] as MixWorkflow).workflow.kafka_topic;

      // 1. The leader of a data partition, killed mid-run and restarted later (full: three rounds).
      for (let round = 0; round < rounds; round += 1) {
        const leader = await kafka.leaderOf(dataTopic);
        await kafka.killNode(leader);
        faults += 1;
        log.info({ node: leader, topic: dataTopic, stored: await progress() }, 'broker-loss: partition leader killed');
        const failover = await recoveryAfterHeal(progress, leaderDownMs, signal);
        if (failover !== undefined) recoveryMs.push(failover);
        await pause(Math.max(0, leaderDownMs - (failover ?? leaderDownMs)), signal);
        await kafka.startNode(leader);
        await kafka.waitForBrokers(3, 60_000);
        const back = await recoveryAfterHeal(progress, 30_000, signal);
        if (back !== undefined) recoveryMs.push(back);
        log.info({ node: leader, failoverMs: failover, afterRestartMs: back }, 'broker-loss: leader back');
      }

      // 2. Two of three nodes killed: no quorum, fewer in-sync replicas than acks=all needs.
      const leader = await kafka.leaderOf(dataTopic);
      const victims = [leader, ...kafka.nodes.map((n) => n.id).filter((id) => id !== leader).slice(0, 1)];
      const storedBefore = await progress();
      for (const id of victims) await kafka.killNode(id);
      faults += 1;
      log.info({ nodes: victims, stored: storedBefore }, 'broker-loss: two of three nodes killed');
      await pause(quorumDownMs, signal);
      const storedDuring = await progress();
      for (const id of victims) await kafka.startNode(id);
      await kafka.waitForBrokers(3, 90_000);
      const back = await recoveryAfterHeal(progress, 60_000, signal);
      if (back !== undefined) recoveryMs.push(back);
      log.info({ storedDuring: storedDuring - storedBefore, afterRestartMs: back }, 'broker-loss: nodes back');

      log.info({ stored: await progress() }, 'broker-loss: faults over, waiting for the workflows to end');
      await settleMix(runtime, mix, signal, full ? 300_000 : 150_000);
      log.info('broker-loss: workflows ended, checking against the oracle');
      checks.push(...(await replicationChecks(kafka, mix)));
      checks.push(await acknowledgedDataCheck(kafka, runtime.runtime.store, mix));
      return await measure(runtime, mix, SEED, faults, recoveryMs, checks);
    } catch (err) {
      if (!isAbort(err, signal)) throw err;
      checks.push({ name: 'ran to the end', ok: false, detail: 'aborted' });
      return { faults, workflows: 0, expected: 0, stored: 0, missing: 0, duplicated: 0, recoveryMs, restarts: 0, checks };
    } finally {
      await teardown(log, [
        ['runtime', () => rt?.close()],
        ['stage processes', () => killLeftoverStages()],
        ['cluster', () => cluster?.stop()],
        ['simulator', () => sim?.close()],
      ]);
    }
  },
};

/** Every data topic has replication factor 3 (the project's topic creation took KAFKA_REPLICATION_FACTOR) and a full ISR again. */
async function replicationChecks(cluster: KafkaCluster, mix: readonly MixWorkflow[]): Promise<Check[]> {
  const details: string[] = [];
  let rfOk = true;
  for (const m of mix) {
    const parts = await cluster.replicasOf(m.workflow.kafka_topic);
    rfOk &&= parts.length > 0 && parts.every((p) => p.replicas === CLUSTER_REPLICATION_FACTOR);
    details.push(`${m.workflow.kafka_topic}: ${parts.map((p) => `p${p.partition} rf ${p.replicas} isr ${p.isr}`).join(', ')}`);
  }
  return [{ name: `data topics replicated ${CLUSTER_REPLICATION_FACTOR} times`, ok: rfOk, detail: details.join('; ') }];
}

/**
 * Nothing acknowledged was lost: every record the brokers hold on the data topics (all the loaders'
 * acknowledged writes that survived) is in the store, and no group's committed offset (the
 * connector's acknowledgement of what it stored) lies past a partition's log end.
 */
async function acknowledgedDataCheck(cluster: KafkaCluster, store: Store, mix: readonly MixWorkflow[]): Promise<Check> {
  const problems: string[] = [];
  let onTopics = 0;
  for (const m of mix) {
    const topic = m.workflow.kafka_topic;
    const { end, committed } = await cluster.offsetsOf(topic);
    for (const c of committed) {
      const high = end.get(c.partition) ?? 0;
      if (c.offset > high) problems.push(`${c.group} committed ${topic}[${c.partition}]@${c.offset} past its log end ${high}`);
    }
    const keys = await topicRecordKeys(cluster.bootstrap, topic, end);
    onTopics += keys.size;
    const stored = new Set((await store.range(m.workflow.collection_name)).map((d) => String(Number(m.kind === 'candles' ? d['open_time'] : d['trade_id']))));
    const lost = [...keys].filter((k) => !stored.has(k));
    if (lost.length > 0) problems.push(`${topic}: ${lost.length} records on the topic not stored (first ${lost.slice(0, 3).join(', ')})`);
  }
  return { name: 'acknowledged data survived', ok: problems.length === 0, detail: problems.join('; ') || `${onTopics} distinct records on the data topics, all stored; no commit past a log end` };
}

/** The distinct record keys (open_time or trade_id) on `topic`, read from the beginning up to `end`. */
async function topicRecordKeys(bootstrap: string, topic: string, end: ReadonlyMap<number, number>): Promise<Set<string>> {
  const keys = new Set<string>();
  const pending = new Set([...end].filter(([, high]) => high > 0).map(([p]) => p));
  if (pending.size === 0) return keys;
  const kafka = new Kafka({ clientId: 'chaos-topic-reader', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `chaos-reader-${randomBytes(4).toString('hex')}` });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const value = JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<string, unknown> | null;
          if (value && !('end_of_stream' in value)) {
            const key = value['open_time'] ?? value['trade_id'];
            if (typeof key === 'number') keys.add(String(key));
          }
          if (Number(message.offset) + 1 >= (end.get(batch.partition) ?? 0)) pending.delete(batch.partition);
        }
        if (pending.size === 0) done();
        await Promise.resolve();
      },
    });
    await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`reading ${topic} did not reach its log end within 60 s`)), 60_000).unref())]);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return keys;
}
