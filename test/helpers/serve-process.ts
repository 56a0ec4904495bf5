import { request } from 'undici';
import { startCli } from './cli-process.ts';
import type { CliProcess } from './cli-process.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

export interface ServeProcess {
  readonly process: CliProcess;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
}

/** `streamforge serve --role all` as a child process on a free port, once `/health/ready` answers 200. */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const port = await freePort();
  const process = startCli(['serve', '--role', 'all', '--port', String(port)], env);
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
    throw new Error(`serve did not become ready: ${process.stderr()}`, { cause: err });
  }
  return { process, base };
}
