import type { DestinationStream } from 'pino';

const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'experiment']);
const LEVELS: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A pino destination that prints each log line as one readable progress line: `<experiment>: <msg> key=value…`. */
export function progressLogStream(progress: (line: string) => void): DestinationStream {
  return {
    write(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const level = typeof entry['level'] === 'number' ? (LEVELS[entry['level']] ?? 'info') : 'info';
      const fields = Object.entries(entry)
        .filter(([k]) => !HIDDEN.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      const who = typeof entry['experiment'] === 'string' ? `${entry['experiment']}: ` : '';
      progress(`${who}${level === 'info' ? '' : `${level}: `}${typeof entry['msg'] === 'string' ? entry['msg'] : ''}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`);
    },
  };
}
