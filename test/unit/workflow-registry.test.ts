import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lifecycleOf, QUEUES_COLLECTION, WorkflowRegistry } from '../../src/actors/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { seriesWorkflow } from '../helpers/series-workflow.ts';

describe('workflow registry lookups by lifecycle', () => {
  it('finds active, retained and released workflows through the index; workflows an older version wrote are indexed at init', async () => {
    const store = new EmbeddedStore(':memory:');
    try {
      const at = (status: 'running' | 'pending' | 'completed' | 'failed', t: number, extra = {}) =>
        seriesWorkflow(`S${t}USDT`, { status, owner: 'm', owner_heartbeat_at: t, updated_at: t, ...extra });
      const old = [at('running', 1), at('completed', 2)];
      // As an older StreamForge wrote them: plain documents, no lifecycle beside them.
      await store.ensureCollection(QUEUES_COLLECTION, { sortField: 'created_at' });
      await store.upsert(QUEUES_COLLECTION, old.map((w) => ({ _key: w.queue_id, ...w })));
      const registry = new WorkflowRegistry(store);
      await registry.init();
      const fresh = [at('pending', 3), at('failed', 4), at('completed', 5, { topics_deleted_at: 6 })];
      for (const w of fresh) await registry.save(w);
      const ids = async (lifecycle: 'active' | 'retained' | 'released') => (await registry.listIn(lifecycle)).map((w) => w.queue_id);
      assert.deepEqual(await ids('active'), [old[0]?.queue_id, fresh[0]?.queue_id]);
      assert.deepEqual(await ids('retained'), [old[1]?.queue_id, fresh[1]?.queue_id]);
      assert.deepEqual(await ids('released'), [fresh[2]?.queue_id]);
      assert.deepEqual(
        [...old, ...fresh].map((w) => lifecycleOf(w)),
        ['active', 'retained', 'active', 'retained', 'released'],
      );
      // What is read back is the workflow, without the stored lookup field.
      assert.deepEqual(await registry.get(fresh[0]?.queue_id ?? ''), fresh[0]);
    } finally {
      await store.close();
    }
  });
});
