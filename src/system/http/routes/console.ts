import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorCodes, StreamForgeError } from '../../../protocol/index.ts';
import type { RouteContext } from '../route-context.ts';

/** The console's files: plain ES modules, CSS and one HTML page, shipped with the package (`console/`). */
const CONSOLE_DIR = new URL('../../../../console/', import.meta.url);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Scripts and styles from this server only, no inline script or style attribute, no framing, no
 * plug-ins, forms and fetches to this server only: a page injected with markup runs nothing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Reads the console's files once, at start: only these are served, whatever a path asks for. */
async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const name of await readdir(CONSOLE_DIR)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined) continue;
    const body = await readFile(new URL(name, CONSOLE_DIR));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

const AssetParams = z.object({ file: z.string().regex(/^[a-z0-9-]+\.(js|css|svg)$/, { error: 'expected a console file name' }) });

/**
 * The web console at `/`: its page and files, public (they hold no data; every call the page makes
 * sends the token), behind the Host/Origin checks of every route, with a strict CSP. Files are
 * revalidated by ETag on each load (`no-cache`), so a new version is picked up at once.
 */
export const consoleRoutes: FastifyPluginAsyncZod<RouteContext> = async (app) => {
  const assets = await loadAssets();
  const serve = (name: string, ifNoneMatch: string | undefined) => {
    const asset = assets.get(name);
    if (asset === undefined) throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no console file ${name}`);
    return { asset, fresh: ifNoneMatch === asset.etag };
  };
  const pub = { auth: 'none' } as const;

  app.get('/', { config: pub, schema: { hide: true } }, (req, reply) => {
    const { asset, fresh } = serve('index.html', req.headers['if-none-match']);
    void reply.headers({ ...SECURITY_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' });
    return fresh ? reply.code(304).send() : reply.type(asset.type).send(asset.body);
  });
  app.get('/console/:file', { config: pub, schema: { hide: true, params: AssetParams } }, (req, reply) => {
    const { asset, fresh } = serve(req.params.file, req.headers['if-none-match']);
    void reply.headers({ ...SECURITY_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' });
    return fresh ? reply.code(304).send() : reply.type(asset.type).send(asset.body);
  });
};
