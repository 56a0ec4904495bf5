import { assertNever, describeAcceptedTypes, parseStreamType, ValidationError } from '../../protocol/index.ts';
import type { StartCommand } from '../../protocol/index.ts';
import type { ActorRef, ActorSpec, SupervisionPolicy } from '../ports/index.ts';
import type { StageRole } from '../ports/launcher.ts';
import { SeriesConnector } from '../connector/series-connector.ts';
import type { ConnectorMessage } from '../connector/series-connector.ts';
import { CandleLoader, TradeLoader } from '../loader/index.ts';
import type { LoaderMessage } from '../loader/index.ts';
import { DepthLoader, LiveLoader } from '../live/index.ts';
import type { DepthLoaderMessage, LiveLoaderMessage } from '../live/index.ts';
import { ArchiveLoader } from '../archive/index.ts';
import type { ArchiveLoaderMessage } from '../archive/index.ts';
import type { StageDeps } from './stage-deps.ts';
import { GraphBuilder } from '../graph/graph-builder.ts';
import type { GraphBuilderMessage } from '../graph/graph-builder.ts';
import { Trainer } from '../trainer/trainer.ts';
import type { TrainerMessage } from '../trainer/trainer.ts';

/** Anything that can spawn an actor: a parent's context, or the host for a top-level actor. */
export interface Spawner {
  spawn<C>(spec: ActorSpec<C>): ActorRef<C>;
}

/** Spawns the actor that runs a stage's work in this process: what a Job's pod runs, and what the in-process launcher starts. */
export function spawnStage(
  spawner: Spawner,
  role: StageRole,
  command: StartCommand,
  deps: StageDeps,
  options: { supervision?: SupervisionPolicy | undefined; onStop?: (failure: unknown) => void } = {},
): ActorRef<never> {
  const base = {
    name: role,
    actorType: role,
    ...(options.supervision ? { supervision: options.supervision } : {}),
    ...(options.onStop ? { onStop: options.onStop } : {}),
  };
  switch (role) {
    case 'connector':
      return spawner.spawn<ConnectorMessage>({ ...base, create: (ctx) => new SeriesConnector(deps, command, ctx) });
    case 'graph-builder':
      return spawner.spawn<GraphBuilderMessage>({ ...base, create: (ctx) => new GraphBuilder(deps, command, ctx) });
    case 'trainer':
      return spawner.spawn<TrainerMessage>({ ...base, create: (ctx) => new Trainer(deps, command, ctx) });
    case 'loader':
      return spawnLoader(spawner, command, deps, base);
    default:
      return assertNever(role, 'role');
  }
}

/** The loader for a market-data type: REST paging, the archive, or a live stream. */
function spawnLoader(spawner: Spawner, command: StartCommand, deps: StageDeps, base: Omit<ActorSpec<never>, 'create'>): ActorRef<never> {
  const type = parseStreamType(command.type);
  if (!type) throw new ValidationError(`unknown type ${command.type}; accepted: ${describeAcceptedTypes()}`);
  switch (type.source) {
    case 'archive':
      // archive_candles_<interval>, archive_trades: bulk files, the recent tail over REST.
      return spawner.spawn<ArchiveLoaderMessage>({ ...base, create: (ctx) => new ArchiveLoader(deps, command, ctx) });
    case 'ws':
      // ws_depth keeps a local book; the other live types are gap-repaired series.
      if (type.record === 'depth') return spawner.spawn<DepthLoaderMessage>({ ...base, create: (ctx) => new DepthLoader(deps, command, ctx) });
      return spawner.spawn<LiveLoaderMessage>({ ...base, create: (ctx) => new LiveLoader(deps, command, ctx) });
    case 'api':
      // api_trades pages aggregate trades by id; api_candles_<interval> pages klines by open time.
      if (type.record === 'candle') return spawner.spawn<LoaderMessage>({ ...base, create: (ctx) => new CandleLoader(deps, command, ctx) });
      return spawner.spawn<LoaderMessage>({ ...base, create: (ctx) => new TradeLoader(deps, command, ctx) });
    default:
      return assertNever(type.source, 'source');
  }
}
