import type { Writable } from 'node:stream';

/** Where a command writes: data to `out`, progress and messages to `err`. */
export interface CliIo {
  readonly out: Writable & { isTTY?: boolean };
  readonly err: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function writeLine(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}
