// The README's HTTP table and the OpenAPI document the server generates name the same operations.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startHttpTestServer } from '../helpers/http-test-server.ts';

/** `METHOD /path` of every operation the README's HTTP API table lists (query strings and bodies dropped). */
function readmeOperations(readme: string): Set<string> {
  const section = readme.slice(readme.indexOf('## HTTP API'), readme.indexOf('\n## ', readme.indexOf('## HTTP API') + 5));
  const ops = new Set<string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const first = row.split(' | ')[0] ?? '';
    for (const [, method, path] of first.matchAll(/`(GET|POST|PUT|DELETE|PATCH) (\/[^`?\s]*)/g)) ops.add(`${method ?? ''} ${path ?? ''}`);
  }
  return ops;
}

describe('README HTTP table', () => {
  it('lists exactly the operations of the generated OpenAPI document (and /openapi.json)', async () => {
    const t = await startHttpTestServer();
    try {
      const res = await t.server.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
      assert.equal(doc.openapi, '3.0.3');
      const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
      documented.add('GET /openapi.json');
      const readme = readmeOperations(await readFile(new URL('../../README.md', import.meta.url), 'utf8'));
      assert.ok(readme.size > 10, `the table was found: ${[...readme].join(', ')}`);
      assert.deepEqual([...readme].filter((op) => !documented.has(op)).sort(), [], 'in the README, not in /openapi.json');
      assert.deepEqual([...documented].filter((op) => !readme.has(op)).sort(), [], 'in /openapi.json, not in the README');
    } finally {
      await t.close();
    }
  });
});
