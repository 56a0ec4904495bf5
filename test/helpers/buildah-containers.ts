import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The store `npm run image` builds into (scripts/image/buildah-env.sh). */
export const IMAGE_STORE = process.env.STREAMFORGE_IMAGE_STORE ?? join(ROOT, '.cache', 'containers');
const run = promisify(execFile);

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, tool), fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why containers cannot run on this machine, or undefined when they can. */
export function containersUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'containers are built and run with buildah, on Linux only';
  if (process.getuid?.() !== 0) return 'buildah with vfs storage and chroot isolation needs root (CI runs as root)';
  if (!onPath('buildah')) return 'buildah is not installed: apt-get install buildah debootstrap runc (.ci/run does)';
  return undefined;
}

/**
 * How containers run: under runc (`--isolation oci`) they get their own PID namespace, so the
 * entrypoint is PID 1 as under Docker or Kubernetes; without runc, chroot isolation (no PID namespace).
 */
export const ISOLATION: 'oci' | 'chroot' = onPath('runc') ? 'oci' : 'chroot';

export async function buildah(args: readonly string[]): Promise<string> {
  const { stdout } = await run('buildah', ['--root', join(IMAGE_STORE, 'storage'), '--runroot', join(IMAGE_STORE, 'run'), '--storage-driver', 'vfs', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly user: string;
  /** The HEALTHCHECK's command (without its `CMD` word), if the image has one. */
  readonly healthcheck: readonly string[] | undefined;
}

export async function imageConfig(image: string): Promise<ImageConfig> {
  type Inspected = { Docker: { config: { Entrypoint?: string[]; Cmd?: string[]; User?: string; Healthcheck?: { Test?: string[] } } } };
  const { config } = (JSON.parse(await buildah(['inspect', '--type', 'image', image])) as Inspected).Docker;
  const test = config.Healthcheck?.Test;
  return {
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    user: config.User ?? '',
    healthcheck: test?.[0] === 'CMD' ? test.slice(1) : test?.[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test[1] ?? ''] : undefined,
  };
}

export interface RunOptions {
  /** Replaces the image's CMD, as `docker run IMAGE args…`. @defaultValue the image's CMD */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** `host:container[:options]` bind mounts. */
  readonly volumes?: readonly string[];
}

/** One container process tree: the image's entrypoint started by `buildah run` on the host's network. */
export interface RunningContainer {
  readonly name: string;
  /** The exit code `buildah run` reports for the entrypoint. */
  readonly exited: Promise<number | null>;
  output(): string;
  /** The host's pid of the entrypoint (PID 1 inside under runc). */
  hostPid(): Promise<number>;
  /** `Uid:`, `NSpid:` and `SigCgt:` (the signals it has handlers for) of the entrypoint, from /proc. */
  status(): Promise<{ uid: number; pidInside: number; catches: (signal: NodeJS.Signals) => boolean }>;
  /** Sends `signal` to the entrypoint, as `docker stop`/the kubelet do, and resolves with the exit code and how long it took. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<{ code: number | null; ms: number }>;
  kill(): Promise<void>;
}

/**
 * Containers of one image, run without a daemon. Each `run` is a container of its own (own process
 * tree and, under runc, PID namespace) on one working copy of the image's file system: vfs copies a
 * whole image per working container, so the runs share one, and with it the image's `VOLUME /data`,
 * which buildah keeps in a host folder of the working container ({@link dataVolume}). buildah 1.28
 * mounts that volume over a `--volume` bind on the same path, so the volume is how /data is shared.
 */
export class ContainerHost {
  readonly image: string;
  readonly config: ImageConfig;
  readonly #container: string;
  readonly #runs = new Set<RunningContainer>();

  private constructor(image: string, config: ImageConfig, container: string) {
    this.image = image;
    this.config = config;
    this.#container = container;
  }

  static async open(image: string): Promise<ContainerHost> {
    const config = await imageConfig(image);
    const container = await buildah(['from', '--pull=false', '--name', `sf-test-${randomBytes(4).toString('hex')}`, image]);
    return new ContainerHost(image, config, container);
  }

  /** The host folder behind the containers' /data (made by the first run). */
  async dataVolume(): Promise<string> {
    const id = (JSON.parse(await buildah(['inspect', '--type', 'container', this.#container])) as { ContainerID: string }).ContainerID;
    const volumes = join(IMAGE_STORE, 'storage', 'vfs-containers', id, 'userdata', 'buildah-volumes');
    const list = async () => readdir(volumes).catch(() => [] as string[]);
    if ((await list()).length === 0) await this.exec(['true']);
    const names = await list();
    if (names.length !== 1) throw new Error(`expected the image's one volume (/data) under ${volumes}, found ${names.length}`);
    return join(volumes, names[0] ?? '');
  }

  /** Empties /data for the next test (every run must have ended). */
  async resetData(): Promise<string> {
    if (this.#runs.size > 0) throw new Error('resetData with containers still running');
    const dir = await this.dataVolume();
    for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    return dir;
  }

  #runArgs(options: RunOptions, marker: string, command: readonly string[]): string[] {
    const isolation = ISOLATION === 'oci' ? ['--isolation', 'oci', '--runtime', 'runc'] : ['--isolation', 'chroot'];
    return [
      '--root', join(IMAGE_STORE, 'storage'), '--runroot', join(IMAGE_STORE, 'run'), '--storage-driver', 'vfs',
      'run', ...isolation, '--network', 'host',
      ...(options.volumes ?? []).flatMap((v) => ['--volume', v]),
      ...Object.entries({ ...options.env, SF_TEST_CONTAINER: marker }).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      this.#container, '--', ...command,
    ];
  }

  /** Starts the image's entrypoint with `options.args` (or its CMD). */
  run(options: RunOptions = {}): RunningContainer {
    const marker = randomBytes(6).toString('hex');
    const command = [...this.config.entrypoint, ...(options.args ?? this.config.cmd)];
    const child: ChildProcess = spawn('buildah', this.#runArgs(options, marker, command), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let pid: number | undefined;
    const runs = this.#runs;
    const hostPid = async () =>
      (pid ??= await waitFor(`the entrypoint of container run ${marker}`, () => entrypointPid(marker), 30_000));
    const running: RunningContainer = {
      name: marker,
      exited,
      output: () => output,
      hostPid,
      async status() {
        const text = readFileSync(`/proc/${await hostPid()}/status`, 'utf8');
        const raw = (name: string) => (text.match(new RegExp(`^${name}:\\s+(.*)$`, 'm'))?.[1] ?? '').trim();
        const field = (name: string) => raw(name).split(/\s+/).map(Number);
        const caught = BigInt(`0x${raw('SigCgt') || '0'}`);
        return {
          uid: field('Uid')[0] ?? -1,
          pidInside: field('NSpid').at(-1) ?? -1,
          catches: (signal) => ((caught >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n,
        };
      },
      async stop(signal, timeoutMs) {
        const target = await hostPid();
        const sent = Date.now();
        process.kill(target, signal);
        const code = await Promise.race([exited, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), timeoutMs).unref())]);
        if (code === 'late') {
          await running.kill();
          throw new Error(`container ${marker} did not exit within ${timeoutMs} ms of ${signal}:\n${output}`);
        }
        return { code, ms: Date.now() - sent };
      },
      async kill() {
        if (child.exitCode === null && child.signalCode === null) {
          const target = entrypointPid(marker);
          if (target !== undefined) process.kill(target, 'SIGKILL');
          else child.kill('SIGKILL');
        }
        await exited;
        runs.delete(running);
      },
    };
    this.#runs.add(running);
    void exited.then(() => this.#runs.delete(running));
    return running;
  }

  /** Runs `command` in a new container of the same file system (as `docker exec` would, as the image's user): its exit code and output. */
  async exec(command: readonly string[], options: RunOptions = {}): Promise<{ code: number | null; output: string }> {
    const child = spawn('buildah', this.#runArgs(options, randomBytes(6).toString('hex'), command), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, output };
  }

  /** Kills every run still going and removes the working container. */
  async close(): Promise<void> {
    await Promise.all([...this.#runs].map((r) => r.kill()));
    await buildah(['rm', this.#container]);
  }
}

/** The topmost process carrying the run's marker in its environment: the entrypoint. */
function entrypointPid(marker: string): number | undefined {
  const needle = `SF_TEST_CONTAINER=${marker}`;
  const marked = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(needle)) continue;
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]);
      marked.set(Number(name), ppid);
    } catch {
      // The process ended while we looked, or is not ours to read.
      continue;
    }
  }
  return [...marked].find(([, ppid]) => !marked.has(ppid))?.[0];
}
