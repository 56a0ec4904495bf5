import { request } from 'undici';
import { startCli } from './cli-process.ts';
import type { CliProcess } from './cli-process.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

export interface ServedRole {
  readonly process: CliProcess;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Sends `signal` and resolves with the exit code and how long the process took to exit. */
  signal(signal: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; ms: number }>;
}

/** `streamforge serve <args>` as a child process on a free port, once `/health/ready` answers 200. */
export async function serveRole(args: readonly string[], env: Record<string, string>): Promise<ServedRole> {
  const port = await freePort();
  const process = startCli(['serve', ...args, '--port', String(port)], env);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('serve to be ready', async () => {
      try {
        const res = await request(`${base}/health/ready`);
        await res.body.text();
        return res.statusCode === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    }, 30_000);
  } catch (err) {
    await process.kill();
    throw new Error(`serve ${args.join(' ')} did not become ready: ${process.stderr()}`, { cause: err });
  }
  return {
    process,
    base,
    async signal(signal, timeoutMs = 30_000) {
      const sent = Date.now();
      process.child.kill(signal);
      const code = await Promise.race([
        process.exited,
        new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), timeoutMs).unref()),
      ]);
      if (code === 'late') {
        await process.kill();
        throw new Error(`serve ${args.join(' ')} did not exit within ${timeoutMs} ms of ${signal}: ${process.stderr()}`);
      }
      return { code, ms: Date.now() - sent };
    },
  };
}
