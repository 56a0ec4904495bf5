import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import type { ActorContext, ActorRef, Behaviour, Launcher, StageSpec, SupervisionPolicy } from '../../actors/index.ts';
import type { Config } from '../config/index.ts';
import { stageEnv } from '../config/index.ts';

const CLI = fileURLToPath(new URL('../../../bin/streamforge.js', import.meta.url));

type WatcherMessage = { readonly type: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null };

export interface ProcessLauncherOptions {
  readonly config: Config;
  readonly supervision?: SupervisionPolicy;
  /** Time a stage gets to exit after SIGTERM before SIGKILL. @defaultValue 5000 */
  readonly killGraceMs?: number;
}

/**
 * Runs each stage as an OS process of this same CLI (`streamforge serve --role loader|connector`)
 * with the environment a Kubernetes Job would get: the local stand-in for Jobs. A watcher actor
 * owns the process and crashes when it dies abnormally (non-zero exit, killed), so the supervisor's
 * restart budget relaunches it; the stage resumes from its cursor or committed offsets.
 */
export class ProcessLauncher implements Launcher {
  readonly kind = 'process' as const;
  readonly #options: ProcessLauncherOptions;

  constructor(options: ProcessLauncherOptions) {
    this.#options = options;
  }

  launch<M>(spec: StageSpec, parent: ActorContext<M>): ActorRef<never> {
    return parent.spawn<WatcherMessage>({
      name: spec.role,
      actorType: spec.role,
      ...(this.#options.supervision ? { supervision: this.#options.supervision } : {}),
      create: (ctx) => new StageProcessWatcher(spec, this.#options, ctx),
    });
  }
}

class StageProcessWatcher implements Behaviour<WatcherMessage> {
  readonly #spec: StageSpec;
  readonly #options: ProcessLauncherOptions;
  readonly #ctx: ActorContext<WatcherMessage>;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(spec: StageSpec, options: ProcessLauncherOptions, ctx: ActorContext<WatcherMessage>) {
    this.#spec = spec;
    this.#options = options;
    this.#ctx = ctx;
  }

  start(): void {
    const env = { ...stageEnv(this.#options.config, this.#spec.role, this.#spec.command), PORT: '0' };
    const child = spawn(process.execPath, [CLI, 'serve', '--role', this.#spec.role], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#ctx.self.tell({ type: 'exited', code, signal });
        resolve();
      });
    });
    child.once('error', (err) => this.#ctx.log.error({ err }, 'stage process failed to start'));
    this.#ctx.log.info({ pid: child.pid, role: this.#spec.role }, 'stage process started');
  }

  receive(message: WatcherMessage): void {
    if (message.code === 0) {
      this.#ctx.stopSelf();
      return;
    }
    // Crash this watcher: supervision relaunches the stage within its budget.
    throw new StreamForgeError(
      ErrorCodes.STAGE_FAILED,
      `${this.#spec.role} process ${message.signal ? `was killed by ${message.signal}` : `exited with code ${String(message.code)}`}`,
      { retriable: true },
    );
  }

  async dispose(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#options.killGraceMs ?? 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
