import { Writable } from 'node:stream';

/** A stdout/stderr stand-in that keeps what is written; a terminal when `tty`. */
export class TextSink extends Writable {
  text = '';
  readonly isTTY: boolean;

  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
