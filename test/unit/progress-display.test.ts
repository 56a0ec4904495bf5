import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Targets } from '../../src/protocol/index.ts';
import type { StageState, Workflow } from '../../src/protocol/index.ts';
import { ProgressDisplay } from '../../src/system/cli/progress-display.ts';
import { workflowCount, workflowProgress } from '../../src/system/cli/workflow-count.ts';
import { TextSink } from '../helpers/text-sink.ts';

function stage(target: string, records: number, expected?: number): StageState {
  return { target, telemetry_id: `${target}__abcdef`, status: 'running', records, restarts: 0, ...(expected !== undefined ? { expected_records: expected } : {}) };
}

function workflow(symbol: string, type: string, stages: Record<string, StageState>, status: Workflow['status'] = 'running'): Workflow {
  return {
    queue_id: `wf-${symbol.toLowerCase()}-${type}-20240801-abcdef`,
    symbol,
    type,
    time_range: '2024-08-01:2024-08-02',
    from_ms: 0,
    to_ms: 1,
    status,
    kafka_topic: 't',
    collection_name: 'c',
    created_at: 0,
    updated_at: 0,
    stages,
  };
}

const candles = (written: number) => workflow('BTCUSDT', 'api_candles_1m', { [Targets.loader]: stage(Targets.loader, 1440, 1440), [Targets.connector]: stage(Targets.connector, written) });
const trades = (written: number) => workflow('ETHUSDT', 'api_trades', { [Targets.loader]: stage(Targets.loader, 0, 4000), [Targets.connector]: stage(Targets.connector, written) });

/** What a terminal shows once the block's cursor moves and erasures are applied: its last lines. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  // eslint-disable-next-line no-control-regex -- ANSI escapes are what a terminal gets
  for (const part of text.split(/(\r|\n|\u001b\[\d*[AJK])/)) {
    if (part === '\n') lines.push('');
    else if (part === '\r') lines[lines.length - 1] = '';
    // eslint-disable-next-line no-control-regex -- ANSI escapes are what a terminal gets
    else if (/^\u001b\[\d*A$/.test(part)) lines.splice(lines.length - Number(/\d+/.exec(part)?.[0] ?? 1) - 1, Number(/\d+/.exec(part)?.[0] ?? 1));
    else if (part === '\u001b[J' || part === '\u001b[K') continue;
    else lines[lines.length - 1] += part;
  }
  return lines.filter((l) => l !== '');
}

describe('ProgressDisplay', () => {
  it('names what each workflow counts: candles, trades, depth updates and snapshots, graph snapshots, epochs', () => {
    assert.equal(workflowCount(candles(10)).unit, 'candles');
    assert.equal(workflowCount(trades(10)).unit, 'aggregate trades');
    assert.equal(workflowCount(workflow('BTCUSDT', 'ws_trades', { [Targets.connector]: stage(Targets.connector, 1) })).unit, 'trades');
    assert.equal(workflowCount(workflow('BTCUSDT', 'ws_depth', { [Targets.connector]: stage(Targets.connector, 1) })).unit, 'depth updates and book snapshots');
    assert.equal(workflowCount(workflow('BTCUSDT', 'graph', { 'graph-builder': stage('graph-builder', 3, 10) })).unit, 'graph snapshots');
    assert.deepEqual(workflowCount(workflow('BTCUSDT', 'model', { trainer: stage('trainer', 4, 50) })), { done: 4, expected: 50, unit: 'graph snapshots' });
    // A gnn_train workflow: snapshots while the graph is built, then the trainer's epochs while it fits, then snapshots again once it ended.
    const builder = stage('graph-builder', 900, 1000);
    const fitting = { ...stage('trainer', 1000), training: { model: 'gcn', epoch: 12, epochs: 60 } };
    assert.deepEqual(workflowCount(workflow('MULTI', 'gnn_train', { 'graph-builder': builder, trainer: stage('trainer', 0) })), { done: 900, expected: 1000, unit: 'graph snapshots' });
    assert.deepEqual(workflowCount(workflow('MULTI', 'gnn_train', { 'graph-builder': builder, trainer: fitting })), { done: 12, expected: 60, unit: 'epochs (gcn)' });
    assert.equal(workflowCount(workflow('MULTI', 'gnn_train', { 'graph-builder': builder, trainer: fitting }, 'completed')).unit, 'graph snapshots');
    assert.deepEqual(workflowCount(candles(720)), { done: 720, expected: 1440, unit: 'candles' }, "the connector's count of the loader's expected total");
  });

  it('shows several workflows on a terminal, a bar each and a total, redrawn in place', () => {
    let now = 0;
    const err = new TextSink(true);
    const display = new ProgressDisplay({ out: new TextSink(false), err, env: {} }, { enabled: true, now: () => now });
    display.update([candles(0), trades(0)].map(workflowProgress));
    now = 1_000;
    display.update([candles(720), trades(1000)].map(workflowProgress));
    display.finish();
    const shown = screen(err.text);
    assert.equal(shown.length, 3, shown.join('\n'));
    assert.match(shown[0] ?? '', /^BTCUSDT api_candles_1m .* 50% 720\/1,440 candles {2}720\/s {2}ETA 1s {2}\[running\]$/);
    assert.match(shown[1] ?? '', /^ETHUSDT api_trades {5}.* 25% 1,000\/4,000 aggregate trades {2}1,000\/s {2}ETA 3s {2}\[running\]$/);
    assert.match(shown[2] ?? '', /^total .* 31% 1,720\/5,440 records {2}1,720\/s {2}ETA 3s {2}\[0\/2 done\]$/);
  });

  it('writes plain lines at most every 2 s where stderr is no terminal', () => {
    let now = 0;
    const err = new TextSink(false);
    const display = new ProgressDisplay({ out: new TextSink(false), err, env: {} }, { enabled: true, now: () => now });
    for (const [t, n] of [[0, 0], [500, 100], [1_999, 200], [2_000, 400]] as const) {
      now = t;
      display.update([workflowProgress(candles(n))]);
    }
    display.finish();
    assert.deepEqual(err.text.trimEnd().split('\n'), ['progress BTCUSDT api_candles_1m: running, 0/1440 candles, 0/s, eta -', 'progress BTCUSDT api_candles_1m: running, 400/1440 candles, 200/s, eta 6s']);
  });

  it('prints nothing with --no-progress', () => {
    const err = new TextSink(true);
    const display = new ProgressDisplay({ out: new TextSink(false), err, env: {} }, { enabled: false, now: () => 0 });
    display.update([workflowProgress(candles(5))]);
    display.finish();
    assert.equal(err.text, '');
  });
});
