import { loadConfig, Roles } from '../config/index.ts';
import { AdminServer } from '../http/index.ts';
import { createRuntime } from '../runtime.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli } from './cli-args.ts';
import { UsageError } from './usage-error.ts';

export const SERVE_USAGE = `Usage: streamforge serve [--role ${Roles.join('|')}] [--port 8080] [--data-dir DIR]
  Runs the actors of a role with the HTTP API, probes and /metrics. Role also from ROLE, port from PORT.`;

/** `streamforge serve`: hosts a role's actors and the HTTP admin server until SIGINT/SIGTERM. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, {
    role: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  if (values.role !== undefined && !(Roles as readonly string[]).includes(values.role)) {
    throw new UsageError(`invalid --role ${JSON.stringify(values.role)}; accepted: ${Roles.join(' ')}`);
  }
  if (values.role !== undefined && values.role !== 'all' && values.role !== 'manager') {
    throw new UsageError(`role ${values.role} is not available yet in this build; accepted now: all manager`);
  }
  const config = loadConfig({ ROLE: values.role, PORT: values.port, STREAMFORGE_DATA_DIR: values['data-dir'] }, io.env);
  const runtime = createRuntime(config);
  const server = new AdminServer(runtime);
  const port = await server.listen(config.PORT);
  runtime.logger.info({ port, role: config.ROLE, bus: runtime.bus.kind, store: runtime.store.kind }, 'serving');
  writeLine(io.err, `streamforge ${config.ROLE} listening on http://127.0.0.1:${port}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  runtime.logger.info({}, 'shutting down');
  await server.close();
  await runtime.close();
  return 0;
}
