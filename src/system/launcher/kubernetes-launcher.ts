import type { KubeConfig } from '@kubernetes/client-node';
import type { ActorContext, ActorRef, Clock, Launcher, StageSpec, SupervisionPolicy } from '../../actors/index.ts';
import type { RetryPolicies } from '../config/index.ts';
import type { JobSettings } from './job-manifest.ts';
import { resolveJobSettings } from './job-settings.ts';
import { JobWatcher } from './job-watcher.ts';
import type { LaunchRegistry, WatcherMessage } from './job-watcher.ts';
import { defaultKubeConfig, KubernetesJobClient } from './kubernetes-job-client.ts';

export interface KubernetesLauncherOptions {
  /** STREAMFORGE_IMAGE, from configuration only. Required: construction fails with a ConfigError without it. */
  readonly image: string | undefined;
  /** K8S_NAMESPACE: where Jobs are created (the manager's own namespace, which its Role covers). */
  readonly namespace: string;
  /** Resources, deadlines, Secret and ConfigMap names… @defaultValue {@link DEFAULT_JOB_SETTINGS} */
  readonly job?: Partial<Omit<JobSettings, 'image' | 'namespace'>>;
  /** API credentials. @defaultValue in-cluster in a pod, else `KUBECONFIG` or `~/.kube/config` */
  readonly kubeConfig?: KubeConfig;
  /** Restart budget of each stage (each relaunch is a new Job). */
  readonly supervision?: SupervisionPolicy;
  /** Time of the stuck-pod checks, the re-reads and the retries. */
  readonly clock: Clock;
  /** How a watcher re-reads its Job after failures and retries deleting it. */
  readonly policies: Pick<RetryPolicies, 'jobResync' | 'jobDelete'>;
  /** How long a pod may wait in ImagePullBackOff, CreateContainerConfigError… before the stage fails. @defaultValue 120000 */
  readonly stuckPodTimeoutMs?: number;
  /** Period of the re-read that backs up the watches. @defaultValue 30000 */
  readonly resyncIntervalMs?: number;
  /** Timeout of each API request (watches excepted). @defaultValue 30000 */
  readonly requestTimeoutMs?: number;
  /** The server closes each watch after this long and the launcher re-reads and watches again. @defaultValue 300 */
  readonly watchTimeoutSeconds?: number;
}

/**
 * Runs each stage as a Kubernetes Job (`serve --role loader|connector` from STREAMFORGE_IMAGE) in
 * K8S_NAMESPACE. A watcher actor owns the Job and crashes when it fails, so the supervisor's
 * restart budget relaunches the stage as a new Job (next attempt); it stops when the Job
 * completes, and deletes the Job when stopped (a workflow `stop`).
 */
export class KubernetesLauncher implements Launcher {
  readonly kind = 'kubernetes' as const;
  readonly settings: JobSettings;
  readonly #options: KubernetesLauncherOptions;
  readonly #registry: LaunchRegistry = { attempts: new Map(), held: new Set(), current: new Map(), detached: false };
  #client: KubernetesJobClient | undefined;

  constructor(options: KubernetesLauncherOptions) {
    this.settings = resolveJobSettings({ image: options.image, namespace: options.namespace, overrides: options.job });
    this.#options = options;
  }

  /** The current Job of each running stage, by `<queue_id>/<role>`. */
  get jobs(): ReadonlyMap<string, string> {
    return this.#registry.current;
  }

  /**
   * From now on, stopping a watcher leaves its Job running (a manager shutting down for a
   * successor that adopts the Jobs) instead of deleting it.
   */
  detach(): void {
    this.#registry.detached = true;
  }

  launch<M>(spec: StageSpec, parent: ActorContext<M>): ActorRef<never> {
    const client = this.#jobClient();
    const { clock, policies } = this.#options;
    const timings = {
      clock,
      stuckPodTimeoutMs: this.#options.stuckPodTimeoutMs ?? 120_000,
      resyncIntervalMs: this.#options.resyncIntervalMs ?? 30_000,
      resync: policies.jobResync,
      deleteRetry: policies.jobDelete,
    };
    return parent.spawn<WatcherMessage>({
      name: spec.role,
      actorType: spec.role,
      ...(this.#options.supervision ? { supervision: this.#options.supervision } : {}),
      create: (ctx) => new JobWatcher(spec, this.settings, client, ctx, this.#registry, timings),
    });
  }

  /** Built on first launch, so a process that never launches (a worker) never reads credentials. */
  #jobClient(): KubernetesJobClient {
    this.#client ??= new KubernetesJobClient(
      this.#options.kubeConfig ?? defaultKubeConfig(),
      this.settings.namespace,
      this.#options.requestTimeoutMs ?? 30_000,
      this.#options.watchTimeoutSeconds ?? 300,
    );
    return this.#client;
  }
}
