import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { ModelRepository } from '../../src/actors/models/model-repository.ts';
import { GnnParams, StageRoles, Targets } from '../../src/protocol/index.ts';
import type { ModelMetadata, Workflow } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { stageProcesses } from '../helpers/stage-processes.ts';
import { syntheticSymbols } from '../helpers/synthetic-snapshots.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2023, 0, 1);
const SAMPLE_MS = 100;

/** Sizes, by environment so a quick run can shrink them; the defaults are the issue's 12 symbols × 18 months of 1h. */
interface Size {
  readonly symbols: number;
  readonly months: number;
  /** Most epochs of each model (early stopping on validation usually ends sooner). */
  readonly epochs: number;
  readonly launcher: 'process' | 'inprocess';
}

function sizeFromEnv(env: NodeJS.ProcessEnv): Size {
  const whole = (name: string, fallback: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const launcher = env['BENCH_GNN_LAUNCHER'] ?? 'process';
  if (launcher !== 'process' && launcher !== 'inprocess') throw new RangeError(`BENCH_GNN_LAUNCHER must be process or inprocess, got ${JSON.stringify(launcher)}`);
  return {
    symbols: Math.max(2, whole('BENCH_GNN_SYMBOLS', 12, 26)),
    months: whole('BENCH_GNN_MONTHS', 18, 120),
    epochs: whole('BENCH_GNN_EPOCHS', GnnParams.parse({ symbols: ['A', 'B'], interval: '1h' }).epochs, 10_000),
    launcher,
  };
}

/** A file of /proc, or undefined once the process is gone. */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Peak resident set (VmHWM, bytes) and CPU time so far (user + system, seconds) of a live process. */
function processUsage(pid: number): { readonly peakRss: number; readonly cpuSeconds: number } | undefined {
  const status = readProc(`/proc/${pid}/status`);
  const stat = readProc(`/proc/${pid}/stat`);
  const kb = status === undefined ? undefined : /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined || stat === undefined) return undefined;
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { peakRss: Number(kb) * 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
}

/** What the processes of one role used: the largest peak RSS of any of them, their CPU time added up. */
interface RoleUsage {
  peakRss: number;
  cpuSeconds: number;
}

/**
 * Follows the stage processes of some workflows while they run (the graph workflow and the data
 * workflows it started), per role: VmHWM only grows, so the last reading before a process exits is
 * its peak (at most one sample period of its life unseen); likewise its CPU time.
 */
function sampleStageProcesses(queueIds: ReadonlySet<string>): { usage(): Map<string, RoleUsage>; stop(): void } {
  const perPid = new Map<number, { readonly role: string; readonly peakRss: number; readonly cpuSeconds: number }>();
  const sample = () => {
    for (const p of stageProcesses()) {
      if (!queueIds.has(p.queueId)) continue;
      const used = processUsage(p.pid);
      if (used !== undefined) perPid.set(p.pid, { role: p.role, ...used });
    }
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    usage: () => {
      const roles = new Map<string, RoleUsage>();
      for (const { role, peakRss, cpuSeconds } of perPid.values()) {
        const r = roles.get(role) ?? { peakRss: 0, cpuSeconds: 0 };
        r.peakRss = Math.max(r.peakRss, peakRss);
        r.cpuSeconds += cpuSeconds;
        roles.set(role, r);
      }
      return roles;
    },
    stop: () => clearInterval(timer),
  };
}

const seconds = (fromMs: number | undefined, toMs: number | undefined): number => Math.round(((toMs ?? NaN) - (fromMs ?? NaN)) / 10) / 100;
const mib = (bytes: number | undefined): number => Math.round((bytes ?? NaN) / 2 ** 20);
const percent = (n: number): number => Math.round(n * 10_000) / 100;

/**
 * End-to-end `gnn_train` on a planted-clusters market (3 clusters, seed fixed) served by the exchange
 * simulator: one workflow through the runtime that starts the data workflows its universe lacks
 * (REST backfill), builds the graph snapshots, trains the GCN and its baselines, and stores the
 * model. Times come from the workflow record: loading is creation to the stages' launch (they start
 * once every data workflow completed), graph building the graph-builder stage's life, training from
 * the builder's end (the trainer consumes while the builder publishes) to the trainer's end. With
 * stage processes (the default) each stage's peak RSS and CPU time are read from /proc while it runs;
 * the CPU times are the steadier figures on a shared machine.
 */
export async function benchGnnTrain(env: NodeJS.ProcessEnv = process.env): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const size = sizeFromEnv(env);
  const to = Date.UTC(2023, size.months, 1);
  const symbols = syntheticSymbols('BGT', size.symbols);
  const label = `${size.symbols} symbols × ${size.months} months of 1h`;
  const sim = await startExchangeSimulator({
    seed: 12,
    market: { kind: 'planted-clusters', symbols, seed: 7, clusters: 3, startMs: FROM - 500 * HOUR },
  });
  const rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_LAUNCHER: size.launcher } });
  try {
    const gnn = GnnParams.parse({ symbols, interval: '1h', epochs: size.epochs, seed: 42 });
    const loadBefore = loadavg()[0] ?? NaN;
    const started = Date.now();
    const wf = await rt.manager.create({ type: 'gnn_train', range: { fromMs: FROM, toMs: to }, gnn });
    const sampler = size.launcher === 'process' ? sampleStageProcesses(new Set([wf.queue_id, ...(wf.children ?? [])])) : undefined;
    let done: Workflow;
    try {
      done = await rt.settle(wf.queue_id, 1_800_000);
    } finally {
      sampler?.stop();
    }
    const wallSeconds = (Date.now() - started) / 1000;
    if (done.status !== 'completed') throw new Error(`gnn_train ended ${done.status}: ${done.error?.message ?? 'no reason given'}`);
    const builder = done.stages[Targets['graph-builder']];
    const trainer = done.stages[Targets.trainer];
    const modelId = done.models?.at(-1);
    if (builder === undefined || trainer === undefined || modelId === undefined) throw new Error('the workflow has no graph-builder, trainer or model');
    const model: ModelMetadata = await new ModelRepository({ objects: rt.runtime.objects, store: rt.runtime.store }).resolve(modelId);

    const children = await Promise.all((done.children ?? []).map((id) => rt.registry.get(id)));
    const candles = children.reduce((sum, c) => sum + Object.values(c?.stages ?? {}).reduce((m, s) => Math.max(m, s.records), 0), 0);
    const building = seconds(builder.started_at, builder.finished_at);
    const training = seconds(builder.finished_at, trainer.finished_at);
    const gnnFit = model.history.reduce((sum, e) => sum + e.seconds, 0);
    const m = model.metrics;
    const lines: BenchLine[] = [
      { name: `gnn_train end to end, ${label}`, value: Math.round(wallSeconds * 100) / 100, unit: `s (stages: ${size.launcher})` },
      { name: '  loading: created → stages launched (data workflows done)', value: seconds(done.created_at, builder.started_at), unit: 's' },
      { name: `    candles loaded by ${children.length} data workflows`, value: candles, unit: `(${Math.round(candles / seconds(done.created_at, builder.started_at))}/s)` },
      { name: '  graph building: graph-builder stage', value: building, unit: 's' },
      { name: '    snapshots published', value: builder.records, unit: `(${Math.round(builder.records / building)}/s)` },
      { name: '  training: builder finished → trainer finished', value: training, unit: 's' },
      { name: `    of which ${model.hyperparameters.arch}: ${model.history.length} epochs (best ${model.best_epoch})`, value: Math.round(gnnFit * 100) / 100, unit: 's' },
      { name: '    of which MLP, logistic, evaluation, storing', value: Math.round((training - gnnFit) * 100) / 100, unit: 's' },
      { name: '  samples train / val / test', value: model.split.train.samples, unit: `/ ${model.split.val.samples} / ${model.split.test.samples}` },
    ];
    for (const name of ['gnn', 'mlp', 'logistic', 'majority'] as const) {
      lines.push({ name: `test accuracy, ${name === 'gnn' ? `GNN (${model.hyperparameters.arch})` : name}`, value: percent(m[name].accuracy), unit: `%   macro-F1 ${percent(m[name].macro_f1).toFixed(2)} %   log loss ${m[name].log_loss.toFixed(3)}` });
    }
    lines.push({ name: 'model promoted (beats its MLP on test)', value: model.promoted ? 1 : 0, unit: model.promoted ? 'yes' : 'no' });
    lines.push({ name: 'load average (1 min) at start / at end: a shared machine', value: Math.round(loadBefore * 100) / 100, unit: `/ ${Math.round((loadavg()[0] ?? NaN) * 100) / 100} on ${availableParallelism()} cores` });
    const usage = sampler?.usage() ?? new Map<string, RoleUsage>();
    for (const role of StageRoles.toReversed()) {
      const u = usage.get(role);
      if (u === undefined) continue;
      const of = role === 'loader' || role === 'connector' ? `${role} processes (largest of ${children.length})` : `${role} process`;
      lines.push({ name: `peak RSS (VmHWM) of the ${of}`, value: mib(u.peakRss), unit: 'MiB' });
    }
    for (const role of StageRoles.toReversed()) {
      const u = usage.get(role);
      if (u !== undefined) lines.push({ name: `CPU time (user + system) of the ${role} process${role === 'loader' || role === 'connector' ? 'es' : ''}`, value: Math.round(u.cpuSeconds * 10) / 10, unit: 's' });
    }
    if (sampler === undefined) lines.push({ name: 'peak RSS of the whole in-process runtime (maxRSS)', value: mib(process.resourceUsage().maxRSS * 1024), unit: 'MiB' });

    const graphAdds = m.gnn.accuracy - m.mlp.accuracy;
    const ratios: BenchRatio[] = [
      { name: 'GNN − MLP test accuracy (what the graph adds)', value: graphAdds, target: '> 0', met: graphAdds > 0 },
      { name: 'GNN − MLP test macro-F1', value: m.gnn.macro_f1 - m.mlp.macro_f1, target: '> 0', met: m.gnn.macro_f1 > m.mlp.macro_f1 },
      { name: 'GNN − majority test accuracy', value: m.gnn.accuracy - m.majority.accuracy, target: '> 0.04', met: m.gnn.accuracy - m.majority.accuracy > 0.04 },
    ];
    return { lines, ratios };
  } finally {
    await rt.close();
    await sim.close();
  }
}
