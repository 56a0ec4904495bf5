import { ConfigError, GnnParams, MarketSymbol, parseJsonOrUndefined, parseStreamType, StartCommand, targetOf } from '../../protocol/index.ts';
import type { StageRole } from '../../actors/index.ts';
import type { Config } from './config.ts';
import { ConfigSchema } from './config.ts';

/** The environment a stage's process gets: this process's configuration plus the contract's assignment variables. */
export function stageEnv(config: Config, role: StageRole, command: StartCommand): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape) as Array<keyof Config>) {
    const value = config[key];
    if (value !== undefined) env[key] = String(value);
  }
  return { ...env, ...stageAssignment(role, command) };
}

/**
 * A stage's assignment as the original's Jobs had it (`QUEUE_ID`, `SYMBOL`, `TYPE`, `TIME_RANGE`,
 * `INTERVAL`, `KAFKA_TOPIC`, `COLLECTION_NAME`, `TELEMETRY_PRODUCER_ID`), plus a graph stage's
 * universe (`SYMBOLS`) and settings (`GNN_PARAMS`, JSON): what a process or a Job is started with.
 */
export function stageAssignment(role: StageRole, command: StartCommand): Record<string, string> {
  const type = parseStreamType(command.type);
  return {
    ROLE: role,
    QUEUE_ID: command.queue_id,
    SYMBOL: command.symbol,
    TYPE: command.type,
    TIME_RANGE: command.time_range,
    ...(type?.record === 'candle' ? { INTERVAL: type.interval } : {}),
    ...(command.gnn ? { SYMBOLS: command.gnn.symbols.join(','), INTERVAL: command.gnn.interval, GNN_PARAMS: JSON.stringify(command.gnn) } : {}),
    KAFKA_TOPIC: command.kafka_topic,
    COLLECTION_NAME: command.collection_name,
    TELEMETRY_PRODUCER_ID: command.telemetry_id,
    ...(command.generation !== undefined ? { STAGE_GENERATION: String(command.generation) } : {}),
  };
}

/** Reads a stage's assignment back from its environment; every missing variable is named at once. */
export function stageCommandFromConfig(config: Config, role: StageRole, now: number): StartCommand {
  const target = targetOf(role);
  const required = { QUEUE_ID: config.QUEUE_ID, SYMBOL: config.SYMBOL, TYPE: config.TYPE, TIME_RANGE: config.TIME_RANGE, KAFKA_TOPIC: config.KAFKA_TOPIC, COLLECTION_NAME: config.COLLECTION_NAME };
  const missing = Object.entries(required).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0) throw new ConfigError(`role ${role} needs its assignment in the environment; missing: ${missing.join(', ')}`);
  const graph = role === 'graph-builder' || role === 'trainer';
  // The symbol rule of every entry point: a stage started by hand (or by an old manager) gets it too.
  const symbol = graph ? { success: true as const, data: config.SYMBOL ?? 'MULTI' } : MarketSymbol.safeParse(config.SYMBOL);
  if (!symbol.success) throw new ConfigError(`invalid stage assignment: SYMBOL: ${symbol.error.issues.map((i) => i.message).join('; ')}`);
  const gnn = graph ? GnnParams.safeParse(parseJsonOrUndefined(config.GNN_PARAMS ?? '')) : undefined;
  if (gnn && !gnn.success) throw new ConfigError(`role ${role} needs its universe in GNN_PARAMS (JSON): ${gnn.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const parsed = StartCommand.safeParse({
    command: 'start',
    queue_id: config.QUEUE_ID,
    target,
    symbol: symbol.data,
    type: config.TYPE,
    time_range: config.TIME_RANGE,
    kafka_topic: config.KAFKA_TOPIC,
    collection_name: config.COLLECTION_NAME,
    telemetry_id: config.TELEMETRY_PRODUCER_ID ?? `${target}__${(config.QUEUE_ID ?? '').slice(-6)}`,
    timestamp: now / 1000,
    ...(gnn?.success ? { gnn: gnn.data } : {}),
    ...(config.STAGE_GENERATION !== undefined ? { generation: config.STAGE_GENERATION } : {}),
  });
  if (!parsed.success) throw new ConfigError(`invalid stage assignment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
