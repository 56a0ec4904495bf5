import { TERMINAL_STATUSES } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';
import type { Bus, Clock, Logger, Timer } from '../ports/index.ts';
import type { WorkflowRegistry } from '../workflow/workflow-registry.ts';
import { workflowBusResources } from '../workflow/workflow-resources.ts';

/** Timers wait at most this long at a time (a platform timer's limit is ~24.8 days): a longer wait is taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** After a failed deletion (a Kafka group with members, the broker away), the next try. */
const RETRY_AFTER_MS = 60_000;

export interface TopicRetentionDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly registry: WorkflowRegistry;
  readonly log: Logger;
  /** The manager itself: claims a workflow's deletion so that one manager among several does it. */
  readonly instanceId: string;
  /** Topics never deleted, whatever a workflow names (`queue-control`, `queue-events`). */
  readonly sharedTopics: readonly string[];
  /** `TOPIC_RETENTION_AFTER_FINISH_MS`: how long after a workflow ended its topics are kept. */
  readonly retentionMs: number;
  /** Called when a deletion is due: the manager runs {@link TopicRetention.reap} in its mailbox. */
  readonly due: (queueId: string) => void;
}

/**
 * Deletes a finished workflow's own topics and consumer groups `retentionMs` after it ended, on the
 * Clock's timers. Only ever a terminal workflow's, and never a shared topic. Which workflows wait is
 * in the registry (their lifecycle `retained`), so a manager that starts picks up what another left.
 */
export class TopicRetention {
  readonly #deps: TopicRetentionDeps;
  readonly #timers = new Map<string, Timer>();

  constructor(deps: TopicRetentionDeps) {
    this.#deps = deps;
  }

  /** Schedules the deletion of every workflow that waits for it (those already scheduled keep their timer). */
  async scheduleWaiting(): Promise<void> {
    for (const wf of await this.#deps.registry.listIn('retained')) if (!this.#timers.has(wf.queue_id)) this.schedule(wf);
  }

  /** Schedules the deletion of an ended workflow's topics at its end plus the retention; anything else is left alone. */
  schedule(wf: Workflow): void {
    if (!TERMINAL_STATUSES.has(wf.status) || wf.topics_deleted_at !== undefined) return;
    this.#at(wf.queue_id, this.#dueAt(wf));
  }

  /**
   * Deletes the workflow's topics and groups if it is ended and its retention is over; otherwise
   * waits again or leaves it. A failure (the store or the bus away, a Kafka group with members)
   * is logged and tried again a minute later: never a crash of the manager.
   */
  async reap(queueId: string): Promise<void> {
    try {
      await this.#reap(queueId);
    } catch (err) {
      this.#deps.log.warn({ err, queue_id: queueId, retry_in_ms: RETRY_AFTER_MS }, 'could not delete a finished workflow’s topics; retrying');
      this.#at(queueId, this.#deps.clock.now() + RETRY_AFTER_MS);
    }
  }

  async #reap(queueId: string): Promise<void> {
    const { bus, clock, registry, log } = this.#deps;
    const wf = await registry.get(queueId);
    if (wf === undefined || !TERMINAL_STATUSES.has(wf.status) || wf.topics_deleted_at !== undefined) return;
    const now = clock.now();
    if (now < this.#dueAt(wf)) {
      this.#at(queueId, this.#dueAt(wf));
      return;
    }
    // Of managers reaping together, the one whose claim wins deletes; the others find it done.
    const claimed = await registry.claim(wf, this.#deps.instanceId, now);
    if (claimed === undefined) return;
    const shared = new Set(this.#deps.sharedTopics);
    const { topics, groups } = workflowBusResources(wf);
    const deleted = topics.filter((t) => !shared.has(t));
    await bus.deleteTopics(deleted);
    await bus.deleteGroups(groups);
    await registry.markTopicsDeleted(claimed, now);
    log.info({ queue_id: queueId, topics: deleted, groups: groups.length }, 'finished workflow’s topics deleted');
  }

  cancel(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  #dueAt(wf: Workflow): number {
    return (wf.finished_at ?? wf.updated_at) + this.#deps.retentionMs;
  }

  #at(queueId: string, dueAt: number): void {
    this.#timers.get(queueId)?.cancel();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, dueAt - this.#deps.clock.now()));
    this.#timers.set(
      queueId,
      this.#deps.clock.setTimeout(() => {
        this.#timers.delete(queueId);
        this.#deps.due(queueId);
      }, delay),
    );
  }
}
