// Readiness probe for a Kafka broker: a real metadata round trip (kafkajs admin listTopics),
// not just an open TCP port. Used by kafka-up.sh (CLI) and test/helpers/kafka-broker.ts (import).
//
// CLI: node scripts/kafka/probe.ts <host:port[,host:port]> [--timeout-ms N] [--pid PID] [--warm 1]
//   exits 0 once the broker answers; 1 on timeout; 2 if --pid died first.
//   --warm 1 then also waits until the group coordinator (__consumer_offsets) and the producer-id
//   manager answer, so the first test using a consumer group or an idempotent producer is not the
//   one that pays for (and logs about) the internal topics being created.
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export interface ProbeOptions {
  /** Overall deadline in ms. */
  timeoutMs: number;
  /** If set, give up as soon as this process is gone (the broker we just started crashed). */
  pid?: number;
  /** Delay between attempts in ms. */
  intervalMs?: number;
}

export type ProbeResult = { ok: true; topics: number } | { ok: false; reason: 'timeout' | 'process-exited'; error: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One metadata request with short client timeouts; throws on failure. */
export async function probeOnce(brokers: string[], timeoutMs = 3000): Promise<number> {
  const kafka = new Kafka({
    clientId: 'streamforge-kafka-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 2000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    const attempt = (async () => {
      await admin.connect();
      return (await admin.listTopics()).length;
    })();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no metadata response within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([attempt, deadline]);
  } finally {
    if (timer) clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Retry probeOnce until it succeeds, the deadline passes, or `pid` exits. */
export async function waitForKafka(brokers: string[], options: ProbeOptions): Promise<ProbeResult> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastError = 'not tried';
  for (;;) {
    if (options.pid !== undefined && !alive(options.pid)) {
      return { ok: false, reason: 'process-exited', error: `process ${options.pid} exited` };
    }
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, reason: 'timeout', error: lastError };
    try {
      const topics = await probeOnce(brokers, Math.max(500, Math.min(3000, left)));
      return { ok: true, topics };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/** Make the broker create/load __consumer_offsets and hand out a producer id; throws on failure. */
export async function warmUp(brokers: string[], timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'streamforge-kafka-warmup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async () => {
      await admin.connect();
      await admin.describeGroups(['streamforge-kafka-warmup']); // FindCoordinator: creates __consumer_offsets
      await producer.connect(); // InitProducerId: first producer-id block from the controller
    })();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`warm-up not finished within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([work, deadline]);
  } finally {
    if (timer) clearTimeout(timer);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function main(argv: string[]): Promise<number> {
  const [bootstrap, ...rest] = argv;
  if (!bootstrap) {
    console.error('usage: probe.ts <host:port[,host:port]> [--timeout-ms N] [--pid PID]');
    return 64;
  }
  let timeoutMs = 60_000;
  let pid: number | undefined;
  let warm = false;
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i];
    const value = Number(rest[i + 1]);
    if (!Number.isFinite(value)) {
      console.error(`probe: bad value for ${flag}`);
      return 64;
    }
    if (flag === '--timeout-ms') timeoutMs = value;
    else if (flag === '--pid') pid = value;
    else if (flag === '--warm') warm = value !== 0;
    else {
      console.error(`probe: unknown flag ${flag}`);
      return 64;
    }
  }
  const brokers = bootstrap.split(',');
  const started = Date.now();
  const result = await waitForKafka(brokers, pid === undefined ? { timeoutMs } : { timeoutMs, pid });
  if (result.ok && warm) {
    const metadataMs = Date.now() - started;
    try {
      await warmUp(brokers, Math.max(5_000, timeoutMs - metadataMs));
      console.error(`probe: ${bootstrap} answered metadata after ${metadataMs} ms, warm-up took ${Date.now() - started - metadataMs} ms`);
    } catch (err) {
      console.error(`probe: ${bootstrap} answers metadata but warm-up failed: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
  }
  if (result.ok) return 0;
  console.error(`probe: ${bootstrap} not ready (${result.reason}): ${result.error}`);
  return result.reason === 'process-exited' ? 2 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
