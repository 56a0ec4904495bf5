import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as KubernetesClient from '@kubernetes/client-node';
import type { ApiException, BatchV1Api, CoreV1Api, KubeConfig, Middleware, V1Job, V1Pod, Watch } from '@kubernetes/client-node';
import { ConfigError } from '../../protocol/index.ts';

type KubernetesClientModule = typeof KubernetesClient;
let clientModule: KubernetesClientModule | undefined;

/**
 * The Kubernetes client, loaded when first needed: it takes longer to load than the rest of the
 * runtime together (~270 ms), and only a manager that launches Jobs uses it.
 */
function kubernetes(): KubernetesClientModule {
  clientModule ??= createRequire(import.meta.url)('@kubernetes/client-node') as KubernetesClientModule;
  return clientModule;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** A watch event as the API server streams it; `ERROR` carries a Status (e.g. 410 Gone), `BOOKMARK` only a resourceVersion. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchQuery {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
}

export interface WatchHandlers<T> {
  readonly onEvent: (type: WatchEventType, object: T) => void;
  /** The stream ended: the server closed it (`error` undefined, normal every few minutes) or it failed. */
  readonly onClose: (error: unknown) => void;
}

/** Stops a watch; safe to call more than once. */
export type StopWatch = () => void;

/**
 * In-cluster credentials when running in a pod (the manager's service account token is mounted),
 * otherwise `KUBECONFIG` or `~/.kube/config` through `loadFromDefault`.
 */
export function defaultKubeConfig(): KubeConfig {
  const kc = new (kubernetes().KubeConfig)();
  if (existsSync(SERVICE_ACCOUNT_TOKEN)) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/** The HTTP status of a failed API call, when the server answered. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof kubernetes().ApiException ? (err as ApiException<unknown>).code : undefined;
}

/** The API server's own words (the Status `message`, e.g. an admission policy's), or the error's message. */
export function apiMessage(err: unknown): string {
  if (err instanceof kubernetes().ApiException) {
    const body: unknown = (err as ApiException<unknown>).body;
    try {
      const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
      if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') {
        return `HTTP ${(err as ApiException<unknown>).code}: ${parsed.message}`;
      }
    } catch (parseError) {
      return `HTTP ${(err as ApiException<unknown>).code} (unparseable body: ${String(parseError)})`;
    }
    return `HTTP ${(err as ApiException<unknown>).code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * The few calls the launcher makes, on Jobs and pods of one namespace: the RBAC of
 * k8s/base/rbac.yaml (jobs: create, get, list, watch, delete; pods: get, list, watch) and no more.
 */
export class KubernetesJobClient {
  readonly namespace: string;
  readonly #batch: BatchV1Api;
  readonly #core: CoreV1Api;
  readonly #watch: Watch;
  readonly #watchTimeoutSeconds: number;

  constructor(kubeConfig: KubeConfig, namespace: string, requestTimeoutMs: number, watchTimeoutSeconds: number) {
    this.namespace = namespace;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new ConfigError('the kubeconfig has no current cluster');
    // The generated client has no timeout of its own: a hung call would hold the watcher's mailbox.
    // Built like KubeConfig.makeApiClient, plus that timeout.
    const timeout: Middleware = {
      pre: (context) => {
        context.setSignal(AbortSignal.timeout(requestTimeoutMs));
        return Promise.resolve(context);
      },
      post: (context) => Promise.resolve(context),
    };
    const { BatchV1Api, CoreV1Api, createConfiguration, ServerConfiguration, Watch } = kubernetes();
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [timeout],
    });
    this.#batch = new BatchV1Api(configuration);
    this.#core = new CoreV1Api(configuration);
    this.#watch = new Watch(kubeConfig);
    this.#watchTimeoutSeconds = watchTimeoutSeconds;
  }

  createJob(job: V1Job): Promise<V1Job> {
    return this.#batch.createNamespacedJob({ namespace: this.namespace, body: job });
  }

  /** The Job, or undefined when it does not exist. */
  async getJob(name: string): Promise<V1Job | undefined> {
    try {
      return await this.#batch.readNamespacedJob({ name, namespace: this.namespace });
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async listJobs(labelSelector: string): Promise<V1Job[]> {
    const list = await this.#batch.listNamespacedJob({ namespace: this.namespace, labelSelector });
    return list.items;
  }

  /** Deletes the Job and, in the background, its pods. False when it was already gone. */
  async deleteJob(name: string): Promise<boolean> {
    try {
      await this.#batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: 'Background' });
      return true;
    } catch (err) {
      if (apiStatus(err) === 404) return false;
      throw err;
    }
  }

  async listPods(labelSelector: string): Promise<{ readonly items: V1Pod[]; readonly resourceVersion: string | undefined }> {
    const list = await this.#core.listNamespacedPod({ namespace: this.namespace, labelSelector });
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
  }

  watchJobs(query: WatchQuery, handlers: WatchHandlers<V1Job>): StopWatch {
    return this.#watchPath(`/apis/batch/v1/namespaces/${encodeURIComponent(this.namespace)}/jobs`, query, handlers);
  }

  watchPods(query: WatchQuery, handlers: WatchHandlers<V1Pod>): StopWatch {
    return this.#watchPath(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`, query, handlers);
  }

  #watchPath<T>(path: string, query: WatchQuery, handlers: WatchHandlers<T>): StopWatch {
    let stopped = false;
    let controller: AbortController | undefined;
    const params = { ...query, allowWatchBookmarks: true, timeoutSeconds: this.#watchTimeoutSeconds };
    this.#watch
      .watch(
        path,
        params,
        // Watched objects arrive as plain JSON: same shape as the typed answers, date fields as strings (never read here).
        (type: string, object: unknown) => {
          if (!stopped) handlers.onEvent(type as WatchEventType, object as T);
        },
        (error: unknown) => {
          if (!stopped) handlers.onClose(error ?? undefined);
        },
      )
      .then(
        (c) => {
          controller = c;
          if (stopped) c.abort();
        },
        (error: unknown) => {
          if (!stopped) handlers.onClose(error);
        },
      );
    return () => {
      stopped = true;
      controller?.abort();
    };
  }
}
