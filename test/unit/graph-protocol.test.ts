import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EdgeRule, GraphFeaturesMessage, GraphSnapshot, GraphWindow, graphFeaturesTopic, isGraphSnapshotEnd } from '../../src/protocol/index.ts';

const snapshot = {
  queue_id: 'wf-graph-000001',
  time: 1_704_067_200_000,
  interval: '1h',
  window: 168,
  symbols: ['AUSDT', 'BUSDT', 'CUSDT'],
  features: ['log_return', 'vol_24'],
  x: [
    [0.01, 0.02],
    [-0.003, 0.015],
    [0, 0.01],
  ],
  returns: [0.01, -0.003, 0],
  filled: [2],
  edges: [{ source: 0, target: 1, weight: 0.45 }],
};

describe('graph snapshot messages', () => {
  it('reads a snapshot and the end marker, told apart', () => {
    const s = GraphFeaturesMessage.parse(snapshot);
    assert.equal(isGraphSnapshotEnd(s), false);
    const end = GraphFeaturesMessage.parse({ end_of_stream: true, queue_id: 'wf-graph-000001', snapshots: 12 });
    assert.equal(isGraphSnapshotEnd(end), true);
    assert.equal(graphFeaturesTopic('wf-graph-000001'), 'wf-graph-000001-graph-features');
  });

  it('rejects shapes that do not match the symbols and features', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ x: [[0.01, 0.02], [0, 0]] }, /x must be 3×2/],
      [{ x: [[0.01], [0, 0], [0, 0]] }, /x must be 3×2/],
      [{ returns: [0, 0] }, /returns must have 3 values/],
      [{ filled: [3] }, /filled holds node indices below 3/],
      [{ edges: [{ source: 1, target: 1, weight: 0.5 }] }, /source < target < 3/],
      [{ edges: [{ source: 0, target: 3, weight: 0.5 }] }, /source < target < 3/],
      [{ edges: [{ source: 0, target: 1, weight: 1.5 }] }, /too big|<=1/i],
      [{ x: [[Number.NaN, 0], [0, 0], [0, 0]] }, /number/i],
      [{ symbols: ['AUSDT'], x: [[0, 0]], returns: [0] }, /too small|>=2/i],
    ];
    for (const [change, pattern] of cases) {
      const result = GraphSnapshot.safeParse({ ...snapshot, ...change });
      assert.equal(result.success, false, JSON.stringify(change));
      assert.match(result.error?.issues.map((i) => i.message).join('; ') ?? '', pattern, JSON.stringify(change));
    }
  });
});

describe('graph options', () => {
  it('accepts windows of 3 to 10000 candles', () => {
    assert.equal(GraphWindow.parse(168), 168);
    assert.match(GraphWindow.safeParse(2).error?.issues[0]?.message ?? '', /window too small; accepted: 3 to 10000 candles/);
    assert.match(GraphWindow.safeParse(10_001).error?.issues[0]?.message ?? '', /window too large/);
    assert.equal(GraphWindow.safeParse(1.5).success, false);
  });

  it('reads a threshold or a top-k rule', () => {
    assert.deepEqual(EdgeRule.parse({ kind: 'threshold', threshold: 0.3 }), { kind: 'threshold', threshold: 0.3 });
    assert.deepEqual(EdgeRule.parse({ kind: 'top-k', k: 3 }), { kind: 'top-k', k: 3 });
    assert.match(EdgeRule.safeParse({ kind: 'threshold', threshold: 1.2 }).error?.issues[0]?.message ?? '', /within \[0, 1\]/);
    assert.match(EdgeRule.safeParse({ kind: 'top-k', k: 0 }).error?.issues[0]?.message ?? '', /k ≥ 1/);
  });
});
