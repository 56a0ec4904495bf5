import { ConfigError } from '../../protocol/index.ts';
import { isLoopback } from './host-guard.ts';

/**
 * Refuses to serve the data and control API beyond loopback without a token, unless told that
 * something else authenticates (`STREAMFORGE_INSECURE_NO_AUTH=true`, e.g. a proxy in front).
 */
export function assertSafeBind(host: string, servesApi: boolean, config: { readonly STREAMFORGE_API_TOKEN?: string | undefined; readonly STREAMFORGE_INSECURE_NO_AUTH: boolean }): void {
  if (!servesApi || isLoopback(host) || config.STREAMFORGE_API_TOKEN !== undefined || config.STREAMFORGE_INSECURE_NO_AUTH) return;
  throw new ConfigError(
    `refusing to serve the data and control API on ${host} without a token: anyone who reaches it could start workflows and read data. ` +
      'Set STREAMFORGE_API_TOKEN (clients send Authorization: Bearer <token>), ' +
      'or set STREAMFORGE_INSECURE_NO_AUTH=true if something in front authenticates; or bind loopback (HOST=127.0.0.1).',
  );
}
