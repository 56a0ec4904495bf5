// `npm run chaos` itself: a short stage-kill run against a real deployment writes the JSON report
// the issue specifies and exits with its verdict; bad arguments exit 2 naming the flag.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const RUN = fileURLToPath(new URL('../chaos/run.ts', import.meta.url));

function runChaos(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGINT first: the runner tears its deployment down.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run chaos', { timeout: 400_000 }, () => {
  it('refuses a bad profile with exit 2, naming the flag and the accepted values', async () => {
    const { code, stderr } = await runChaos(['--profile', 'medium'], 30_000);
    assert.equal(code, 2);
    assert.match(stderr, /--profile "medium" is not one of short, full/);
    assert.match(stderr, /usage: npm run chaos/);
  });

  it('runs the short stage-kill experiment, prints its row and writes the JSON report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sf-chaos-runner-'));
    try {
      const file = join(dir, 'chaos.json');
      const { code, stdout, stderr } = await runChaos(['--profile', 'short', '--only', 'stage-kill', '--json', file], 360_000);
      const report = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      assert.equal(report['profile'], 'short');
      assert.equal(typeof report['started'], 'string');
      assert.equal(new Date(report['started'] as string).toISOString(), report['started'], 'started is ISO 8601');
      const rows = report['experiments'] as Record<string, unknown>[];
      assert.equal(rows.length, 1);
      const row = rows[0] ?? {};
      assert.deepEqual(Object.keys(row).sort(), ['duplicated', 'expected', 'faults', 'missing', 'name', 'recovery_ms_max', 'recovery_ms_p50', 'restarts', 'stored', 'verdict', 'workflows'].sort());
      assert.equal(row['name'], 'stage-kill');
      assert.ok(row['verdict'] === 'pass' || row['verdict'] === 'fail');
      assert.equal(code, row['verdict'] === 'pass' ? 0 : 1, `exit code follows the verdict\n${stdout}\n${stderr}`);
      assert.equal(row['verdict'], 'pass', `stage-kill lost or duplicated nothing:\n${stdout}`);
      assert.ok((row['faults'] as number) >= 1 && (row['restarts'] as number) >= 1);
      assert.equal(row['missing'], 0);
      assert.equal(row['stored'], row['expected']);
      assert.match(stdout, /^stage-kill\s+\d+\s+3\s+\d+\s+\d+\s+0\s+0\s+.*\s+pass$/m, 'the table row');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
