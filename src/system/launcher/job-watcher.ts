import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { ErrorCodes, StreamForgeError, assertNever, isRetriable } from '../../protocol/index.ts';
import { delayFor, retry } from '../../actors/index.ts';
import type { ActorContext, BackoffPolicy, Behaviour, Clock, StageSpec, Timer } from '../../actors/index.ts';
import { JobAnnotations, JobLabels, jobManifest, stageSelector } from './job-manifest.ts';
import type { JobSettings } from './job-manifest.ts';
import { jobState, podState } from './job-status.ts';
import { apiMessage, apiStatus } from './kubernetes-job-client.ts';
import type { KubernetesJobClient, StopWatch, WatchEventType } from './kubernetes-job-client.ts';

type Stream = 'job' | 'pods';

/** Every message carries the incarnation's token: events of an earlier incarnation's Job are dropped. */
export type WatcherMessage =
  | { readonly type: 'job'; readonly token: number; readonly event: WatchEventType; readonly job: V1Job }
  | { readonly type: 'pod'; readonly token: number; readonly event: WatchEventType; readonly pod: V1Pod }
  | { readonly type: 'watch-closed'; readonly token: number; readonly stream: Stream; readonly error: unknown }
  | { readonly type: 'sync'; readonly token: number; readonly rewatch: Stream | undefined }
  | { readonly type: 'stuck-check'; readonly token: number };

/** State shared by all watchers of one launcher. */
export interface LaunchRegistry {
  /** Last attempt number used per `<queue_id>/<role>`, so a relaunch never reuses a name still being deleted. */
  readonly attempts: Map<string, number>;
  /** Job names held by a watcher of this process, until their deletion has returned: never adopted. */
  readonly held: Set<string>;
  /** Current Job per `<queue_id>/<role>`, for diagnostics and tests. */
  readonly current: Map<string, string>;
  /** Set by `detach()`: dispose stops watching but leaves Jobs running for a successor to adopt. */
  detached: boolean;
}

export interface WatcherTimings {
  readonly clock: Clock;
  readonly stuckPodTimeoutMs: number;
  readonly resyncIntervalMs: number;
  /** Waits before re-reading the Job after a failed read or a broken watch (the `jobResync` policy). */
  readonly resync: BackoffPolicy;
  /** Retries of deleting the Job (the `jobDelete` policy); past them it runs until its deadline. */
  readonly deleteRetry: BackoffPolicy;
}

let tokens = 0;
const CREATE_ROUNDS = 3;

function stageFailure(message: string, details: Record<string, unknown>, cause?: unknown): StreamForgeError {
  return new StreamForgeError(ErrorCodes.STAGE_FAILED, message, { retriable: true, details, ...(cause === undefined ? {} : { cause }) });
}

function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

function attemptOf(job: V1Job): number {
  const n = Number(job.metadata?.labels?.[JobLabels.attempt]);
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * Owns one Job of a stage per incarnation: creates it (or adopts a running one left by a previous
 * manager), follows the Job and its pods by watch, with a periodic re-read as fallback, and
 * crashes when the Job or a pod fails, so supervision relaunches the stage as a new Job.
 * Stops itself when the Job completes. Disposing deletes the Job (unless it completed).
 */
export class JobWatcher implements Behaviour<WatcherMessage> {
  readonly #spec: StageSpec;
  readonly #settings: JobSettings;
  readonly #client: KubernetesJobClient;
  readonly #ctx: ActorContext<WatcherMessage>;
  readonly #registry: LaunchRegistry;
  readonly #timings: WatcherTimings;
  readonly #key: string;
  readonly #token = ++tokens;
  #acquiring: Promise<V1Job> | undefined;
  #name: string | undefined;
  #done = false;
  #completed = false;
  #syncFailures = 0;
  readonly #watches = new Map<Stream, StopWatch>();
  readonly #timers = new Set<Timer>();
  readonly #stuckSince = new Map<string, number>();

  constructor(spec: StageSpec, settings: JobSettings, client: KubernetesJobClient, ctx: ActorContext<WatcherMessage>, registry: LaunchRegistry, timings: WatcherTimings) {
    this.#spec = spec;
    this.#settings = settings;
    this.#client = client;
    this.#ctx = ctx;
    this.#registry = registry;
    this.#timings = timings;
    this.#key = `${spec.command.queue_id}/${spec.role}`;
  }

  async start(): Promise<void> {
    this.#acquiring = this.#acquire();
    const job = await this.#acquiring;
    if (this.#done) return;
    this.#watch('job', job.metadata?.resourceVersion);
    this.#watch('pods', undefined);
    this.#timers.add(this.#timings.clock.setInterval(() => this.#tell({ type: 'sync', token: this.#token, rewatch: undefined }), this.#timings.resyncIntervalMs));
  }

  async receive(message: WatcherMessage): Promise<void> {
    if (message.token !== this.#token || this.#done) return;
    switch (message.type) {
      case 'job':
        return this.#onJobEvent(message.event, message.job);
      case 'pod':
        return this.#onPodEvent(message.event, message.pod);
      case 'watch-closed':
        return this.#onWatchClosed(message.stream, message.error);
      case 'sync':
        return this.#sync(message.rewatch);
      case 'stuck-check':
        return this.#checkStuck();
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    this.#done = true;
    for (const stop of this.#watches.values()) stop();
    this.#watches.clear();
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    await this.#acquiring?.catch(() => undefined);
    const name = this.#name;
    if (name === undefined) return;
    if (this.#registry.current.get(this.#key) === name) this.#registry.current.delete(this.#key);
    try {
      if (!this.#completed && !this.#registry.detached) await this.#delete(name);
    } finally {
      this.#registry.held.delete(name);
    }
  }

  /** Adopts a running Job of this stage no watcher here holds, or creates the next attempt; AlreadyExists means someone else just did: look again. */
  async #acquire(): Promise<V1Job> {
    const { command } = this.#spec;
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      const existing = (await this.#call('list Jobs', () => this.#client.listJobs(selectorString(stageSelector(this.#spec))))).filter(
        (j) => j.metadata?.annotations?.[JobAnnotations.queueId] === command.queue_id,
      );
      const adoptable = existing
        .filter((j) => jobState(j).kind === 'running' && !j.metadata?.deletionTimestamp && !this.#registry.held.has(j.metadata?.name ?? ''))
        .sort((a, b) => attemptOf(b) - attemptOf(a))[0];
      if (adoptable?.metadata?.name) {
        this.#hold(adoptable.metadata.name);
        this.#ctx.log.info({ queue_id: command.queue_id, role: this.#spec.role, job: adoptable.metadata.name }, 'adopted running Job');
        return adoptable;
      }
      const attempt = Math.max(this.#registry.attempts.get(this.#key) ?? 0, ...existing.map(attemptOf)) + 1;
      this.#registry.attempts.set(this.#key, attempt);
      const manifest = jobManifest(this.#spec, attempt, this.#settings);
      try {
        const created = await this.#client.createJob(manifest);
        this.#hold(created.metadata?.name ?? manifest.metadata?.name ?? '');
        this.#ctx.log.info({ queue_id: command.queue_id, role: this.#spec.role, job: this.#name, attempt }, 'Job created');
        return created;
      } catch (err) {
        if (apiStatus(err) !== 409) throw this.#apiFailure('create Job', err);
        this.#ctx.log.warn({ queue_id: command.queue_id, job: manifest.metadata?.name }, 'Job already exists; looking again');
      }
    }
    throw stageFailure(`could not create a Job for ${this.#key}: names kept colliding`, { queue_id: command.queue_id, role: this.#spec.role });
  }

  #hold(name: string): void {
    this.#name = name;
    this.#registry.held.add(name);
    this.#registry.current.set(this.#key, name);
  }

  #onJobEvent(event: WatchEventType, job: V1Job): void | Promise<void> {
    switch (event) {
      case 'BOOKMARK':
        return;
      case 'ERROR':
        return this.#onWatchClosed('job', job);
      case 'DELETED':
        throw stageFailure(`Job ${this.#name ?? '?'} was deleted outside StreamForge`, { job: this.#name });
      case 'ADDED':
      case 'MODIFIED':
        return this.#observeJob(job);
      default:
        assertNever(event, 'watch event');
    }
  }

  async #observeJob(job: V1Job): Promise<void> {
    const state = jobState(job);
    switch (state.kind) {
      case 'running':
        return;
      case 'complete':
        this.#completed = true;
        this.#done = true;
        this.#ctx.log.info({ job: this.#name, role: this.#spec.role }, 'Job complete');
        this.#ctx.stopSelf();
        return;
      case 'failed': {
        const pod = await this.#podFailure();
        throw stageFailure(
          `${this.#spec.role} Job ${this.#name ?? '?'} failed: ${state.reason}${state.message ? ` (${state.message})` : ''}${pod ? `; ${pod}` : ''}`,
          { job: this.#name, reason: state.reason },
        );
      }
      default:
        assertNever(state, 'Job state');
    }
  }

  /** Why the Job's pod failed (OOMKilled, exit code…), which the Job's own condition may not say; best effort. */
  async #podFailure(): Promise<string | undefined> {
    try {
      const { items } = await this.#client.listPods(`${JobLabels.job}=${this.#name ?? ''}`);
      for (const pod of items) {
        const state = podState(pod);
        if (state.kind === 'failed') return `pod ${pod.metadata?.name ?? '?'}: ${state.reason}${state.message ? ` (${state.message})` : ''}`;
      }
    } catch (err) {
      this.#ctx.log.debug({ job: this.#name, err }, 'cannot read the failed Job\'s pods');
    }
    return undefined;
  }

  #onPodEvent(event: WatchEventType, pod: V1Pod): void {
    const podName = pod.metadata?.name ?? '?';
    if (event === 'BOOKMARK') return;
    if (event === 'ERROR') return this.#onWatchClosed('pods', pod);
    if (event === 'DELETED') {
      this.#stuckSince.delete(podName);
      return;
    }
    this.#observePod(pod);
  }

  #observePod(pod: V1Pod): void {
    const podName = pod.metadata?.name ?? '?';
    const state = podState(pod);
    switch (state.kind) {
      case 'ok':
        this.#stuckSince.delete(podName);
        return;
      case 'disrupted':
        this.#stuckSince.delete(podName);
        this.#ctx.log.warn({ job: this.#name, pod: podName }, 'pod disrupted; the Job replaces it');
        return;
      case 'failed':
        throw stageFailure(`${this.#spec.role} pod ${podName} failed: ${state.reason}${state.message ? ` (${state.message})` : ''}`, { job: this.#name, pod: podName, reason: state.reason });
      case 'stuck': {
        if (state.fatal) throw stageFailure(`${this.#spec.role} pod ${podName} cannot start: ${state.reason} ${state.message}`.trim(), { job: this.#name, pod: podName, reason: state.reason });
        if (this.#stuckSince.has(podName)) return;
        this.#stuckSince.set(podName, this.#timings.clock.now());
        this.#ctx.log.warn({ job: this.#name, pod: podName, reason: state.reason }, 'pod not starting; waiting before failing the stage');
        this.#after(this.#timings.stuckPodTimeoutMs, { type: 'stuck-check', token: this.#token });
        return;
      }
      default:
        assertNever(state, 'pod state');
    }
  }

  #checkStuck(): void {
    const now = this.#timings.clock.now();
    for (const [pod, since] of this.#stuckSince) {
      if (now - since >= this.#timings.stuckPodTimeoutMs) {
        throw stageFailure(`${this.#spec.role} pod ${pod} has not started for ${now - since} ms`, { job: this.#name, pod });
      }
    }
  }

  #onWatchClosed(stream: Stream, error: unknown): void {
    // A failing stream can report both an ERROR event and its close: act once.
    if (!this.#watches.has(stream)) return;
    this.#watches.get(stream)?.();
    this.#watches.delete(stream);
    if (error !== undefined) this.#ctx.log.warn({ job: this.#name, stream, err: error }, 'watch failed; re-reading and watching again');
    this.#after(error === undefined ? 0 : delayFor(this.#timings.resync, this.#syncFailures), { type: 'sync', token: this.#token, rewatch: stream });
  }

  /**
   * Re-reads the Job and its pods (the polling fallback), judges them, and restarts a closed watch from
   * what it read. A read that may work later is tried again after a backoff; one that cannot (403, 400…)
   * crashes the watcher, so supervision decides.
   */
  async #sync(rewatch: Stream | undefined): Promise<void> {
    const name = this.#name;
    if (name === undefined) return;
    let job: V1Job | undefined;
    let pods: Awaited<ReturnType<KubernetesJobClient['listPods']>>;
    try {
      job = await this.#call('read the Job', () => this.#client.getJob(name));
      pods = await this.#call('list the Job\'s pods', () => this.#client.listPods(`${JobLabels.job}=${name}`));
    } catch (err) {
      if (!isRetriable(err)) throw err;
      this.#syncFailures++;
      const delayMs = delayFor(this.#timings.resync, this.#syncFailures);
      this.#ctx.log.warn({ job: name, err, failures: this.#syncFailures, delay_ms: delayMs }, 'cannot read the Job; trying again');
      this.#after(delayMs, { type: 'sync', token: this.#token, rewatch });
      return;
    }
    this.#syncFailures = 0;
    if (!job) throw stageFailure(`Job ${name} was deleted outside StreamForge`, { job: name });
    await this.#observeJob(job);
    for (const pod of pods.items) if (!this.#done) this.#observePod(pod);
    if (this.#done) return;
    if (rewatch === 'job') this.#watch('job', job.metadata?.resourceVersion);
    if (rewatch === 'pods') this.#watch('pods', pods.resourceVersion);
  }

  #watch(stream: Stream, resourceVersion: string | undefined): void {
    const name = this.#name;
    if (name === undefined || this.#done) return;
    this.#watches.get(stream)?.();
    const token = this.#token;
    const rv = resourceVersion ? { resourceVersion } : {};
    const onClose = (error: unknown) => this.#tell({ type: 'watch-closed', token, stream, error });
    const stop =
      stream === 'job'
        ? this.#client.watchJobs({ fieldSelector: `metadata.name=${name}`, ...rv }, { onEvent: (event, job) => this.#tell({ type: 'job', token, event, job }), onClose })
        : this.#client.watchPods({ labelSelector: `${JobLabels.job}=${name}`, ...rv }, { onEvent: (event, pod) => this.#tell({ type: 'pod', token, event, pod }), onClose });
    this.#watches.set(stream, stop);
  }

  async #delete(name: string): Promise<void> {
    try {
      const deleted = await retry(() => this.#call('delete the Job', () => this.#client.deleteJob(name)), this.#timings.deleteRetry, {
        clock: this.#timings.clock,
        onRetry: (err, attempt, delayMs) => this.#ctx.log.warn({ job: name, err, attempt, delay_ms: delayMs }, 'Job deletion failed; trying again'),
      });
      this.#ctx.log.info({ job: name, deleted }, 'Job deleted');
    } catch (err) {
      this.#ctx.log.error({ job: name, err }, 'cannot delete the Job; it runs until its deadline unless deleted by hand');
    }
  }

  /** Runs an API call; its failure says whether trying again may help (network, 429, 5xx) or not. */
  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.#apiFailure(what, err);
    }
  }

  #apiFailure(what: string, err: unknown): StreamForgeError {
    const status = apiStatus(err);
    const retriable = status === undefined || status === 429 || status >= 500;
    return new StreamForgeError(ErrorCodes.STAGE_FAILED, `cannot ${what} for ${this.#key} in namespace ${this.#client.namespace}: ${apiMessage(err)}`, {
      retriable,
      cause: err,
      details: { status },
    });
  }

  #after(ms: number, message: WatcherMessage): void {
    const timer = this.#timings.clock.setTimeout(() => {
      this.#timers.delete(timer);
      this.#tell(message);
    }, ms);
    this.#timers.add(timer);
  }

  #tell(message: WatcherMessage): void {
    if (!this.#done) this.#ctx.self.tell(message);
  }
}
