// Runs test files while every core is kept busy by spinning child processes, the way a shared CI
// machine is: timing assumptions (a topic's metadata read before the broker hosts it, a timer that
// fires late) show up here and not on an idle machine.
//
//   node scripts/test-under-load.ts [--runs N] [--burners N] [--] [test files…]
//
// Defaults: 1 run, one burner per core, the Kafka integration tests. Prints one line per run and a
// summary; exits 1 when any run failed. The burners are stopped on exit, failure and Ctrl-C.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

const DEFAULT_FILES = ['test/integration/kafka-bus.test.ts', 'test/integration/kafka-workflow.test.ts', 'test/integration/kafka-market-data.test.ts'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '1' },
    burners: { type: 'string', default: String(availableParallelism()) },
  },
});
const runs = Number(values.runs);
const burnerCount = Number(values.burners);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(burnerCount) || burnerCount < 0) {
  console.error('usage: node scripts/test-under-load.ts [--runs N>=1] [--burners N>=0] [--] [test files…]');
  process.exit(2);
}
const files = positionals.length > 0 ? positionals : DEFAULT_FILES;

const burners: ChildProcess[] = [];
function stopBurners(): void {
  for (const b of burners.splice(0)) b.kill('SIGKILL');
}
process.on('exit', stopBurners);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopBurners();
    process.exit(130);
  });
}

function startBurners(): void {
  for (let i = 0; i < burnerCount; i++) {
    // A busy loop at normal priority: the tests compete with it for every core.
    burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
}

function runTests(): Promise<{ code: number; ms: number; failures: string[] }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', '--test', '--test-concurrency=1', '--test-timeout=300000', ...files], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const failures: string[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (/^\s*✖ /.test(line)) failures.push(line.trim());
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, ms: Date.now() - started, failures })));
}

const results: Array<{ code: number; ms: number; failures: string[] }> = [];
try {
  startBurners();
  for (let run = 1; run <= runs; run++) {
    const result = await runTests();
    results.push(result);
    console.log(`# under load (${burnerCount} burners): run ${run}/${runs} ${result.code === 0 ? 'passed' : 'FAILED'} in ${(result.ms / 1000).toFixed(0)} s`);
    for (const f of new Set(result.failures)) console.log(`#   ${f}`);
  }
} finally {
  stopBurners();
}
const passed = results.filter((r) => r.code === 0).length;
console.log(`# under load: ${passed}/${runs} runs passed (${files.join(', ')})`);
process.exit(passed === runs ? 0 : 1);
