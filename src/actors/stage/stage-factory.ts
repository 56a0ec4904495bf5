import type { StartCommand } from '../../protocol/index.ts';
import type { ActorRef, ActorSpec, SupervisionPolicy } from '../ports/index.ts';
import type { StageRole } from '../ports/launcher.ts';
import { SeriesConnector } from '../connector/series-connector.ts';
import type { ConnectorMessage } from '../connector/series-connector.ts';
import { CandleLoader } from '../loader/candle-loader.ts';
import type { LoaderMessage } from '../loader/candle-loader.ts';
import type { StageDeps } from './stage-deps.ts';

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
  if (role === 'loader') {
    return spawner.spawn<LoaderMessage>({ ...base, create: (ctx) => new CandleLoader(deps, command, ctx) });
  }
  return spawner.spawn<ConnectorMessage>({ ...base, create: (ctx) => new SeriesConnector(deps, command, ctx) });
}
