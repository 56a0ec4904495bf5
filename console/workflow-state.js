import { api } from './api.js';

/** Telemetry kept per workflow for its detail page. */
const TELEMETRY_KEPT = 200;

/**
 * What the page knows of the workflows: the first page of `/queues` merged with `workflow` events
 * (the newer `updated_at` wins, so a snapshot read after an event never takes it back), the
 * telemetry of each, and a records rate from consecutive updates.
 */
export class WorkflowState {
  workflows = new Map();
  telemetry = new Map();
  rates = new Map();
  /** The server run's event id prefix, from `ready`. */
  epoch;
  #listeners = new Set();
  #epochKnown = new Set();

  /** Resolves with the server run's event id prefix once the page's stream is open. */
  readyEpoch() {
    if (this.epoch !== undefined) return Promise.resolve(this.epoch);
    return new Promise((resolve) => this.#epochKnown.add(resolve));
  }

  setEpoch(epoch) {
    this.epoch = epoch;
    for (const resolve of this.#epochKnown) resolve(epoch);
    this.#epochKnown.clear();
  }

  listen(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(queueId) {
    for (const listener of this.#listeners) listener(queueId);
  }

  async load() {
    const page = await api('/queues?limit=200');
    for (const wf of page.queues) this.#merge(wf, false);
    this.#changed(undefined);
  }

  workflow(wf) {
    this.#merge(wf, true);
    this.#changed(wf.queue_id);
  }

  telemetryEvent(event) {
    const list = this.telemetry.get(event.queue_id) ?? [];
    list.push(event);
    if (list.length > TELEMETRY_KEPT) list.splice(0, list.length - TELEMETRY_KEPT);
    this.telemetry.set(event.queue_id, list);
    this.#changed(event.queue_id);
  }

  #merge(wf, live) {
    const known = this.workflows.get(wf.queue_id);
    if (known !== undefined && known.updated_at > wf.updated_at) return;
    if (live && known !== undefined && wf.updated_at > known.updated_at) {
      const seconds = (wf.updated_at - known.updated_at) / 1000;
      const more = recordsOf(wf) - recordsOf(known);
      if (seconds > 0 && more >= 0) this.rates.set(wf.queue_id, more / seconds);
    }
    if (wf.status !== 'running') this.rates.delete(wf.queue_id);
    this.workflows.set(wf.queue_id, wf);
  }
}

/** Records a workflow wrote: its last stage's count (the store's side), else the most any stage counted. */
export function recordsOf(wf) {
  const stages = Object.values(wf.stages ?? {});
  return stages.reduce((most, s) => Math.max(most, s.records ?? 0), 0);
}

export function restartsOf(wf) {
  return Object.values(wf.stages ?? {}).reduce((sum, s) => sum + (s.restarts ?? 0), 0);
}

/** The workflow's error, else the last stage error. */
export function lastErrorOf(wf) {
  if (wf.error) return wf.error;
  const errors = Object.values(wf.stages ?? {}).filter((s) => s.error);
  return errors.at(-1)?.error;
}
