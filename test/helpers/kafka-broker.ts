// Real Kafka for tests. Usage in a test file:
//
//   let bootstrap: string;
//   before(async () => { bootstrap = await requireKafka(); });
//   after(() => releaseKafka());
//
// If KAFKA_BOOTSTRAP_SERVERS is set (CI / `npm run kafka:up`), that broker is checked and used.
// Otherwise a private single-node broker is started with scripts/kafka/kafka-up.sh on a free port and
// stopped again by releaseKafka(), by a process 'exit'/signal hook, or, if this process is killed
// outright, by the watchdog kafka-up.sh runs for KAFKA_OWNER_PID.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitForKafka } from '../../scripts/kafka/probe.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KAFKA_UP = fileURLToPath(new URL('../../scripts/kafka/kafka-up.sh', import.meta.url));
const KAFKA_DOWN = fileURLToPath(new URL('../../scripts/kafka/kafka-down.sh', import.meta.url));
const HOW_TO_START =
  'Start one with `npm run kafka:up` (needs java 17+ and mvn; prints KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092) ' +
  'and run the tests with KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 exported.';

let acquiring: Promise<string> | undefined;
let refs = 0;
/** Port of the broker this process started (undefined when using an external broker). */
let ownedPort: number | undefined;
let hooksInstalled = false;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Bootstrap address ("127.0.0.1:port") of a reachable broker. Calls are reference counted and
 * share one broker per process; pair each call with releaseKafka().
 */
export async function requireKafka(): Promise<string> {
  refs += 1;
  acquiring ??= acquire();
  try {
    return await acquiring;
  } catch (err) {
    refs -= 1;
    acquiring = undefined;
    throw err;
  }
}

/** Drop one reference; the last one stops the broker if this process started it. Never throws. */
export async function releaseKafka(): Promise<void> {
  if (refs > 0) refs -= 1;
  if (refs > 0) return;
  const pending = acquiring;
  acquiring = undefined;
  await pending?.catch(() => undefined);
  const port = ownedPort;
  if (port === undefined) return;
  ownedPort = undefined;
  removeHooks();
  const result = await run('bash', [KAFKA_DOWN], { KAFKA_PORT: String(port) });
  if (result.code !== 0) process.stderr.write(`kafka-down for port ${port} failed:\n${result.stderr}\n`);
}

/** A fresh, valid topic / group / client id: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200) || 'sf';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

async function acquire(): Promise<string> {
  const external = process.env['KAFKA_BOOTSTRAP_SERVERS']?.trim();
  if (external) {
    const timeoutMs = Number(process.env['KAFKA_PROBE_TIMEOUT_MS'] ?? 10_000);
    const result = await waitForKafka(external.split(','), { timeoutMs });
    if (!result.ok) {
      throw new Error(
        `Kafka at KAFKA_BOOTSTRAP_SERVERS=${external} is not reachable within ${timeoutMs} ms (${result.error}). ` +
          `${HOW_TO_START} Or unset KAFKA_BOOTSTRAP_SERVERS to let the tests start a private broker.`,
      );
    }
    return external;
  }

  const port = await freePortPair();
  ownedPort = port;
  installHooks();
  const result = await run('bash', [KAFKA_UP], {
    KAFKA_PORT: String(port),
    KAFKA_OWNER_PID: String(process.pid),
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('KAFKA_BOOTSTRAP_SERVERS='));
  if (result.code !== 0 || !line) {
    stopOwnedSync();
    const tail = result.stderr.trim().split('\n').slice(-40).join('\n');
    throw new Error(
      `Could not start a local Kafka broker (scripts/kafka/kafka-up.sh exited ${result.code}). ${HOW_TO_START}\n${tail}`,
    );
  }
  return line.slice('KAFKA_BOOTSTRAP_SERVERS='.length).trim();
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port p with p and p+1 free on 127.0.0.1, below the Linux ephemeral range (32768+). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 6_000);
    if ((await canListen(port)) && (await canListen(port + 1))) return port;
  }
  throw new Error('no free pair of loopback ports found for a Kafka broker');
}

function stopOwnedSync(): void {
  const port = ownedPort;
  if (port === undefined) return;
  ownedPort = undefined;
  removeHooks();
  spawnSync('bash', [KAFKA_DOWN], { cwd: ROOT, env: { ...process.env, KAFKA_PORT: String(port) }, stdio: 'ignore' });
}

function onExit(): void {
  stopOwnedSync();
}

function onSignal(signal: NodeJS.Signals): void {
  stopOwnedSync();
  // Re-raise with default handling so the exit status still says "killed by <signal>".
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', onExit);
  for (const signal of SIGNALS) process.once(signal, onSignal);
}

function removeHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.removeListener('exit', onExit);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

/** A runtime's environment for a workflow over `bootstrap`, each stage its own process, on topics of its own. */
export function processStagesOnKafka(bootstrap: string): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    STREAMFORGE_LAUNCHER: 'process',
    QUEUE_CONTROL_TOPIC: uniqueName('queue-control'),
    QUEUE_EVENTS_TOPIC: uniqueName('queue-events'),
    CONNECTOR_BATCH_SIZE: '1000',
    LOG_LEVEL: 'silent',
  };
}
