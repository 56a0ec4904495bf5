// A real S3 server for tests. Usage in a test file:
//
//   let s3: S3Server;
//   before(async () => { s3 = await requireS3(); });
//   after(() => releaseS3());
//
// If MINIO_ENDPOINT is set (CI / `npm run s3:up`), that server is checked and used with
// MINIO_ACCESS_KEY / MINIO_SECRET_KEY. Otherwise a private S3Proxy is started with
// scripts/s3/s3-up.sh on a free port and stopped again by releaseS3(), by a process 'exit'/signal
// hook, or, if this process is killed outright, by the watchdog s3-up.sh runs for S3_OWNER_PID.
// Tests that stop and restart a server use startS3Proxy() / stopS3Process() / s3ProxyDown() on a
// server of their own.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const S3_UP = fileURLToPath(new URL('../../scripts/s3/s3-up.sh', import.meta.url));
const S3_DOWN = fileURLToPath(new URL('../../scripts/s3/s3-down.sh', import.meta.url));
const CACHE = process.env['S3_CACHE_DIR'] ?? `${ROOT}.cache/s3proxy`;
const HOW_TO_START =
  'Start one with `npm run s3:up` (needs java 17+ and curl or mvn; prints MINIO_ENDPOINT, MINIO_ACCESS_KEY and MINIO_SECRET_KEY) ' +
  'and run the tests with those three exported.';

/** What a test needs to reach an S3 server: the environment the object store reads. */
export interface S3Server {
  /** `host:port`, as MINIO_ENDPOINT */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

/** A server started by this process with s3-up.sh. */
export interface OwnedS3Server extends S3Server {
  readonly port: number;
}

let acquiring: Promise<S3Server> | undefined;
let refs = 0;
/** Ports of the servers this process started and has not stopped yet. */
const ownedPorts = new Set<number>();
let sharedPort: number | undefined;
let hooksInstalled = false;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A reachable S3 server, shared by the callers of one process; pair each call with releaseS3(). */
export async function requireS3(): Promise<S3Server> {
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

/** Drops one reference; the last one stops the server if this process started it. Never throws. */
export async function releaseS3(): Promise<void> {
  if (refs > 0) refs -= 1;
  if (refs > 0) return;
  const pending = acquiring;
  acquiring = undefined;
  await pending?.catch(() => undefined);
  const port = sharedPort;
  sharedPort = undefined;
  if (port !== undefined) await s3ProxyDown(port);
}

/** A fresh bucket name (S3 rules: lowercase, digits, hyphens, 3-63). */
export function uniqueBucketName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 30) || 'sf';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** The environment `loadConfig` needs to put objects on `server` in `bucket`. */
export function s3Env(server: S3Server, bucket: string): Record<string, string> {
  return { MINIO_ENDPOINT: server.endpoint, MINIO_ACCESS_KEY: server.accessKey, MINIO_SECRET_KEY: server.secretKey, MINIO_BUCKET_NAME: bucket };
}

/** Starts (or, with `keepData`, restarts with its objects and keys) an S3Proxy of this process on `port`. */
export async function startS3Proxy(port?: number, options: { keepData?: boolean } = {}): Promise<OwnedS3Server> {
  const chosen = port ?? (await freePort());
  ownedPorts.add(chosen);
  installHooks();
  const result = await run('bash', [S3_UP], {
    S3_PORT: String(chosen),
    S3_OWNER_PID: String(process.pid),
    ...(options.keepData === true ? { S3_KEEP_DATA: '1' } : {}),
  });
  const vars = parseLines(result.stdout);
  const endpoint = vars.get('MINIO_ENDPOINT');
  const accessKey = vars.get('MINIO_ACCESS_KEY');
  const secretKey = vars.get('MINIO_SECRET_KEY');
  if (result.code !== 0 || endpoint === undefined || accessKey === undefined || secretKey === undefined) {
    await s3ProxyDown(chosen);
    const tail = result.stderr.trim().split('\n').slice(-40).join('\n');
    throw new Error(`Could not start S3Proxy on port ${chosen} (scripts/s3/s3-up.sh exited ${result.code}). ${HOW_TO_START}\n${tail}`);
  }
  return { endpoint, accessKey, secretKey, port: chosen };
}

/** Kills the server's process (SIGKILL: a crash), keeping its objects and keys for a restart. */
export async function stopS3Process(port: number): Promise<void> {
  const pid = Number((await readFile(`${CACHE}/run-${port}/s3proxy.pid`, 'utf8')).trim());
  process.kill(pid, 'SIGKILL');
  await waitFor(`S3Proxy pid ${pid} to exit`, () => (isAlive(pid) ? undefined : true), 20_000, 50);
}

/** Stops the server on `port` and removes its objects. Never throws. */
export async function s3ProxyDown(port: number): Promise<void> {
  ownedPorts.delete(port);
  if (ownedPorts.size === 0) removeHooks();
  const result = await run('bash', [S3_DOWN], { S3_PORT: String(port) });
  if (result.code !== 0) process.stderr.write(`s3-down for port ${port} failed:\n${result.stderr}\n`);
}

async function acquire(): Promise<S3Server> {
  const endpoint = process.env['MINIO_ENDPOINT']?.trim();
  if (endpoint) {
    const accessKey = process.env['MINIO_ACCESS_KEY']?.trim();
    const secretKey = process.env['MINIO_SECRET_KEY']?.trim();
    if (!accessKey || !secretKey) throw new Error(`MINIO_ENDPOINT=${endpoint} is set without MINIO_ACCESS_KEY and MINIO_SECRET_KEY. ${HOW_TO_START}`);
    const answer = await httpStatus(endpoint, 10_000);
    if (typeof answer === 'string') {
      throw new Error(`S3 at MINIO_ENDPOINT=${endpoint} does not answer (${answer}). ${HOW_TO_START} Or unset MINIO_ENDPOINT to let the tests start a private S3Proxy.`);
    }
    return { endpoint, accessKey, secretKey };
  }
  const server = await startS3Proxy();
  sharedPort = server.port;
  return server;
}

/** The HTTP status of GET / on `endpoint` (host:port or URL), or why there was none. */
function httpStatus(endpoint: string, timeoutMs: number): Promise<number | string> {
  const url = /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

function parseLines(stdout: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return vars;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
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

function stopOwnedSync(): void {
  for (const port of ownedPorts) {
    spawnSync('bash', [S3_DOWN], { cwd: ROOT, env: { ...process.env, S3_PORT: String(port) }, stdio: 'ignore' });
  }
  ownedPorts.clear();
  removeHooks();
}

function onSignal(signal: NodeJS.Signals): void {
  stopOwnedSync();
  // Re-raise with default handling so the exit status still says "killed by <signal>".
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', stopOwnedSync);
  for (const signal of SIGNALS) process.once(signal, onSignal);
}

function removeHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.removeListener('exit', stopOwnedSync);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}
