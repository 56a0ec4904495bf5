// Toxiproxy for chaos experiments: the server started by scripts/toxiproxy/toxiproxy-up.sh (built
// from its Go module once, cached in .cache/toxiproxy) and a small client of its HTTP API. A proxy
// listens on a loopback port and forwards to an upstream; toxics on it add latency, cap bandwidth,
// reset connections or hold them; disabling it cuts every connection and refuses new ones.
import { fileURLToPath } from 'node:url';
import { runScript } from '../helpers/private-broker.ts';
import { freePort } from '../helpers/free-port.ts';

const UP = fileURLToPath(new URL('../../scripts/toxiproxy/toxiproxy-up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../../scripts/toxiproxy/toxiproxy-down.sh', import.meta.url));

/** The toxics this harness uses, with Toxiproxy's attribute names. */
export type Toxic =
  | { readonly type: 'latency'; readonly attributes: { readonly latency: number; readonly jitter: number } }
  | { readonly type: 'bandwidth'; readonly attributes: { readonly rate: number } }
  | { readonly type: 'reset_peer'; readonly attributes: { readonly timeout: number } }
  | { readonly type: 'timeout'; readonly attributes: { readonly timeout: number } };

export type ToxicStream = 'upstream' | 'downstream';

export interface ToxiproxyProxy {
  readonly name: string;
  /** `127.0.0.1:<port>` clients connect to. */
  readonly listen: string;
  readonly upstream: string;
}

/** A running Toxiproxy server of this process: its API and what it was asked to do. */
export class Toxiproxy {
  readonly url: string;
  readonly #port: number;

  private constructor(url: string, port: number) {
    this.url = url;
    this.#port = port;
  }

  /** Starts a server on a free loopback port; it is stopped by `stop()` or, if this process dies, by its watchdog. */
  static async start(): Promise<Toxiproxy> {
    const port = await freePort();
    const result = await runScript(UP, { TOXIPROXY_PORT: String(port), TOXIPROXY_OWNER_PID: String(process.pid) });
    const line = result.stdout.split('\n').find((l) => l.startsWith('TOXIPROXY_URL='));
    if (result.code !== 0 || line === undefined) {
      await runScript(DOWN, { TOXIPROXY_PORT: String(port) });
      throw new Error(`toxiproxy-up on port ${port} failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
    }
    return new Toxiproxy(line.slice('TOXIPROXY_URL='.length).trim(), port);
  }

  async stop(): Promise<void> {
    const result = await runScript(DOWN, { TOXIPROXY_PORT: String(this.#port) });
    if (result.code !== 0) throw new Error(`toxiproxy-down on port ${this.#port} failed:\n${result.stderr.slice(-2000)}`);
  }

  /** A proxy `name` on `127.0.0.1:<listenPort>` (a free one unless given) to `upstream`. */
  async createProxy(name: string, upstream: string, listenPort?: number): Promise<ToxiproxyProxy> {
    const listen = `127.0.0.1:${listenPort ?? (await freePort())}`;
    await this.#call('POST', '/proxies', { name, listen, upstream, enabled: true }, 201);
    return { name, listen, upstream };
  }

  /** Adds a toxic; its name is `<type>-<stream>` unless given. Returns the name (to remove it). */
  async addToxic(proxy: string, toxic: Toxic, stream: ToxicStream = 'downstream', name = `${toxic.type}-${stream}`): Promise<string> {
    await this.#call('POST', `/proxies/${proxy}/toxics`, { name, type: toxic.type, stream, toxicity: 1, attributes: toxic.attributes }, 200);
    return name;
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${proxy}/toxics/${name}`, undefined, 204);
  }

  /** Disabled: every connection through the proxy is closed and new ones are refused, until enabled again. */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.#call('POST', `/proxies/${proxy}`, { enabled }, 200);
  }

  /** Every proxy enabled, every toxic removed. */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset', undefined, 204);
  }

  async #call(method: string, path: string, body: unknown, expected: number): Promise<void> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== expected) throw new Error(`toxiproxy ${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
}
