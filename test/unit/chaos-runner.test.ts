// The chaos runner's own logic: its arguments, its table and JSON rows, the verdict, and how it
// treats an experiment that throws or a run that is interrupted (fake experiments, no deployment).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ChaosUsageError, parseChaosArgs } from '../chaos/chaos-args.ts';
import type { ChaosExperiment, ChaosMeasurement } from '../chaos/chaos-experiment.ts';
import { runChaos } from '../chaos/chaos-runner.ts';
import { formatTable, percentile, rowOf } from '../chaos/chaos-table.ts';

const NAMES = ['stage-kill', 'stall', 'store-faults'];

const clean: ChaosMeasurement = { faults: 3, workflows: 2, expected: 100, stored: 100, missing: 0, duplicated: 0, recoveryMs: [300, 100, 200, 900], restarts: 3, checks: [{ name: 'fenced', ok: true }] };

function experiment(name: ChaosExperiment['name'], run: ChaosExperiment['run']): ChaosExperiment {
  return { name, chaosMesh: { none: 'a fake' }, run };
}

describe('chaos runner arguments', () => {
  it('defaults to the short profile, no JSON, every experiment', () => {
    assert.deepEqual(parseChaosArgs([], NAMES), { profile: 'short', json: undefined, only: undefined });
  });

  it('reads --profile, --json and --only, spaced or with =', () => {
    assert.deepEqual(parseChaosArgs(['--profile', 'full', '--json=/tmp/x.json', '--only', 'stall,stage-kill'], NAMES), { profile: 'full', json: '/tmp/x.json', only: ['stall', 'stage-kill'] });
    assert.deepEqual(parseChaosArgs(['--profile=short', '--json', 'out.json'], NAMES), { profile: 'short', json: 'out.json', only: undefined });
  });

  it('names the flag and what it accepts for each bad argument, all at once', () => {
    const err = (argv: string[]) => {
      try {
        parseChaosArgs(argv, NAMES);
      } catch (e) {
        assert.ok(e instanceof ChaosUsageError);
        return e.message;
      }
      return assert.fail(`${argv.join(' ')} was accepted`);
    };
    assert.match(err(['--profile', 'long']), /--profile "long" is not one of short, full/);
    assert.match(err(['--profile']), /--profile needs a value \(short or full\)/);
    assert.match(err(['--json']), /--json needs a value \(a file path\)/);
    assert.match(err(['--json', '--profile', 'full']), /--json needs a value/);
    assert.match(err(['--only', 'stall,nope']), /--only: no experiment "nope" \(known: stage-kill, stall, store-faults\)/);
    assert.match(err(['--verbose']), /unknown argument "--verbose": accepted are --profile, --json, --only/);
    const both = err(['--profile', 'x', '--bogus']);
    assert.match(both, /--profile "x"/);
    assert.match(both, /--bogus/);
    assert.match(both, /usage: npm run chaos/);
  });
});

describe('chaos rows and table', () => {
  it('takes the nearest-rank p50 and max of the recoveries, null without any', () => {
    assert.equal(percentile([300, 100, 200, 900], 50), 200);
    assert.equal(percentile([300, 100, 200, 900], 100), 900);
    assert.equal(percentile([7], 50), 7);
    assert.equal(percentile([], 50), null);
  });

  it('passes a clean measurement and fails any loss, duplicate, failed check or a run without faults', () => {
    assert.deepEqual(rowOf('stall', clean), {
      name: 'stall', faults: 3, workflows: 2, expected: 100, stored: 100, missing: 0, duplicated: 0, recovery_ms_p50: 200, recovery_ms_max: 900, restarts: 3, verdict: 'pass',
    });
    assert.equal(rowOf('stall', { ...clean, missing: 1, stored: 99 }).verdict, 'fail');
    assert.equal(rowOf('stall', { ...clean, duplicated: 1 }).verdict, 'fail');
    assert.equal(rowOf('stall', { ...clean, checks: [{ name: 'fenced', ok: false }] }).verdict, 'fail');
    assert.equal(rowOf('stall', { ...clean, faults: 0 }).verdict, 'fail');
  });

  it('prints a header, a rule and one aligned line per experiment', () => {
    const lines = formatTable([rowOf('stage-kill', clean), rowOf('stall', { ...clean, recoveryMs: [], missing: 12, stored: 88 })]).split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^experiment\s+faults\s+workflows\s+expected\s+stored\s+missing\s+duplicated\s+recovery p50\/max\s+restarts\s+verdict$/);
    assert.match(lines[2] ?? '', /^stage-kill\s+3\s+2\s+100\s+100\s+0\s+0\s+200 ms \/ 900 ms\s+3\s+pass$/);
    assert.match(lines[3] ?? '', /^stall\s+3\s+2\s+100\s+88\s+12\s+0\s+- \/ -\s+3\s+fail$/);
    const verdictAt = lines[0]?.indexOf('verdict');
    assert.deepEqual([lines[2]?.search(/pass$/), lines[3]?.search(/fail$/)], [verdictAt, verdictAt], 'the verdict column is aligned');
  });
});

describe('chaos run', () => {
  const log = pino({ level: 'silent' });

  it('runs the experiments in order, makes a fail row of one that throws, and keeps going', async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    const report = await runChaos({
      profile: 'short',
      signal: new AbortController().signal,
      log,
      progress: (l) => lines.push(l),
      experiments: [
        experiment('stage-kill', (ctx) => {
          ran.push(`stage-kill ${ctx.profile} ${ctx.workDir !== ''}`);
          return Promise.resolve(clean);
        }),
        experiment('stall', () => Promise.reject(new Error('the broker did not start'))),
        experiment('store-faults', () => {
          ran.push('store-faults');
          return Promise.resolve({ ...clean, missing: 5, stored: 95 });
        }),
      ],
    });
    assert.deepEqual(ran, ['stage-kill short true', 'store-faults']);
    assert.equal(report.profile, 'short');
    assert.ok(!Number.isNaN(Date.parse(report.started)) && report.started.endsWith('Z'), `ISO 8601: ${report.started}`);
    assert.deepEqual(report.experiments.map((r) => [r.name, r.verdict]), [['stage-kill', 'pass'], ['stall', 'fail'], ['store-faults', 'fail']]);
    assert.ok(lines.some((l) => l.includes('stall: fail') && l.includes('the broker did not start')), 'the error is printed');
    assert.ok(lines.some((l) => l.includes('check fenced: ok')));
  });

  it('passes the abort to the running experiment and skips the rest once interrupted', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    let sawAbort = false;
    const report = await runChaos({
      profile: 'full',
      signal: controller.signal,
      log,
      progress: (l) => lines.push(l),
      experiments: [
        experiment('stage-kill', async (ctx) => {
          const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          controller.abort();
          await aborted;
          sawAbort = true;
          return { ...clean, missing: 40, stored: 60 };
        }),
        experiment('stall', () => assert.fail('an experiment ran after the interruption')),
      ],
    });
    assert.ok(sawAbort);
    assert.deepEqual(report.experiments.map((r) => r.name), ['stage-kill']);
    assert.ok(lines.some((l) => l === 'stall: skipped (interrupted)'));
  });
});
