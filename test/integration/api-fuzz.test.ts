// Issue: one image, actor runtime and embedded engine. "A bad body gets 400 with {code, message}
// naming the field and what is accepted; never a 500": schemathesis fuzzes every operation of the
// served OpenAPI document (valid and invalid data, unexpected methods, stateful sequences) against
// a real `serve --role all`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePythonPackage } from '../helpers/python-env.ts';
import { makeDataDir } from '../helpers/test-runtime.ts';
import { startServe } from '../helpers/serve-process.ts';
import type { ServeProcess } from '../helpers/serve-process.ts';

const TOKEN = 'fuzz-token';

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // In a scratch dir: schemathesis keeps its example database in `.schemathesis/` of the working dir.
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the HTTP API under schemathesis', { timeout: 600_000 }, () => {
  let serve: ServeProcess | undefined;
  let dataDir: string;
  let st: string;

  before(async () => {
    const python = await ensurePythonPackage('schemathesis==4.32.5');
    st = join(dirname(python), 'st');
    dataDir = await makeDataDir();
    // An exchange nobody answers on: the workflows the fuzzer creates fail within seconds instead of loading years of data.
    serve = await startServe({
      STREAMFORGE_DATA_DIR: dataDir,
      BINANCE_API_URL: 'http://127.0.0.1:9',
      EXCHANGE_MAX_ATTEMPTS: '1',
      STREAMFORGE_API_TOKEN: TOKEN,
    });
  });
  after(async () => {
    await serve?.process.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every generated request as documented: no 5xx, invalid data rejected with 4xx, responses match their schemas, 405 with Allow', { timeout: 600_000 }, async (t) => {
    const result = await run(
      st,
      [
        'run',
        `${serve?.base ?? ''}/openapi.json`,
        '--header',
        `Authorization: Bearer ${TOKEN}`,
        // Every check but one: data the schema calls valid may still break a rule no schema states
        // (from before to, a symbol the exchange lists), and is rightly answered 400.
        '--checks',
        'all',
        '--exclude-checks',
        'positive_data_acceptance',
        '--mode',
        'all',
        '--phases',
        'coverage,fuzzing,stateful',
        '--max-examples',
        '60',
        '--workers',
        '1',
        '--seed',
        '20261124',
        '--request-timeout',
        '30',
        // An event stream never ends by itself: every request would wait out the timeout. Its own
        // tests (event-stream.test.ts) cover it; everything else is fuzzed.
        '--exclude-path',
        '/events',
      ],
      dataDir,
      540_000,
    );
    const summary = result.output.slice(result.output.lastIndexOf('Test cases:'));
    assert.equal(result.code, 0, `schemathesis found failures:\n${result.output.slice(-20_000)}`);
    const generated = Number(/(\d+) generated/.exec(summary)?.[1] ?? 0);
    t.diagnostic(`schemathesis: ${summary.split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ').trim()}`);
    assert.ok(generated > 500, `enough requests were generated: ${summary}`);
    assert.equal(serve?.process.child.exitCode, null, `serve is still up: ${serve?.process.stderr() ?? ''}`);
  });
});
