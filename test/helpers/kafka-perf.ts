// Broker ceiling for `npm run bench`: wraps scripts/kafka/producer-perf.sh (Kafka's own
// org.apache.kafka.tools.ProducerPerformance) and parses its summary line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/kafka/producer-perf.sh', import.meta.url));

export interface ProducerPerfOptions {
  bootstrap: string;
  topic: string;
  numRecords: number;
  recordSize: number;
  /** Extra producer properties (override the script's acks=all linger.ms=5 batch.size=65536). */
  producerProps?: Record<string, string | number>;
  /** Partitions if the topic must be created (default 3). */
  partitions?: number;
  /** Delete the topic afterwards (default true). */
  deleteTopic?: boolean;
}

export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** The tool's summary line as printed. */
  summary: string;
}

const SUMMARY =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

export function parseProducerPerfSummary(line: string): ProducerPerfResult {
  const m = SUMMARY.exec(line.trim());
  if (!m) throw new Error(`unrecognised ProducerPerformance summary: ${line}`);
  const n = (i: number): number => Number(m[i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mbPerSec: n(3),
    avgLatencyMs: n(4),
    maxLatencyMs: n(5),
    p50Ms: n(6),
    p95Ms: n(7),
    p99Ms: n(8),
    p999Ms: n(9),
    summary: line.trim(),
  };
}

export function runProducerPerf(options: ProducerPerfOptions): Promise<ProducerPerfResult> {
  const props = Object.entries(options.producerProps ?? {}).map(([k, v]) => `${k}=${v}`);
  const args = [SCRIPT, options.topic, String(options.numRecords), String(options.recordSize), ...props];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BOOTSTRAP_SERVERS: options.bootstrap,
    KAFKA_PERF_PARTITIONS: String(options.partitions ?? 3),
    KAFKA_PERF_DELETE_TOPIC: options.deleteTopic === false ? '0' : '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line) {
        reject(new Error(`producer-perf.sh exited ${code}: ${stderr.trim().split('\n').slice(-20).join('\n')}`));
        return;
      }
      try {
        resolve(parseProducerPerfSummary(line));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}
