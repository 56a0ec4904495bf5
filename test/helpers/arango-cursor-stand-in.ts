// An ArangoDB stand-in over real HTTP for the store's paged reads: it answers the index listing and
// `POST /_api/cursor` for the page query the store builds (its text is checked by the AQL unit
// tests), evaluating the bind parameters over documents held in memory. What the store sends is kept.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoredDocument } from '../../src/actors/ports/index.ts';

export interface CursorRequest {
  readonly query: string;
  readonly bindVars: Record<string, unknown>;
}

export interface ArangoCursorStandIn {
  readonly url: string;
  readonly requests: CursorRequest[];
  close(): Promise<void>;
}

export async function startArangoCursorStandIn(collections: Readonly<Record<string, { sortField: string; documents: StoredDocument[] }>>): Promise<ArangoCursorStandIn> {
  const requests: CursorRequest[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname.endsWith('/_api/index')) {
        const c = collections[url.searchParams.get('collection') ?? ''];
        if (!c) return send(404, { error: true, code: 404, errorNum: 1203, errorMessage: 'collection or view not found' });
        return send(200, { error: false, code: 200, indexes: [{ id: 'c/0', type: 'primary', name: 'primary', fields: ['_key'] }, { id: 'c/1', type: 'persistent', name: 'streamforge_sort', fields: [c.sortField, '_key'] }] });
      }
      if (req.method === 'POST' && url.pathname.endsWith('/_api/cursor')) {
        const body = JSON.parse(text) as CursorRequest;
        requests.push({ query: body.query, bindVars: body.bindVars });
        const c = collections[String(body.bindVars['@collection'])];
        if (!c) return send(404, { error: true, code: 404, errorNum: 1203, errorMessage: 'collection or view not found' });
        return send(201, { error: false, code: 201, hasMore: false, cached: false, result: page(c.documents, body), extra: {} });
      }
      return send(501, { error: true, code: 501, errorNum: 9, errorMessage: `stand-in does not serve ${req.method ?? ''} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The page query's meaning, from its bind parameters (and `DESC` in its text). */
function page(documents: readonly StoredDocument[], { query, bindVars: v }: CursorRequest): unknown[] {
  const field = String(v['sortField']);
  const desc = query.includes(' DESC');
  const sortOf = (d: StoredDocument) => d[field] as number;
  const beyond = (d: StoredDocument) => {
    if (v['afterSort'] === undefined) return true;
    const s = sortOf(d);
    const a = v['afterSort'] as number;
    const k = String(v['afterKey']);
    return desc ? s < a || (s === a && d._key < k) : s > a || (s === a && d._key > k);
  };
  return documents
    .filter((d) => typeof d[field] === 'number')
    .filter((d) => (v['from'] === undefined || sortOf(d) >= (v['from'] as number)) && (v['to'] === undefined || sortOf(d) < (v['to'] as number)))
    .filter(beyond)
    .sort((a, b) => (sortOf(a) - sortOf(b) || (a._key < b._key ? -1 : a._key > b._key ? 1 : 0)) * (desc ? -1 : 1))
    .slice(0, v['limit'] as number)
    .map((doc) => ({ sort: sortOf(doc), doc }));
}
