import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { GnnParams, StartCommand, Targets } from '../../src/protocol/index.ts';
import type { ActorContext, ActorRef, StageRole, StageSpec, SupervisionPolicy } from '../../src/actors/index.ts';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { KubernetesLauncher } from '../../src/system/launcher/index.ts';
import type { KubernetesLauncherOptions } from '../../src/system/launcher/index.ts';
import { createLogger, PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { KubernetesApiStandIn } from '../helpers/kubernetes-api-stand-in.ts';
import { defaultPolicies } from '../helpers/stage-settings.ts';
import type { RecordedRequest } from '../helpers/kubernetes-api-stand-in.ts';
import { waitFor } from '../helpers/wait-for.ts';

const IMAGE = 'registry.example/streamforge:0.2.0';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WAIT_MS = 10_000;
const budget = (maxRestarts: number): SupervisionPolicy => ({ maxRestarts, windowMs: 60_000, initialBackoffMs: 20, maxBackoffMs: 100 });

type ParentMessage = { readonly type: 'launch'; readonly spec: StageSpec } | { readonly type: 'stop' };
interface Outcome {
  readonly kind: 'restarted' | 'failed';
  readonly child: string;
  readonly message: string;
}

/** A workflow supervisor in miniature: launches stages through the launcher and records what supervision reports. */
interface Parent {
  readonly ref: ActorRef<ParentMessage>;
  readonly outcomes: Outcome[];
}

function fresh(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

function stage(role: StageRole, symbol = 'BTCUSDT'): StageSpec {
  const hex = randomBytes(3).toString('hex');
  const graph = role === 'graph-builder' || role === 'trainer';
  const type = graph ? 'gnn_train' : 'api_candles_1m';
  const queue_id = `wf-${graph ? 'multi' : symbol.toLowerCase()}-${type}-20240801-${hex}`;
  return {
    role,
    command: StartCommand.parse({
      command: 'start',
      queue_id,
      target: Targets[role],
      symbol: graph ? 'MULTI' : symbol,
      type,
      time_range: '2024-08-01:2024-08-02',
      kafka_topic: graph ? `${queue_id}-graph-features` : `${queue_id}-data`,
      collection_name: `${graph ? 'multi' : symbol.toLowerCase()}_${type}_2024_08_01`,
      telemetry_id: `${role}__${hex}`,
      // An API caller's choice of image: must be ignored.
      image: 'attacker.example/miner:latest',
      timestamp: 1722500000.123,
      ...(graph ? { gnn: GnnParams.parse({ symbols: [symbol, 'ETHUSDT'], interval: '1h' }) } : {}),
    }),
  };
}

describe('Kubernetes launcher against a Kubernetes API stand-in', () => {
  let api: KubernetesApiStandIn;
  let host: LocalActorHost;
  const jobsDir = { path: '' };

  before(async () => {
    api = await KubernetesApiStandIn.start({ admissionImage: IMAGE });
    host = new LocalActorHost({ logger: createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }), metrics: new PromMetrics({ defaults: false }), clock: systemClock, supervision: defaultPolicies.actorRestart });
    jobsDir.path = await mkdtemp(join(tmpdir(), 'sf-launcher-jobs-'));
  });
  after(async () => {
    await host?.shutdown();
    await api?.close();
    if (jobsDir.path) await rm(jobsDir.path, { recursive: true, force: true });
  });

  function launcher(namespace: string, options: Partial<KubernetesLauncherOptions> = {}): KubernetesLauncher {
    return new KubernetesLauncher({
      image: IMAGE,
      namespace,
      kubeConfig: api.kubeConfig(),
      supervision: budget(2),
      clock: systemClock,
      policies: defaultPolicies,
      stuckPodTimeoutMs: 300,
      resyncIntervalMs: 2_000,
      ...options,
    });
  }

  function parent(l: KubernetesLauncher, spec: StageSpec): Parent {
    const outcomes: Outcome[] = [];
    const ref = host.spawn<ParentMessage>({
      name: fresh('workflow'),
      actorType: 'workflow',
      create: (ctx: ActorContext<ParentMessage>) => ({
        receive(message: ParentMessage) {
          if (message.type === 'launch') l.launch(message.spec, ctx);
          else ctx.stopSelf();
        },
        childRestarted: (child, error) => outcomes.push({ kind: 'restarted', child, message: String((error as Error).message) }),
        childFailed: (child, error) => outcomes.push({ kind: 'failed', child, message: String((error as Error).message) }),
      }),
    });
    ref.tell({ type: 'launch', spec });
    return { ref, outcomes };
  }

  const creates = (namespace: string): RecordedRequest[] => api.requests.filter((r) => r.method === 'POST' && r.path === `/apis/batch/v1/namespaces/${namespace}/jobs`);
  const deletes = (namespace: string, name: string): RecordedRequest[] => api.requests.filter((r) => r.method === 'DELETE' && r.path === `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`);
  const currentJob = (l: KubernetesLauncher, spec: StageSpec, not?: string) =>
    waitFor(`a Job for ${spec.role}${not ? ` other than ${not}` : ''}`, () => {
      const name = l.jobs.get(`${spec.command.queue_id}/${spec.role}`);
      return name && name !== not ? name : undefined;
    }, WAIT_MS);

  for (const role of ['loader', 'connector', 'graph-builder', 'trainer'] as const) {
    it(`creates one ${role} Job of the documented shape, running the configured image, and the API admits it`, async () => {
      const ns = fresh('sf-ns');
      const l = launcher(ns);
      const spec = stage(role);
      const p = parent(l, spec);
      const name = await currentJob(l, spec);
      const stored = api.job(ns, name);
      assert.ok(stored, 'the Job exists in the API');
      assert.ok(stored.metadata.uid && stored.metadata.resourceVersion);
      const [posted] = creates(ns);
      const body = posted?.body as { metadata: { namespace: string; labels: Record<string, string> }; spec: { template: { spec: { containers: Array<{ image: string; args: string[] }> } } } };
      assert.equal(body.metadata.namespace, ns);
      assert.equal(body.metadata.labels['app.kubernetes.io/component'], role);
      assert.equal(body.metadata.labels['streamforge.io/queue-id'], spec.command.queue_id);
      assert.equal(body.spec.template.spec.containers[0]?.image, IMAGE, 'the start command image is ignored');
      assert.deepEqual(body.spec.template.spec.containers[0]?.args, ['serve', '--role', role]);
      assert.ok(!JSON.stringify(body).includes('attacker.example'));
      const env = (body as unknown as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } }).spec.template.spec.containers[0]?.env ?? [];
      if (spec.command.gnn) {
        assert.equal(env.find((e) => e.name === 'SYMBOLS')?.value, spec.command.gnn.symbols.join(','));
        assert.deepEqual(JSON.parse(env.find((e) => e.name === 'GNN_PARAMS')?.value ?? '{}'), spec.command.gnn, 'a graph stage gets its universe and settings');
      }
      await waitFor('the pod watch', () => (api.requests.some((r) => r.path === `/api/v1/namespaces/${ns}/pods` && r.query.watch === 'true') ? true : undefined), WAIT_MS);
      // What went over the wire, kept for scripts/validate-k8s.sh below.
      await writeFile(join(jobsDir.path, `${role}.json`), JSON.stringify(body, null, 2));
      p.ref.tell({ type: 'stop' });
      await waitFor('the Job to be deleted', () => (api.job(ns, name) ? undefined : true), WAIT_MS);
    });
  }

  it('relaunches a failed Job as a new attempt within the budget, then reports childFailed', async () => {
    const ns = fresh('sf-ns');
    const l = launcher(ns);
    const spec = stage('loader');
    const p = parent(l, spec);
    const first = await currentJob(l, spec);
    api.failJob(ns, first, 'DeadlineExceeded', 'Job was active longer than specified deadline');
    const second = await currentJob(l, spec, first);
    assert.match(first, /-1$/);
    assert.match(second, /-2$/);
    assert.equal(deletes(ns, first)[0]?.query.propagationPolicy, 'Background', 'the failed Job is deleted');
    assert.deepEqual(p.outcomes.map((o) => o.kind), ['restarted']);
    assert.match(p.outcomes[0]?.message ?? '', /DeadlineExceeded/);

    api.failPod(ns, second, 'OOMKilled', 137);
    const third = await currentJob(l, spec, second);
    assert.match(third, /-3$/);
    await waitFor('the second restart', () => (p.outcomes.length >= 2 ? true : undefined), WAIT_MS);
    assert.match(p.outcomes[1]?.message ?? '', /OOMKilled/);

    api.failJob(ns, third);
    await waitFor('childFailed', () => (p.outcomes.some((o) => o.kind === 'failed') ? true : undefined), WAIT_MS);
    assert.deepEqual(p.outcomes.map((o) => o.kind), ['restarted', 'restarted', 'failed']);
    await waitFor('the last Job to be deleted', () => (api.jobs(ns).length === 0 ? true : undefined), WAIT_MS);
    assert.equal(creates(ns).length, 3, 'no launch after the budget is spent');
  });

  it('stops the watcher when the Job completes: no relaunch, Job kept for its TTL', async () => {
    const ns = fresh('sf-ns');
    const l = launcher(ns);
    const spec = stage('connector');
    const p = parent(l, spec);
    const name = await currentJob(l, spec);
    api.completeJob(ns, name);
    await waitFor('the watcher to stop', () => (l.jobs.has(`${spec.command.queue_id}/${spec.role}`) ? undefined : true), WAIT_MS);
    assert.equal(creates(ns).length, 1);
    assert.deepEqual(p.outcomes, []);
    assert.ok(api.job(ns, name), 'a completed Job is left to ttlSecondsAfterFinished');
    p.ref.tell({ type: 'stop' });
    assert.equal(deletes(ns, name).length, 0);
  });

  it('stopping the workflow deletes its Jobs', async () => {
    const ns = fresh('sf-ns');
    const l = launcher(ns);
    const loader = stage('loader', 'ETHUSDT');
    const p = parent(l, loader);
    const connector = { ...loader, role: 'connector' as const };
    p.ref.tell({ type: 'launch', spec: connector });
    const names = [await currentJob(l, loader), await currentJob(l, connector)];
    p.ref.tell({ type: 'stop' });
    await waitFor('both Jobs to be deleted', () => (api.jobs(ns).length === 0 ? true : undefined), WAIT_MS);
    for (const name of names) assert.equal(deletes(ns, name)[0]?.query.propagationPolicy, 'Background');
    await waitFor('their pods to go', () => (names.every((n) => api.pods(ns, n).length === 0) ? true : undefined), WAIT_MS);
  });

  it('fails a pod stuck in ImagePullBackOff after the grace period, and ignores a disruption', async () => {
    const ns = fresh('sf-ns');
    const l = launcher(ns);
    const spec = stage('loader');
    const p = parent(l, spec);
    const first = await currentJob(l, spec);
    await waitFor('the pod watch', () => (api.requests.some((r) => r.path === `/api/v1/namespaces/${ns}/pods` && r.query.watch === 'true') ? true : undefined), WAIT_MS);
    api.disruptPod(ns, first);
    api.setPodWaiting(ns, first, 'ImagePullBackOff', 'Back-off pulling image');
    const second = await currentJob(l, spec, first);
    assert.equal(p.outcomes.length, 1);
    assert.match(p.outcomes[0]?.message ?? '', /has not started/);
    assert.ok(second);
    p.ref.tell({ type: 'stop' });
    await waitFor('cleanup', () => (api.jobs(ns).length === 0 ? true : undefined), WAIT_MS);
  });

  it('keeps following the Job when watches close or the API fails, and retries a failed create', async () => {
    const ns = fresh('sf-ns');
    const l = launcher(ns, { resyncIntervalMs: 200 });
    const spec = stage('connector');
    api.failRequests('POST', new RegExp(`/namespaces/${ns}/jobs$`), 500);
    const p = parent(l, spec);
    const name = await currentJob(l, spec);
    assert.equal(p.outcomes[0]?.kind, 'restarted', 'the 500 on create crashed the watcher once');
    assert.equal(creates(ns).length, 2);
    api.failRequests('GET', new RegExp(`/namespaces/${ns}/`), 503, 3);
    api.closeWatches();
    api.completeJob(ns, name);
    await waitFor('the watcher to see completion', () => (l.jobs.has(`${spec.command.queue_id}/${spec.role}`) ? undefined : true), WAIT_MS);
    assert.equal(p.outcomes.length, 1, 'API errors while following a Job are not stage failures');
    assert.equal(creates(ns).length, 2);
    assert.equal(api.requests.filter((r) => r.path.includes(`/namespaces/${ns}/`) && r.status === 503).length, 3, 'the injected failures were met');
  });

  it('watches again from the last resourceVersion when the server closes a watch', async () => {
    const ns = fresh('sf-ns');
    const l = launcher(ns, { resyncIntervalMs: 60_000 }); // no polling within the test: only a watch can tell
    const spec = stage('loader');
    const p = parent(l, spec);
    const name = await currentJob(l, spec);
    const jobWatches = () => api.requests.filter((r) => r.path === `/apis/batch/v1/namespaces/${ns}/jobs` && r.query.watch === 'true' && r.query.fieldSelector === `metadata.name=${name}`);
    await waitFor('the Job watch', () => (jobWatches().length === 1 ? true : undefined), WAIT_MS);
    api.closeWatches();
    await waitFor('a new Job watch', () => (jobWatches().length === 2 ? true : undefined), WAIT_MS);
    assert.ok(jobWatches()[1]?.query.resourceVersion, 'resumed from a resourceVersion');
    api.completeJob(ns, name);
    await waitFor('the watcher to see completion', () => (l.jobs.size === 0 ? true : undefined), WAIT_MS);
    assert.deepEqual(p.outcomes, []);
  });

  it('adopts a running Job left by a previous manager instead of starting a second one', async () => {
    const ns = fresh('sf-ns');
    const before = launcher(ns);
    const spec = stage('loader');
    const p1 = parent(before, spec);
    const name = await currentJob(before, spec);
    before.detach();
    p1.ref.tell({ type: 'stop' });
    await waitFor('the old watcher to stop', () => (before.jobs.size === 0 ? true : undefined), WAIT_MS);
    assert.ok(api.job(ns, name), 'a detached launcher leaves the Job running');

    const successor = launcher(ns);
    const p2 = parent(successor, spec);
    assert.equal(await currentJob(successor, spec), name);
    assert.equal(creates(ns).length, 1);
    p2.ref.tell({ type: 'stop' });
    await waitFor('the adopted Job to be deleted', () => (api.job(ns, name) ? undefined : true), WAIT_MS);
  });

  it('produces Jobs that scripts/validate-k8s.sh accepts (schemas, house rules, checkov)', { timeout: 600_000 }, async () => {
    const run = promisify(execFile);
    try {
      const { stdout } = await run('bash', ['scripts/validate-k8s.sh', '--jobs', jobsDir.path], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
      assert.match(stdout, /all deployment checks passed/);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      assert.fail(`validate-k8s.sh failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  });
});
