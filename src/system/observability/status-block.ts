/** The part of a terminal stream the block writes to. */
export interface TerminalOut {
  write(text: string): unknown;
}

/**
 * A few status lines kept at the bottom of a terminal (a progress display), redrawn in place, with
 * anything else written to the same terminal (log lines) printed above them: the block is cleared,
 * the text written, the block drawn again. One block per stream ({@link statusBlockOf}), so the
 * logger and the progress display of one process share it without knowing each other.
 */
export class StatusBlock {
  readonly #out: TerminalOut;
  #lines: readonly string[] = [];
  /** Lines of the block now on the screen (the cursor is on the line after them). */
  #drawn = 0;

  constructor(out: TerminalOut) {
    this.#out = out;
  }

  /** Replaces the block's lines on the screen (unless they are the same). */
  show(lines: readonly string[]): void {
    if (this.#drawn > 0 && lines.length === this.#lines.length && lines.every((l, i) => l === this.#lines[i])) return;
    this.#lines = lines;
    this.#out.write(this.#clear() + this.#draw());
  }

  /** Writes `text` (whole lines, ending in a newline) above the block. */
  print(text: string): void {
    this.#out.write(this.#clear() + text + this.#draw());
  }

  /** Leaves the block's last state on the screen and lets go of it: what follows is written below. */
  release(): void {
    this.#lines = [];
    this.#drawn = 0;
  }

  #clear(): string {
    if (this.#drawn === 0) return '';
    const up = this.#drawn;
    this.#drawn = 0;
    // To the start of the block's first line, then erase to the end of the screen.
    return `\r\u001b[${up}A\u001b[J`;
  }

  #draw(): string {
    if (this.#lines.length === 0) return '';
    this.#drawn = this.#lines.length;
    return this.#lines.map((l) => `${l}\u001b[K\n`).join('');
  }
}

const blocks = new WeakMap<object, StatusBlock>();

/** The status block of a stream (made on first use). */
export function statusBlockOf(out: TerminalOut & object): StatusBlock {
  let block = blocks.get(out);
  if (block === undefined) blocks.set(out, (block = new StatusBlock(out)));
  return block;
}
