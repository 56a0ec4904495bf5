// The contract between the chaos runner (test/chaos/run.ts) and its experiments (one file each in
// test/chaos/experiments/). The runner owns the profile, the table, `--json` and the verdict; an
// experiment owns its deployment (brokers, managers, proxies, simulator), its faults and its
// oracle check, and stops everything it started before `run` settles, success or not, and as soon
// as `signal` aborts (Ctrl-C).
import type { Logger } from 'pino';

export const CHAOS_PROFILES = ['short', 'full'] as const;
export type ChaosProfile = (typeof CHAOS_PROFILES)[number];

export interface ChaosContext {
  readonly profile: ChaosProfile;
  /** Aborted on SIGINT/SIGTERM: stop injecting, tear down, return what was measured so far. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** A fresh directory for this experiment (data dirs, broker logs); the runner removes it. */
  readonly workDir: string;
}

/** What one experiment measured. `verdict` is derived by the runner (see `verdictOf`). */
export interface ChaosMeasurement {
  /** Faults actually injected (kills, stops, toxics, broker losses, fault windows…). */
  readonly faults: number;
  readonly workflows: number;
  /** Records the simulator's oracle says the workflows must store. */
  readonly expected: number;
  /** Distinct keys stored that belong to the expected set. */
  readonly stored: number;
  /** Expected keys not stored. */
  readonly missing: number;
  /** Keys stored twice with different content (or stored content differing from the oracle). */
  readonly duplicated: number;
  /** Fault → progress again, one entry per fault whose recovery was observed, in ms. */
  readonly recoveryMs: readonly number[];
  /** Stage relaunches (and adoptions, for manager-loss) the supervisors performed. */
  readonly restarts: number;
  /** Extra checks the experiment makes (fencing, acknowledged-data survival…): a failed one fails the verdict. */
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail?: string }[];
}

export interface ChaosExperiment {
  readonly name: 'stage-kill' | 'stall' | 'network' | 'broker-loss' | 'manager-loss' | 'exchange-faults' | 'store-faults';
  /** The Chaos Mesh manifest in k8s/chaos/ this experiment stands for, or why there is none. */
  readonly chaosMesh: { readonly manifest: string } | { readonly none: string };
  run(ctx: ChaosContext): Promise<ChaosMeasurement>;
}

export interface ChaosRow {
  readonly name: string;
  readonly faults: number;
  readonly workflows: number;
  readonly expected: number;
  readonly stored: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly recovery_ms_p50: number | null;
  readonly recovery_ms_max: number | null;
  readonly restarts: number;
  readonly verdict: 'pass' | 'fail';
}

/** Pass only when faults were injected, everything expected was stored once, and every extra check held. */
export function verdictOf(m: ChaosMeasurement): 'pass' | 'fail' {
  return m.faults > 0 && m.expected > 0 && m.missing === 0 && m.duplicated === 0 && m.stored === m.expected && m.checks.every((c) => c.ok) ? 'pass' : 'fail';
}
