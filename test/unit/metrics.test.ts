import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PartitionLag } from '../../src/actors/ports/index.ts';
import { consumerGroupLabel, PromMetrics } from '../../src/system/observability/index.ts';

async function exposition(metrics: PromMetrics): Promise<string> {
  return metrics.registry.metrics();
}

function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('consumer group labels', () => {
  it('keeps fixed names and labels names carrying an id by their pattern', () => {
    const cases: Array<[string, string]> = [
      ['streamforge-connector', 'streamforge-connector'],
      ['streamforge-connector-pool-connector-7d9f-abcde', 'streamforge-connector-pool-{instance}'],
      ['streamforge-connector-wf-btcusdt-api_candles_1m-20240801-a1b2c3', 'streamforge-connector-{queue_id}'],
      ['streamforge-manager-manager-0', 'streamforge-manager-{instance}'],
      ['streamforge-loader-producer__a1b2c3-control', 'streamforge-{telemetry_id}-control'],
      ['streamforge-ping-0a1b2c3d', 'other'],
      ['someone-elses-group', 'other'],
    ];
    for (const [group, label] of cases) assert.equal(consumerGroupLabel(group), label, group);
  });
});

describe('PromMetrics collected gauges', () => {
  it('sums streamforge_consumer_lag per group pattern and partition, with no queue id in any label', async () => {
    const metrics = new PromMetrics({ defaults: false });
    const lags: PartitionLag[] = [
      { groupId: 'streamforge-connector', topic: 'wf-a-data', partition: 0, lag: 5 },
      { groupId: 'streamforge-connector', topic: 'wf-b-data', partition: 0, lag: 7 },
      { groupId: 'streamforge-connector', topic: 'wf-a-data', partition: 1, lag: 1 },
      { groupId: 'streamforge-connector-wf-a', topic: 'wf-a-data', partition: 0, lag: 100 },
      { groupId: 'streamforge-connector-wf-b', topic: 'wf-b-data', partition: 0, lag: 20 },
    ];
    metrics.consumerLag(() => Promise.resolve(lags));
    const text = await exposition(metrics);
    assert.deepEqual(samples(text, 'streamforge_consumer_lag').sort(), [
      'streamforge_consumer_lag{group="streamforge-connector",partition="0"} 12',
      'streamforge_consumer_lag{group="streamforge-connector",partition="1"} 1',
      'streamforge_consumer_lag{group="streamforge-connector-{queue_id}",partition="0"} 120',
    ]);
    assert.doesNotMatch(text, /wf-a|wf-b/);
  });

  it('reads the lag again at each scrape and drops what is gone', async () => {
    const metrics = new PromMetrics({ defaults: false });
    let lags: PartitionLag[] = [{ groupId: 'streamforge-connector', topic: 't', partition: 2, lag: 9 }];
    metrics.consumerLag(() => Promise.resolve(lags));
    assert.deepEqual(samples(await exposition(metrics), 'streamforge_consumer_lag'), ['streamforge_consumer_lag{group="streamforge-connector",partition="2"} 9']);
    lags = [];
    assert.deepEqual(samples(await exposition(metrics), 'streamforge_consumer_lag'), []);
  });

  it('sets streamforge_workflows for every status, zeros included, so a rise of failed shows from the first failure', async () => {
    const metrics = new PromMetrics({ defaults: false });
    metrics.workflowCounts(() => Promise.resolve(new Map([['running', 2], ['failed', 1]] as const)));
    assert.deepEqual(samples(await exposition(metrics), 'streamforge_workflows').sort(), [
      'streamforge_workflows{status="completed"} 0',
      'streamforge_workflows{status="failed"} 1',
      'streamforge_workflows{status="pending"} 0',
      'streamforge_workflows{status="running"} 2',
      'streamforge_workflows{status="stopped"} 0',
    ]);
  });

  it('exports both gauges without samples where there is nothing to read (no manager here, or the read failed)', async () => {
    const metrics = new PromMetrics({ defaults: false });
    metrics.consumerLag(() => Promise.resolve(undefined));
    const text = await exposition(metrics);
    assert.match(text, /^# TYPE streamforge_workflows gauge$/m);
    assert.match(text, /^# TYPE streamforge_consumer_lag gauge$/m);
    assert.deepEqual([...samples(text, 'streamforge_workflows'), ...samples(text, 'streamforge_consumer_lag')], []);
  });
});
