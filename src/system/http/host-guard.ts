import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]']);

/** Loopback addresses and names: `127.0.0.0/8`, `::1`, `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Every interface: `0.0.0.0` or `::`. */
export function isWildcard(host: string): boolean {
  return WILDCARDS.has(host.toLowerCase());
}

export interface HostGuardOptions {
  /** The address bound (`HOST`). */
  readonly boundHost: string;
  /** `HTTP_ALLOWED_HOSTS`, lower case. */
  readonly allowedHosts: readonly string[];
  /**
   * Any `Host` is fine: the bind is a wildcard and either a token guards the API or the process
   * serves none (a stage's probes and metrics, asked by the kubelet and Prometheus by pod IP).
   */
  readonly anyHost: boolean;
}

/** The host name of a `Host` header or an origin's authority, without port, lower case (`[::1]` kept bracketed). */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const colon = a.indexOf(':');
  return colon === -1 ? a : a.slice(0, colon);
}

/**
 * DNS-rebinding and cross-site protection: a request must address this server by a name it knows
 * (`Host`), and a browser's request must come from a page of that name (`Origin`). A page on
 * `evil.example` whose name later resolves to 127.0.0.1 still sends `Host: evil.example`; a form
 * posted from another site carries its `Origin`.
 */
export class HostGuard {
  readonly #names: ReadonlySet<string>;
  readonly #anyHost: boolean;

  constructor(options: HostGuardOptions) {
    this.#names = new Set([...LOOPBACK_NAMES, hostName(options.boundHost), ...options.allowedHosts.map(hostName)]);
    this.#anyHost = options.anyHost;
  }

  /** Throws a 403 naming what was refused and what is accepted. */
  check(host: string | undefined, origin: string | undefined): void {
    const name = hostName(host ?? '');
    if (!this.#anyHost && !this.#known(name)) {
      throw new StreamForgeError(
        ErrorCodes.FORBIDDEN,
        `Host ${JSON.stringify(host ?? '')} is not a name of this server; accepted: ${[...this.#names].join(', ')} (add names with HTTP_ALLOWED_HOSTS)`,
      );
    }
    if (origin === undefined) return;
    const originHost = originHostName(origin);
    // With any Host allowed, a page may still only call the server it was served from.
    const sameSite = originHost !== undefined && (this.#anyHost ? originHost === name : this.#known(originHost));
    if (!sameSite) {
      throw new StreamForgeError(ErrorCodes.FORBIDDEN, `requests from Origin ${JSON.stringify(origin)} are refused: only pages of this server may call it`);
    }
  }

  #known(name: string): boolean {
    return this.#names.has(name) || /^127(\.\d{1,3}){3}$/.test(name);
  }
}

/** `null` (a sandboxed page, a file) or anything but an http(s) URL: no origin we know. */
function originHostName(origin: string): string | undefined {
  if (!URL.canParse(origin)) return undefined;
  const url = new URL(origin);
  return url.protocol === 'http:' || url.protocol === 'https:' ? hostName(url.host) : undefined;
}
