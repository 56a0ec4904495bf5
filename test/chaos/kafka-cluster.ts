// A 3-node Apache Kafka KRaft cluster on loopback for the broker-loss experiment: three combined
// broker+controller JVMs (static quorum of the three), replication factor 3, min.insync.replicas 2,
// no unclean leader election. The jars are scripts/kafka/fetch-jars.sh's (KAFKA_CACHE_DIR reuses a
// download). Each node can be SIGKILLed and restarted on its own data; the layout of a node's files
// is kafka-up.sh's (`<dir>/run-<port>/kafka.pid`, `<dir>/data-<port>`), so scripts/kafka/watchdog.sh
// stops the nodes (kafka-down.sh) if this process dies without stopping them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { runScript, freePortPair } from '../helpers/private-broker.ts';
import { isAlive } from '../helpers/stage-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HERE = fileURLToPath(new URL('../../scripts/kafka/', import.meta.url));
const FETCH_JARS = join(HERE, 'fetch-jars.sh');
const WATCHDOG = join(HERE, 'watchdog.sh');
const KAFKA_DOWN = join(HERE, 'kafka-down.sh');

export interface ClusterNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  /** The JVM's pid while it runs. */
  pid: number | undefined;
}

/** The cluster's settings that matter to the experiment. */
export const CLUSTER_REPLICATION_FACTOR = 3;
export const CLUSTER_MIN_INSYNC_REPLICAS = 2;

export class KafkaCluster {
  readonly nodes: readonly ClusterNode[];
  readonly #dir: string;
  readonly #classpath: string;
  readonly #heap: string;

  private constructor(dir: string, classpath: string, nodes: ClusterNode[], heap: string) {
    this.#dir = dir;
    this.#classpath = classpath;
    this.nodes = nodes;
    this.#heap = heap;
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` */
  get bootstrap(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** Formats and starts three nodes under `dir`; resolves once all three brokers are registered. */
  static async start(dir: string, options: { readonly heap?: string; readonly timeoutMs?: number } = {}): Promise<KafkaCluster> {
    const jars = await runScript(FETCH_JARS, {});
    if (jars.code !== 0) throw new Error(`scripts/kafka/fetch-jars.sh failed:\n${jars.stderr.slice(-2000)}`);
    const nodes: ClusterNode[] = [];
    for (let attempt = 0; attempt < 20 && nodes.length < 3; attempt += 1) {
      const port = await freePortPair();
      if (nodes.some((n) => Math.abs(n.port - port) < 2)) continue;
      nodes.push({ id: nodes.length + 1, port, controllerPort: port + 1, pid: undefined });
    }
    if (nodes.length !== 3) throw new Error('could not find three pairs of free loopback ports');
    const cluster = new KafkaCluster(dir, `${jars.stdout.trim()}/*`, nodes, options.heap ?? '-Xms96m -Xmx384m');
    try {
      await cluster.#format();
      for (const node of nodes) await cluster.startNode(node.id);
      await cluster.waitForBrokers(3, options.timeoutMs ?? 90_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  node(id: number): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id} in the cluster (nodes ${this.nodes.map((n) => n.id).join(', ')})`);
    return node;
  }

  #run(node: ClusterNode): string {
    return join(this.#dir, `run-${node.port}`);
  }

  #data(node: ClusterNode): string {
    return join(this.#dir, `data-${node.port}`);
  }

  async #format(): Promise<void> {
    const clusterId = newClusterId();
    const voters = this.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
    await Promise.all(this.nodes.map(async (node) => {
      const run = this.#run(node);
      await mkdir(run, { recursive: true });
      await mkdir(this.#data(node), { recursive: true });
      await writeFile(join(run, 'data-dir'), `${this.#data(node)}\n`);
      await writeFile(join(run, 'server.properties'), serverProperties(node, voters, this.#data(node)));
      const format = await runJava(['-Xmx192m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', this.#classpath,
        `-Dlog4j2.configurationFile=${join(HERE, 'log4j2.properties')}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(run, 'server.properties')]);
      if (format.code !== 0) throw new Error(`kafka storage format of node ${node.id} failed:\n${format.output.slice(-2000)}`);
    }));
  }

  /** Starts (or restarts, on its own data) node `id`; does not wait for it to serve. */
  async startNode(id: number): Promise<void> {
    const node = this.node(id);
    if (node.pid !== undefined && isAlive(node.pid)) throw new Error(`node ${id} already runs (pid ${node.pid})`);
    const run = this.#run(node);
    const log = openSync(join(run, 'broker.log'), 'a');
    try {
      const child = spawn('java', [...this.#heap.split(' '), '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(HERE, 'log4j2.properties')}`, `-Dkafka.logs.dir=${run}`,
        '-cp', this.#classpath, 'kafka.Kafka', join(run, 'server.properties')], { detached: true, stdio: ['ignore', log, log] });
      child.unref();
      if (child.pid === undefined) throw new Error(`node ${id} did not start`);
      node.pid = child.pid;
      await writeFile(join(run, 'kafka.pid'), `${child.pid}\n`);
      // If this process dies, the watchdog stops the node (kafka-down.sh with this directory as its cache).
      spawn('bash', [WATCHDOG, String(process.pid), String(child.pid), String(node.port)], {
        detached: true, stdio: 'ignore', env: { ...process.env, KAFKA_CACHE_DIR: this.#dir, KAFKA_KEEP_LOGS: '0' },
      }).unref();
    } finally {
      closeSync(log);
    }
  }

  /** SIGKILL of node `id`: no controlled shutdown, its replicas just vanish. Resolves once it is gone. */
  async killNode(id: number): Promise<void> {
    const node = this.node(id);
    const pid = node.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    await waitFor(`node ${id} (pid ${pid}) to die`, () => (isAlive(pid) ? undefined : true), 10_000, 20);
    node.pid = undefined;
  }

  /** Waits until `count` brokers are registered in the cluster's metadata. */
  async waitForBrokers(count: number, timeoutMs = 60_000): Promise<void> {
    let last = 'no answer';
    await waitFor(`${count} brokers in the cluster (last: ${last})`, async () => {
      try {
        const n = await this.#admin(async (admin) => (await admin.describeCluster()).brokers.length);
        last = `${n} brokers`;
        return n >= count ? true : undefined;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
        return undefined;
      }
    }, timeoutMs, 500);
  }

  /** The node that leads `partition` of `topic` now. */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    return this.#admin(async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const p = meta.topics[0]?.partitions.find((x) => x.partitionId === partition);
      if (!p || p.leader < 0) throw new Error(`${topic}[${partition}] has no leader`);
      return p.leader;
    });
  }

  /** Replication factor and in-sync replicas of every partition of `topic`. */
  async replicasOf(topic: string): Promise<Array<{ partition: number; replicas: number; isr: number }>> {
    return this.#admin(async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return (meta.topics[0]?.partitions ?? []).map((p) => ({ partition: p.partitionId, replicas: p.replicas.length, isr: p.isr.length }));
    });
  }

  /** Log-end offsets of `topic` and the offsets every consumer group committed on it. */
  async offsetsOf(topic: string): Promise<{ end: Map<number, number>; committed: Array<{ group: string; partition: number; offset: number }> }> {
    return this.#admin(async (admin) => {
      const end = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
      const committed: Array<{ group: string; partition: number; offset: number }> = [];
      for (const g of (await admin.listGroups()).groups) {
        for (const t of await admin.fetchOffsets({ groupId: g.groupId, topics: [topic] })) {
          for (const p of t.partitions) if (Number(p.offset) >= 0) committed.push({ group: g.groupId, partition: p.partition, offset: Number(p.offset) });
        }
      }
      return { end, committed };
    });
  }

  async #admin<T>(use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const kafka = new Kafka({ clientId: 'chaos-cluster-admin', brokers: this.bootstrap.split(','), logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000, requestTimeout: 5_000, retry: { retries: 2, initialRetryTime: 200 } });
    const admin = kafka.admin();
    try {
      await admin.connect();
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Stops every node (SIGTERM, SIGKILL after 10 s) and removes its data and run dir. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => {
      await runScript(KAFKA_DOWN, { KAFKA_CACHE_DIR: this.#dir, KAFKA_PORT: String(node.port), KAFKA_STOP_TIMEOUT: '10' });
      node.pid = undefined;
    }));
  }

  /** The tail of a node's log (for a failure's detail). */
  async logTail(id: number, lines = 40): Promise<string> {
    const text = await readFile(join(this.#run(this.node(id)), 'broker.log'), 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }
}

function serverProperties(node: ClusterNode, voters: string, data: string): string {
  return `# generated by test/chaos/kafka-cluster.ts: node ${node.id} of a 3-node KRaft cluster on loopback
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${data}
num.partitions=1
default.replication.factor=${CLUSTER_REPLICATION_FACTOR}
min.insync.replicas=${CLUSTER_MIN_INSYNC_REPLICAS}
unclean.leader.election.enable=false
offsets.topic.replication.factor=${CLUSTER_REPLICATION_FACTOR}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=${CLUSTER_REPLICATION_FACTOR}
transaction.state.log.min.isr=${CLUSTER_MIN_INSYNC_REPLICAS}
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=${CLUSTER_REPLICATION_FACTOR}
share.coordinator.state.topic.min.isr=${CLUSTER_MIN_INSYNC_REPLICAS}
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
replica.lag.time.max.ms=10000
log.retention.hours=24
log.segment.bytes=33554432
`;
}

/** A random cluster id (16 bytes, base64url, never starting with '-': the tool would read it as an option). */
function newClusterId(): string {

  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function runJava(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: output + String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
