import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A Kubernetes API server stand-in over real HTTP on loopback, for the calls the launcher makes:
 * Jobs (create, get, list, watch, delete) and pods (get, list, watch) in namespaces. It answers as
 * the API server does (status codes, Status bodies, resourceVersions, newline-delimited watch
 * events, label and field selectors), plays the Job controller's part (one pod per Job), and
 * records every request. Test controls move Jobs and pods to the states a cluster would.
 */

type Json = Record<string, unknown>;
interface Meta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp: string;
  [key: string]: unknown;
}
/** A stored object: what the API server would return. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec: Json;
  status: Json;
}
type Resource = 'jobs' | 'pods';
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The status code answered, once the answer has started. */
  readonly status: number | undefined;
}

interface Watcher {
  readonly resource: Resource;
  readonly namespace: string;
  readonly matches: (o: StoredObject) => boolean;
  readonly res: ServerResponse;
}

interface InjectedFailure {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  remaining: number;
}

export interface StandInOptions {
  /** When set, Jobs are checked like k8s/base/job-admission-policy.yaml with this STREAMFORGE_IMAGE, and refused with 403. */
  readonly admissionImage?: string;
}

const TOKEN = 'stand-in-token';
const DNS_1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const CREDENTIALS = ['KAFKA_PASSWORD', 'ARANGO_PASSWORD', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'];

export class KubernetesApiStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly #options: StandInOptions;
  readonly #objects = new Map<string, StoredObject>();
  readonly #watchers = new Set<Watcher>();
  readonly #failures: InjectedFailure[] = [];
  /** Every event, for watches that resume from a resourceVersion. */
  readonly #history: Array<{ readonly rv: number; readonly type: EventType; readonly object: StoredObject }> = [];
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  #rv = 1000;
  url = '';

  private constructor(options: StandInOptions) {
    this.#options = options;
  }

  static async start(options: StandInOptions = {}): Promise<KubernetesApiStandIn> {
    const standIn = new KubernetesApiStandIn(options);
    await new Promise<void>((resolve) => standIn.#server.listen(0, '127.0.0.1', resolve));
    standIn.url = `http://127.0.0.1:${(standIn.#server.address() as AddressInfo).port}`;
    return standIn;
  }

  /** A KubeConfig pointing at this stand-in, with a bearer token (which the stand-in requires). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stand-in', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'stand-in', token: TOKEN }],
      contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'stand-in' }],
      currentContext: 'stand-in',
    });
    return kc;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- inspection --------------------------------------------------------------------------

  jobs(namespace?: string): StoredObject[] {
    return this.#list('jobs', namespace);
  }

  job(namespace: string, name: string): StoredObject | undefined {
    return this.#objects.get(key('jobs', namespace, name));
  }

  pods(namespace: string, jobName: string): StoredObject[] {
    return this.#list('pods', namespace).filter((p) => p.metadata.labels['batch.kubernetes.io/job-name'] === jobName);
  }

  /** Bodies of the Job creations, in order, including refused ones. */
  createdJobs(): Json[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs')).map((r) => r.body as Json);
  }

  // ---- controls ----------------------------------------------------------------------------

  /** The pod succeeds and the Job completes, as the Job controller reports it. */
  completeJob(namespace: string, name: string): void {
    for (const pod of this.pods(namespace, name)) {
      this.#update(pod, { phase: 'Succeeded', containerStatuses: [terminated(0, 'Completed')] });
    }
    const now = new Date().toISOString();
    this.#update(this.#mustJob(namespace, name), {
      active: 0,
      succeeded: 1,
      completionTime: now,
      conditions: [condition('SuccessCriteriaMet', 'CompletionsReached', now), condition('Complete', 'CompletionsReached', now)],
    });
  }

  /** The Job fails with `reason` (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy…). */
  failJob(namespace: string, name: string, reason = 'BackoffLimitExceeded', message = 'Job has reached the specified backoff limit'): void {
    const now = new Date().toISOString();
    this.#update(this.#mustJob(namespace, name), {
      active: 0,
      failed: 1,
      conditions: [condition('FailureTarget', reason, now, message), condition('Failed', reason, now, message)],
    });
  }

  /** The Job's pod dies (e.g. OOMKilled, exit 137); then, as podFailurePolicy FailJob says, the Job fails. */
  failPod(namespace: string, jobName: string, reason = 'OOMKilled', exitCode = 137): void {
    const pod = this.pods(namespace, jobName).at(-1);
    if (!pod) throw new Error(`no pod for Job ${jobName}`);
    this.#update(pod, { phase: 'Failed', containerStatuses: [terminated(exitCode, reason)] });
    this.failJob(namespace, jobName, 'PodFailurePolicy', `Container streamforge for pod ${namespace}/${pod.metadata.name} failed with exit code ${exitCode} matching FailJob rule at index 1`);
  }

  /** The pod's container waits with `reason` (ImagePullBackOff, CreateContainerConfigError…). */
  setPodWaiting(namespace: string, jobName: string, reason: string, message = ''): void {
    const pod = this.pods(namespace, jobName).at(-1);
    if (!pod) throw new Error(`no pod for Job ${jobName}`);
    this.#update(pod, { phase: 'Pending', containerStatuses: [{ name: 'streamforge', ready: false, restartCount: 0, state: { waiting: { reason, message } } }] });
  }

  /** The pod is evicted (DisruptionTarget); podFailurePolicy Ignore makes the Job start a new pod. */
  disruptPod(namespace: string, jobName: string): void {
    const pod = this.pods(namespace, jobName).at(-1);
    if (!pod) throw new Error(`no pod for Job ${jobName}`);
    const now = new Date().toISOString();
    this.#update(pod, { phase: 'Failed', reason: 'Evicted', conditions: [condition('DisruptionTarget', 'EvictionByEvictionAPI', now)], containerStatuses: [terminated(143, 'Error')] });
    this.#startPod(this.#mustJob(namespace, jobName));
  }

  /** Ends every open watch, as the server does when `timeoutSeconds` runs out. */
  closeWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  /** Answers the next `times` requests matching `method` and `path` with `status`. */
  failRequests(method: string, path: RegExp, status: number, times = 1): void {
    this.#failures.push({ method, path, status, remaining: times });
  }

  // ---- HTTP --------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const raw = await readBody(req);
    const body: unknown = raw ? JSON.parse(raw) : undefined;
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, body, get status() { return res.headersSent ? res.statusCode : undefined; } });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const injected = this.#failures.find((f) => f.remaining > 0 && f.method === method && f.path.test(url.pathname));
    if (injected) {
      injected.remaining--;
      return send(res, injected.status, status(injected.status, 'InternalError', 'injected failure'));
    }
    const m = /^\/(?:apis\/batch\/v1|api\/v1)\/namespaces\/([^/]+)\/(jobs|pods)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m?.[1] || !m[2]) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const namespace = decodeURIComponent(m[1]);
    const resource = m[2] as Resource;
    const name = m[3] ? decodeURIComponent(m[3]) : undefined;
    if (resource === 'jobs' !== url.pathname.startsWith('/apis/batch/v1/')) return send(res, 404, status(404, 'NotFound', 'no such resource'));
    if (name === undefined && method === 'GET' && query.watch === 'true') return this.#watch(res, resource, namespace, query);
    if (name === undefined && method === 'GET') return send(res, 200, this.#listBody(resource, namespace, query));
    if (name === undefined && method === 'POST' && resource === 'jobs') return this.#create(res, namespace, body as Json);
    if (name !== undefined && method === 'GET') {
      const o = this.#objects.get(key(resource, namespace, name));
      return o ? send(res, 200, o) : send(res, 404, notFound(resource, name));
    }
    if (name !== undefined && method === 'DELETE' && resource === 'jobs') return this.#delete(res, namespace, name, query);
    return send(res, 405, status(405, 'MethodNotAllowed', `${method} is not allowed here`));
  }

  #create(res: ServerResponse, namespace: string, job: Json): void {
    const meta = (job.metadata ?? {}) as Partial<Meta>;
    const name = meta.name ?? '';
    const invalid = validateJob(job, namespace);
    if (invalid.length > 0) {
      return send(res, 422, { ...status(422, 'Invalid', `Job.batch "${name}" is invalid: ${invalid.join('; ')}`), details: { name, group: 'batch', kind: 'Job' } });
    }
    const denied = this.#options.admissionImage === undefined ? [] : admission(job, this.#options.admissionImage);
    if (denied.length > 0) {
      return send(res, 403, status(403, 'Forbidden', `jobs.batch "${name}" is forbidden: ValidatingAdmissionPolicy 'streamforge-launcher-jobs' denied request: ${denied.join('; ')}`));
    }
    if (this.#objects.has(key('jobs', namespace, name))) {
      return send(res, 409, { ...status(409, 'AlreadyExists', `jobs.batch "${name}" already exists`), details: { name, group: 'batch', kind: 'jobs' } });
    }
    const now = new Date().toISOString();
    const stored: StoredObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { ...meta, name, namespace, labels: { ...meta.labels }, uid: randomUUID(), resourceVersion: this.#nextRv(), creationTimestamp: now, generation: 1 },
      spec: { completions: 1, parallelism: 1, ...(job.spec as Json) },
      status: { active: 1, startTime: now },
    };
    this.#put('ADDED', stored);
    send(res, 201, stored);
    this.#startPod(stored);
  }

  #delete(res: ServerResponse, namespace: string, name: string, query: Record<string, string>): void {
    const job = this.#objects.get(key('jobs', namespace, name));
    if (!job) return send(res, 404, notFound('jobs', name));
    this.#objects.delete(key('jobs', namespace, name));
    job.metadata.resourceVersion = this.#nextRv();
    this.#emit('DELETED', job);
    send(res, 200, { ...status(200, '', ''), status: 'Success', details: { name, group: 'batch', kind: 'jobs', uid: job.metadata.uid } });
    // Background propagation: the garbage collector removes the pods after the Job is gone.
    if ((query.propagationPolicy ?? 'Background') !== 'Orphan') {
      setImmediate(() => {
        for (const pod of this.pods(namespace, name)) {
          this.#objects.delete(key('pods', namespace, pod.metadata.name));
          pod.metadata.resourceVersion = this.#nextRv();
          this.#emit('DELETED', pod);
        }
      });
    }
  }

  #watch(res: ServerResponse, resource: Resource, namespace: string, query: Record<string, string>): void {
    const matches = selector(query);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const from = Number(query.resourceVersion ?? '0');
    if (from > 0) {
      // Resuming: every change after that version, as it happened.
      for (const e of this.#history) {
        if (e.rv > from && resourceOf(e.object) === resource && e.object.metadata.namespace === namespace && matches(e.object)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
      }
    } else {
      // Without a resourceVersion the API server first lists what exists, as ADDED events.
      for (const o of this.#list(resource, namespace).filter(matches)) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    }
    const watcher: Watcher = { resource, namespace, matches, res };
    this.#watchers.add(watcher);
    const timeout = Number(query.timeoutSeconds);
    const timer = Number.isFinite(timeout) && timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.#watchers.delete(watcher);
    });
  }

  #listBody(resource: Resource, namespace: string, query: Record<string, string>): Json {
    const items = this.#list(resource, namespace).filter(selector(query));
    return { kind: resource === 'jobs' ? 'JobList' : 'PodList', apiVersion: resource === 'jobs' ? 'batch/v1' : 'v1', metadata: { resourceVersion: String(this.#rv) }, items };
  }

  // ---- the Job controller's part -----------------------------------------------------------

  #startPod(job: StoredObject): void {
    const template = (job.spec.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: Json };
    const name = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod: StoredObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: job.metadata.namespace,
        uid: randomUUID(),
        resourceVersion: this.#nextRv(),
        creationTimestamp: new Date().toISOString(),
        labels: { ...template.metadata?.labels, 'batch.kubernetes.io/job-name': job.metadata.name, 'job-name': job.metadata.name, 'batch.kubernetes.io/controller-uid': job.metadata.uid },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...template.spec },
      status: { phase: 'Running', containerStatuses: [{ name: 'streamforge', ready: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }] },
    };
    this.#put('ADDED', pod);
  }

  #mustJob(namespace: string, name: string): StoredObject {
    const job = this.job(namespace, name);
    if (!job) throw new Error(`no Job ${namespace}/${name}`);
    return job;
  }

  #update(o: StoredObject, status: Json): void {
    o.status = { ...o.status, ...status };
    o.metadata.resourceVersion = this.#nextRv();
    this.#emit('MODIFIED', o);
  }

  #put(type: EventType, o: StoredObject): void {
    this.#objects.set(key(resourceOf(o), o.metadata.namespace, o.metadata.name), o);
    this.#emit(type, o);
  }

  #emit(type: EventType, o: StoredObject): void {
    this.#history.push({ rv: Number(o.metadata.resourceVersion), type, object: structuredClone(o) });
    const line = `${JSON.stringify({ type, object: o })}\n`;
    for (const w of this.#watchers) {
      if (w.resource === resourceOf(o) && w.namespace === o.metadata.namespace && w.matches(o)) w.res.write(line);
    }
  }

  #list(resource: Resource, namespace?: string): StoredObject[] {
    return [...this.#objects.values()].filter((o) => resourceOf(o) === resource && (namespace === undefined || o.metadata.namespace === namespace));
  }

  #nextRv(): string {
    return String(++this.#rv);
  }
}

function key(resource: Resource, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

function resourceOf(o: StoredObject): Resource {
  return o.kind === 'Job' ? 'jobs' : 'pods';
}

function condition(type: string, reason: string, at: string, message = ''): Json {
  return { type, status: 'True', reason, message, lastProbeTime: at, lastTransitionTime: at };
}

function terminated(exitCode: number, reason: string): Json {
  const at = new Date().toISOString();
  return { name: 'streamforge', ready: false, restartCount: 0, state: { terminated: { exitCode, reason, startedAt: at, finishedAt: at } } };
}

function status(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, code };
}

function notFound(resource: Resource, name: string): Json {
  return { ...status(404, 'NotFound', `${resource === 'jobs' ? 'jobs.batch' : 'pods'} "${name}" not found`), details: { name, kind: resource } };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `labelSelector` (k=v, k==v, k!=v, k, !k) and `fieldSelector` (metadata.name, metadata.namespace) as the API server reads them. */
function selector(query: Record<string, string>): (o: StoredObject) => boolean {
  const tests: Array<(o: StoredObject) => boolean> = [];
  for (const term of (query.labelSelector ?? '').split(',').filter(Boolean)) {
    const m = /^(!?)([^=!]+?)(?:(==|=|!=)(.*))?$/.exec(term.trim());
    if (!m?.[2]) throw new Error(`unsupported label selector ${term}`);
    const [, not, k, op, v] = m;
    if (!op) tests.push((o) => (k in o.metadata.labels) !== (not === '!'));
    else tests.push((o) => (o.metadata.labels[k] === v) !== (op === '!='));
  }
  for (const term of (query.fieldSelector ?? '').split(',').filter(Boolean)) {
    const m = /^(metadata\.name|metadata\.namespace)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m?.[1]) throw new Error(`unsupported field selector ${term}`);
    const [, field, op, v] = m;
    tests.push((o) => ((field === 'metadata.name' ? o.metadata.name : o.metadata.namespace) === v) !== (op === '!='));
  }
  return (o) => tests.every((t) => t(o));
}

/** A few of the API server's own checks on a Job. */
function validateJob(job: Json, namespace: string): string[] {
  const problems: string[] = [];
  const meta = (job.metadata ?? {}) as Partial<Meta>;
  if (job.kind !== 'Job' || job.apiVersion !== 'batch/v1') problems.push('kind must be Job in batch/v1');
  if (!meta.name || meta.name.length > 63 || !DNS_1123_LABEL.test(meta.name)) problems.push(`metadata.name: Invalid value: "${meta.name ?? ''}": a DNS-1123 label, at most 63 characters`);
  if (meta.namespace !== undefined && meta.namespace !== namespace) problems.push('metadata.namespace: does not match the namespace of the request');
  const spec = (job.spec ?? {}) as { podFailurePolicy?: unknown; template?: { metadata?: { labels?: Record<string, string> }; spec?: { restartPolicy?: string } } };
  for (const [where, labels] of [['metadata.labels', meta.labels], ['spec.template.metadata.labels', spec.template?.metadata?.labels]] as const) {
    for (const [k, v] of Object.entries(labels ?? {})) if (v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`${where}[${k}]: Invalid value: "${v}"`);
  }
  const restart = spec.template?.spec?.restartPolicy;
  if (restart !== 'Never' && restart !== 'OnFailure') problems.push('spec.template.spec.restartPolicy: Required value: Never or OnFailure');
  if (spec.podFailurePolicy !== undefined && restart !== 'Never') problems.push('spec.template.spec.restartPolicy: Invalid value: only "Never" is supported when podFailurePolicy is specified');
  return problems;
}

/** The rules of k8s/base/job-admission-policy.yaml, in TypeScript. */
function admission(job: Json, image: string): string[] {
  const template = ((job.spec as Json | undefined)?.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: Json };
  const pod = (template.spec ?? {}) as { containers?: Json[]; initContainers?: Json[]; serviceAccountName?: string; automountServiceAccountToken?: boolean; volumes?: Json[] };
  const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])] as Array<{ image?: string; env?: Array<{ name: string; valueFrom?: unknown }> }>;
  const denied: string[] = [];
  if (!containers.every((c) => c.image === image)) denied.push('Jobs launched by the manager must run the configured STREAMFORGE_IMAGE');
  if (pod.serviceAccountName !== 'streamforge-worker') denied.push('Jobs launched by the manager must use the streamforge-worker service account');
  if (pod.automountServiceAccountToken !== false) denied.push('Jobs launched by the manager must set automountServiceAccountToken: false');
  const badEnv = containers.some((c) => (c.env ?? []).some((e) => e.name === 'STREAMFORGE_API_TOKEN' || (CREDENTIALS.includes(e.name) && e.valueFrom === undefined)));
  if (badEnv) denied.push('credentials must come from secretKeyRef, and workers never get the API token');
  if ((pod.volumes ?? []).some((v) => 'hostPath' in v)) denied.push('Jobs launched by the manager may not mount host paths');
  if (template.metadata?.labels?.['app.kubernetes.io/name'] !== 'streamforge') denied.push('Job pods must be labelled app.kubernetes.io/name=streamforge');
  return denied;
}
