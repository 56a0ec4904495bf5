import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Targets } from '../../src/protocol/index.ts';
import type { TelemetryEvent, Workflow } from '../../src/protocol/index.ts';
import { ContainerHost, containersUnavailable, ISOLATION } from '../helpers/buildah-containers.ts';
import type { RunningContainer } from '../helpers/buildah-containers.ts';
import { openDataDir } from '../helpers/data-dir-view.ts';
import type { DataDirView } from '../helpers/data-dir-view.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { KubernetesApiStandIn } from '../helpers/kubernetes-api-stand-in.ts';
import { runCli } from '../helpers/run-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { assertExactCandles } from '../integration/exact-data.ts';

// The one image, built from this tree (or the one STREAMFORGE_TEST_IMAGE names, as .ci/run builds it
// just before) and run as containers without a daemon: each role, the user, the file system, the
// HEALTHCHECK, and SIGTERM to PID 1 as Kubernetes sends it.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UID = 10001;
const unavailable = containersUnavailable();
if (unavailable) process.stderr.write(`image tests skipped: ${unavailable}\n`);

const from = Date.parse('2022-01-01T00:00:00Z');
const to = Date.parse('2022-04-01T00:00:00Z'); // 129,600 one-minute candles

async function ready(base: string, container: RunningContainer, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${base}/health/ready`, async () => {
    if (await Promise.race([container.exited.then(() => true), Promise.resolve(false)])) throw new Error(`the container exited:\n${container.output()}`);
    try {
      const res = await request(`${base}/health/ready`);
      await res.body.text();
      return res.statusCode === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  }, timeoutMs, 50);
}

/** The image listens on every interface (HOST=0.0.0.0), so the API needs its token: as a deployment sets it. */
const API_TOKEN = 'image-test-token';

async function createWorkflow(base: string, body: Record<string, unknown>): Promise<Workflow> {
  const res = await request(`${base}/queues`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  assert.equal(res.statusCode, 201, text);
  return (JSON.parse(text) as { workflow: Workflow }).workflow;
}

const interruptedOf = (events: readonly TelemetryEvent[], queueId: string) => events.filter((e) => e.queue_id === queueId && e.status === 'interrupted');

describe('the image, as containers', { skip: unavailable }, () => {
  let image: string;
  let host: ContainerHost;
  let sim: ExchangeSimulator;
  let exchangeEnv: Record<string, string>;

  before(async () => {
    image = process.env.STREAMFORGE_TEST_IMAGE ?? '';
    if (!image) {
      await promisify(execFile)('bash', [join(ROOT, 'scripts/image/build-image.sh')], { maxBuffer: 16 * 1024 * 1024, timeout: 900_000 });
      image = 'localhost/streamforge:dev';
    }
    host = await ContainerHost.open(image);
    sim = await startExchangeSimulator({ latencyMs: 25 });
    exchangeEnv = { BINANCE_API_URL: sim.url, BINANCE_WS_URL: sim.url.replace(/^http/, 'ws'), BINANCE_ARCHIVE_URL: sim.url, LOG_LEVEL: 'warn', STREAMFORGE_API_TOKEN: API_TOKEN };
  }, { timeout: 1_200_000 });
  after(async () => {
    await host?.close();
    await sim?.close();
  });

  describe('role all', () => {
    // Opened once a container made the files: files the host made first would be root's, and read-only to the container.
    let view: DataDirView | undefined;
    before(async () => {
      await host.resetData();
    });
    after(async () => {
      await view?.close();
    });

    it(`runs as uid ${UID}${ISOLATION === 'oci' ? ' and PID 1' : ''}, /app read-only and /data writable to it, HEALTHCHECK passes, a backfill is exact`, async (t) => {
      const port = await freePort();
      const env = { ...exchangeEnv, PORT: String(port) };
      const started = Date.now();
      const all = host.run({ env });
      try {
        await ready(`http://127.0.0.1:${port}`, all);
        view = await openDataDir(await host.dataVolume());
        t.diagnostic(`start to ready: ${Date.now() - started} ms (buildah run included), isolation ${ISOLATION}`);
        const status = await all.status();
        assert.equal(status.uid, UID);
        if (ISOLATION === 'oci') assert.equal(status.pidInside, 1, 'node is PID 1');
        const writable = async (path: string) => (await host.exec(['sh', '-c', `touch ${path}/.probe && rm ${path}/.probe`])).code === 0;
        assert.equal(await writable('/app'), false, '/app is not writable by the runtime user');
        assert.equal(await writable('/app/node_modules'), false);
        assert.equal(await writable('/data'), true, '/data is writable by the runtime user');

        const check = host.config.healthcheck;
        assert.ok(check, 'the image has a HEALTHCHECK');
        assert.equal((await host.exec(check, { env })).code, 0, 'HEALTHCHECK exits 0 on a healthy container');
        assert.notEqual((await host.exec(check, { env: { PORT: String(await freePort()) } })).code, 0, 'and non-zero where nothing answers');

        const wf = await createWorkflow(`http://127.0.0.1:${port}`, { symbol: 'BTCUSDT', type: 'api_candles_1m', from: '2024-08-01', to: '2024-08-03' });
        const files = view;
        await waitFor('the backfill to complete', async () => ((await files.workflow(wf.queue_id))?.status === 'completed' ? true : undefined), 120_000);
        assert.equal(await assertExactCandles(files.store, wf.collection_name, 'BTCUSDT', '1m', Date.parse('2024-08-01'), Date.parse('2024-08-03')), 2880);
        const { code, ms } = await all.stop('SIGTERM', 10_000);
        t.diagnostic(`idle SIGTERM: exit ${String(code)} after ${ms} ms`);
        assert.equal(code, 0);
      } finally {
        await all.kill();
      }
    });

    it('SIGTERM to PID 1 mid-run: exit 0 within 10 s, the workflow left running; the container back on the same /data resumes it exactly, no interrupted', async (t) => {
      const port = await freePort();
      // The pod's name: the same manager coming back owns its workflows at once.
      const env = { ...exchangeEnv, PORT: String(port), STREAMFORGE_INSTANCE_ID: 'streamforge-0', CONNECTOR_BATCH_SIZE: '1000' };
      const files = view ?? assert.fail('the first test opens /data');
      let all = host.run({ env });
      try {
        await ready(`http://127.0.0.1:${port}`, all);
        const wf = await createWorkflow(`http://127.0.0.1:${port}`, { symbol: 'ETHUSDT', type: 'api_candles_1m', from: '2022-01-01', to: '2022-04-01' });
        const written = async () => (await files.workflow(wf.queue_id))?.stages[Targets.connector]?.records ?? 0;
        await waitFor('the connector to write', async () => ((await written()) > 10_000 ? true : undefined), 120_000);
        const { code, ms } = await all.stop('SIGTERM', 10_000);
        t.diagnostic(`mid-run SIGTERM: exit ${String(code)} after ${ms} ms`);
        assert.equal(code, 0);
        const left = await files.workflow(wf.queue_id);
        assert.equal(left?.status, 'running', 'left running, not stopped');
        for (const target of [Targets.loader, Targets.connector]) assert.notEqual(left?.stages[target]?.status, 'stopped');
        const stored = left?.stages[Targets.connector]?.records ?? 0;

        const restarted = Date.now();
        all = host.run({ env });
        await ready(`http://127.0.0.1:${port}`, all);
        t.diagnostic(`restart to ready: ${Date.now() - restarted} ms`);
        await waitFor(`${wf.queue_id} to complete`, async () => ((await files.workflow(wf.queue_id))?.status === 'completed' ? true : undefined), 240_000);
        assert.equal(await assertExactCandles(files.store, wf.collection_name, 'ETHUSDT', '1m', from, to), 129_600);
        await files.connectorFinished(wf.queue_id);
        assert.deepEqual(interruptedOf(files.events, wf.queue_id), []);
        t.diagnostic(`resumed from ${stored} stored candles to 129600, exact`);
        assert.equal((await all.stop('SIGTERM', 10_000)).code, 0);
      } finally {
        await all.kill();
      }
    });
  });

  it('SIGTERM while it starts: PID 1 is not deaf to it, and exits 0', async (t) => {
    await host.resetData();
    const port = await freePort();
    // Node's compile-cache log says which module it loads: once it reaches main.ts, bin/streamforge.js
    // has installed the latch, and the CLI (seconds of loading) and the runtime are still to start.
    const all = host.run({ env: { ...exchangeEnv, PORT: String(port), NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } });
    try {
      await waitFor('node to load the CLI', () => (all.output().includes('file:///app/src/system/cli/main.ts') ? true : undefined), 60_000, 5);
      assert.doesNotMatch(all.output(), /listening on/, 'signalled before the server listens');
      // Node as PID 1 ignores a signal it has no handler of its own for: before the latch, this SIGTERM was lost.
      const { code, ms } = await all.stop('SIGTERM', 10_000);
      t.diagnostic(`SIGTERM while loading the CLI: exit ${String(code)} after ${ms} ms`);
      assert.equal(code, 0);
    } finally {
      await all.kill();
    }
  });

  it('role dummy answers ping, and stops on stop', async () => {
    const dir = await host.resetData();
    const dummy = host.run({ args: ['serve', '--role', 'dummy', '--queue-id', 'wf-dummy-c0ffee', '--simulate-loading', '--tick-ms', '100', '--ticks', '100000'], env: { PORT: String(await freePort()) } });
    try {
      await waitFor('the dummy to start', () => (dummy.output().includes('dummy-service for wf-dummy-c0ffee') ? true : undefined), 60_000);
      const env = { STREAMFORGE_DATA_DIR: dir };
      const ping = await runCli(['ping', '--queue-id', 'wf-dummy-c0ffee', '--expect-pong'], env);
      assert.equal(ping.code, 0, ping.stderr);
      assert.match(ping.stdout, /^pong from dummy-service__[0-9a-f]{6} for wf-dummy-c0ffee: rtt=\d+\.\d ms$/m);
      const stop = await runCli(['stop', '--queue-id', 'wf-dummy-c0ffee'], env);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(await Promise.race([dummy.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 15_000).unref())]), 0, dummy.output());
    } finally {
      await dummy.kill();
    }
  });

  it('manager, loader and connector as containers of their own on a shared /data (the manager launches Jobs, the test plays the kubelet); SIGTERM to the manager: exit 0, Jobs left running, the next manager adopts them; SIGTERM to the loader: exit 143, a new pod; exact', async (t) => {
    await host.resetData();
    const kube = await mkdtemp(join(tmpdir(), 'sf-image-kube-'));
    const api = await KubernetesApiStandIn.start({ admissionImage: image });
    // Slow enough (one slice, 150 ms a page: 20 s of loading) that the loader is still at work after a manager restart.
    const slowSim = await startExchangeSimulator({ latencyMs: 150 });
    const namespace = 'streamforge-image-test';
    let view: DataDirView | undefined;
    const configMap = { ...exchangeEnv, BINANCE_API_URL: slowSim.url, LOADER_CONCURRENCY: '1', CONNECTOR_BATCH_SIZE: '1000' };
    const pods = new Map<string, RunningContainer>();
    const exits: Array<{ pod: string; code: number | null }> = [];
    let kubeletOn = true;
    // The kubelet: a container for each pod the Job controller made, its exit reported back.
    const kubelet = (async () => {
      while (kubeletOn) {
        for (const job of api.jobs(namespace)) {
          for (const pod of api.pods(namespace, job.metadata.name)) {
            if (pods.has(pod.metadata.name) || (pod.status.phase !== 'Pending' && pod.status.phase !== 'Running' && pod.status.phase !== undefined)) continue;
            const spec = (job.spec as { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string }> }> } } }).template.spec.containers[0];
            assert.ok(spec, `Job ${job.metadata.name} has a container`);
            const literal = Object.fromEntries(spec.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
            const container = host.run({ args: spec.args, env: { ...configMap, ...literal, K8S_NAMESPACE: namespace, PORT: String(await freePort()) } });
            pods.set(pod.metadata.name, container);
            const jobName = job.metadata.name;
            void container.exited.then((code) => {
              exits.push({ pod: pod.metadata.name, code });
              if (!api.job(namespace, jobName)) return; // deleted meanwhile
              if (code === 0) api.completeJob(namespace, jobName);
              else if (code === 143) api.disruptPod(namespace, jobName); // as after an eviction: the Job makes a new pod
              else api.failPod(namespace, jobName, 'Error', code ?? 137);
            });
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const kubeconfig = join(kube, 'config');
    await writeFile(kubeconfig, api.kubeConfig().exportConfig());
    await chown(kube, UID, UID);
    await chown(kubeconfig, UID, UID);
    const port = await freePort();
    const startManager = () =>
      host.run({
        args: ['serve', '--role', 'manager'],
        // The pod's name, kept by a StatefulSet: the manager coming back owns its workflows at once.
        env: { ...configMap, PORT: String(port), STREAMFORGE_LAUNCHER: 'kubernetes', KUBECONFIG: '/kube/config', K8S_NAMESPACE: namespace, STREAMFORGE_IMAGE: image, STREAMFORGE_INSTANCE_ID: 'streamforge-manager-0' },
        volumes: [`${kube}:/kube:ro`],
      });
    let manager = startManager();
    try {
      await ready(`http://127.0.0.1:${port}`, manager);
      view = await openDataDir(await host.dataVolume());
      const files = view;
      const wf = await createWorkflow(`http://127.0.0.1:${port}`, { symbol: 'BTCUSDT', type: 'api_candles_1m', from: '2022-01-01', to: '2022-04-01' });
      const stage = async (target: string) => (await files.workflow(wf.queue_id))?.stages[target];
      // What is stored, not what the registry says: without a manager nobody writes the registry.
      const written = () => files.store.count(wf.collection_name, { from, to }).catch(() => 0); // until the connector made it
      await waitFor('the connector container to write', async () => ((await written()) > 5_000 ? true : undefined), 180_000);

      const stopped = await manager.stop('SIGTERM', 10_000);
      t.diagnostic(`manager container: exit ${String(stopped.code)} ${stopped.ms} ms after SIGTERM`);
      assert.equal(stopped.code, 0);
      assert.equal((await files.workflow(wf.queue_id))?.status, 'running', 'the workflow is left running');
      const running = () => [...pods].filter(([name]) => !exits.some((e) => e.pod === name));
      assert.equal(api.jobs(namespace).length, 2, 'the Jobs are left for the next manager');
      const before = await written();
      await waitFor('the stage containers to go on without a manager', async () => ((await written()) > before + 2_000 ? true : undefined), 60_000);

      manager = startManager();
      await ready(`http://127.0.0.1:${port}`, manager);
      await waitFor('the loader to load again under the new manager', async () => ((await written()) > before + 6_000 ? true : undefined), 60_000);
      assert.equal(api.createdJobs().length, 2, 'the new manager adopted the running Jobs instead of launching new ones');
      assert.notEqual((await stage(Targets.loader))?.status, 'finished', 'the loader is still at work');
      const loaderPod = running().find(([name]) => name.includes('loader'));
      assert.ok(loaderPod, `a loader pod runs: ${[...pods.keys()].join(', ')}`);
      const { code, ms } = await loaderPod[1].stop('SIGTERM', 10_000);
      t.diagnostic(`loader container: exit ${String(code)} ${ms} ms after SIGTERM`);
      assert.equal(code, 143);
      assert.equal((await files.workflow(wf.queue_id))?.status, 'running');

      await waitFor(`${wf.queue_id} to complete`, async () => ((await files.workflow(wf.queue_id))?.status === 'completed' ? true : undefined), 240_000);
      assert.equal(await assertExactCandles(files.store, wf.collection_name, 'BTCUSDT', '1m', from, to), 129_600);
      await files.connectorFinished(wf.queue_id);
      assert.deepEqual(interruptedOf(files.events, wf.queue_id), []);
      assert.ok([...pods.keys()].filter((n) => n.includes('loader')).length >= 2, 'the loader ran again in a new pod');
      t.diagnostic(`pods: ${exits.map((e) => `${e.pod} exit ${String(e.code)}`).join(', ')}`);
      assert.equal((await manager.stop('SIGTERM', 10_000)).code, 0);
    } finally {
      kubeletOn = false;
      await kubelet;
      await manager.kill();
      await Promise.all([...pods.values()].map((p) => p.kill()));
      await view?.close();
      await api.close();
      await slowSim.close();
      await rm(kube, { recursive: true, force: true });
    }
  });

  it('roles graph-builder and trainer: a gnn_train workflow whose stages run as processes of the image (tfjs on WASM inside it), the model under /data/models; SIGTERM: exit 0 within 10 s', async (t) => {
    await host.resetData();
    const HOUR = 3_600_000;
    const symbols = ['IMGAUSDT', 'IMGBUSDT', 'IMGCUSDT', 'IMGDUSDT'];
    const start = Date.parse('2024-01-01T00:00:00Z');
    const market = await startExchangeSimulator({ market: { kind: 'planted-clusters', symbols, seed: 3, clusters: 2, startMs: start - 500 * HOUR } });
    const port = await freePort();
    const all = host.run({ env: { ...exchangeEnv, BINANCE_API_URL: market.url, PORT: String(port), STREAMFORGE_LAUNCHER: 'process' } });
    let view: DataDirView | undefined;
    try {
      await ready(`http://127.0.0.1:${port}`, all);
      view = await openDataDir(await host.dataVolume());
      const files = view;
      const started = Date.now();
      const wf = await createWorkflow(`http://127.0.0.1:${port}`, { type: 'gnn_train', symbols, interval: '1h', from: new Date(start).toISOString(), to: new Date(start + 1_500 * HOUR).toISOString(), window: 48, epochs: 5, seed: 1 });
      assert.equal(wf.symbol, 'MULTI');
      const done = await waitFor(`${wf.queue_id} to complete`, async () => {
        const now = await files.workflow(wf.queue_id);
        return now !== undefined && (now.status === 'completed' || now.status === 'failed') ? now : undefined;
      }, 600_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      t.diagnostic(`gnn_train of 4 symbols x 1500 h in the image: ${Date.now() - started} ms`);
      for (const target of [Targets['graph-builder'], Targets.trainer]) assert.equal(done.stages[target]?.status, 'finished', `${target}: ${JSON.stringify(done.stages)}`);
      const [modelId] = done.models ?? [];
      assert.ok(modelId, 'the workflow names its model');
      const models = join(await host.dataVolume(), 'models', modelId);
      assert.deepEqual((await readdir(models)).sort(), ['metadata.json', 'model.json', 'weights.bin']);
      const meta = JSON.parse(await readFile(join(models, 'metadata.json'), 'utf8')) as { backend: string; symbols: string[] };
      assert.equal(meta.backend, 'wasm', 'tfjs on its WASM backend, from the files inside the image');
      assert.deepEqual(meta.symbols, symbols);
      const { code, ms } = await all.stop('SIGTERM', 10_000);
      t.diagnostic(`SIGTERM after training: exit ${String(code)} after ${ms} ms`);
      assert.equal(code, 0);
    } catch (err) {
      t.diagnostic(`the container said:\n${all.output().slice(-4000)}`);
      throw err;
    } finally {
      await all.kill();
      await view?.close();
      await market.close();
    }
  });
});
