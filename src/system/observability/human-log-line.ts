/** pino's numeric levels, as words. */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Fields every line has or that say the same as another: not repeated on a human line. */
const SILENT_FIELDS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err', 'actor', 'component', 'attempt', 'delay_ms']);

interface SerializedError {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly stack?: unknown;
}

/**
 * One JSON log entry as a short line: level, who, the message, its scalar fields, the error's message
 * and code, and for a retry the attempt and when the next try comes
 * (`warn  loader: exchange request retried endpoint=exchangeInfo: cannot reach … [SF_ERR_…] (attempt 2, next try in 0.5s)`).
 * The error's stack follows, indented, only with `withStack` (at `debug` and `trace`).
 */
export function humanLogLine(entry: Readonly<Record<string, unknown>>, withStack: boolean): string {
  const level = typeof entry['level'] === 'number' ? (LEVEL_NAMES[entry['level']] ?? String(entry['level'])) : 'info';
  const who = [entry['component'], entry['name']].find((v): v is string => typeof v === 'string' && v !== 'streamforge');
  const fields = Object.entries(entry)
    .filter(([k, v]) => !SILENT_FIELDS.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  const err = errorOf(entry['err']);
  const retry = retryOf(entry);
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  let line = `${level.padEnd(5)} ${who !== undefined ? `${who}: ` : ''}${msg}`;
  if (fields.length > 0) line += ` ${fields.join(' ')}`;
  if (err !== undefined) line += `: ${err.text}`;
  if (retry !== undefined) line += ` (${retry})`;
  if (withStack && err?.stack !== undefined) line += `\n${err.stack.replace(/^/gm, '    ')}`;
  return line;
}

function errorOf(value: unknown): { text: string; stack: string | undefined } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const err = value as SerializedError;
  const message = typeof err.message === 'string' ? err.message : 'error';
  const code = typeof err.code === 'string' ? ` [${err.code}]` : '';
  return { text: `${message}${code}`, stack: typeof err.stack === 'string' ? err.stack : undefined };
}

function retryOf(entry: Readonly<Record<string, unknown>>): string | undefined {
  const attempt = entry['attempt'];
  const delay = entry['delay_ms'];
  const parts = [
    typeof attempt === 'number' ? `attempt ${attempt}` : undefined,
    typeof delay === 'number' ? `next try in ${seconds(delay)}` : undefined,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
