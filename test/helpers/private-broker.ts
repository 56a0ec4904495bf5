import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

// A broker of a test's own (to stop and restart it without disturbing the shared one).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KAFKA_UP = fileURLToPath(new URL('../../scripts/kafka/kafka-up.sh', import.meta.url));
const KAFKA_DOWN = fileURLToPath(new URL('../../scripts/kafka/kafka-down.sh', import.meta.url));

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, env: Record<string, string>): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 6_000);
    if ((await canListen(port)) && (await canListen(port + 1))) return port;
  }
  throw new Error('no free pair of loopback ports for a Kafka broker');
}

/** Starts a broker on `port` (controller on port+1); `extraEnv` adds kafka-up.sh settings, e.g. KAFKA_EXTRA_CONFIG. */
export async function kafkaUp(port: number, keepData: boolean, extraEnv: Record<string, string> = {}): Promise<string> {
  const result = await runScript(KAFKA_UP, {
    KAFKA_PORT: String(port),
    KAFKA_OWNER_PID: String(process.pid),
    ...(keepData ? { KAFKA_KEEP_DATA: '1' } : {}),
    ...extraEnv,
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('KAFKA_BOOTSTRAP_SERVERS='));
  if (result.code !== 0 || line === undefined) throw new Error(`kafka-up on ${port} failed:\n${result.stderr.slice(-3000)}`);
  return line.slice('KAFKA_BOOTSTRAP_SERVERS='.length).trim();
}

/** What kafka-down does to the process (SIGTERM, controlled shutdown), but keeping the data dir. */
export async function stopBrokerKeepingData(port: number): Promise<void> {
  const pid = Number((await readFile(`${ROOT}.cache/kafka/run-${port}/kafka.pid`, 'utf8')).trim());
  process.kill(pid, 'SIGTERM');
  const alive = () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  };
  try {
    await waitFor(`broker pid ${pid} to exit`, alive, 20_000, 100);
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitFor(`broker pid ${pid} to exit after SIGKILL`, alive, 10_000, 100);
  }
}


/** Stops the broker on `port` and removes its data. */
export async function kafkaDown(port: number): Promise<void> {
  await runScript(KAFKA_DOWN, { KAFKA_PORT: String(port) });
}
