import { constants, crc32, deflateRawSync } from 'node:zlib';

/** How an archive file is made into a zip bomb (see {@link archiveBomb}). */
export interface ArchiveBombSpec {
  /** Bytes the expected entry unzips to, at least: the real CSV, then its last row over and over. @defaultValue 400 MiB */
  readonly unzippedBytes?: number;
  /** Tiny entries besides the expected one. @defaultValue 0 */
  readonly extraEntries?: number;
  /** The size the zip's headers declare for the expected entry, when they should lie. @defaultValue the true size */
  readonly declaredBytes?: number;
}

/** One entry as written: its compressed bytes and what the headers say of it. */
interface Entry {
  readonly name: Buffer;
  readonly data: Buffer[];
  readonly method: 0 | 8;
  readonly crc: number;
  readonly size: number;
}

const CHUNK_BYTES = 1 << 20;
/** A final, empty fixed-Huffman block: ends a deflate stream built of sync-flushed pieces. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * Deflate data for `csv` followed by `chunk` `times` times, without ever holding the whole: each
 * piece is deflated on its own and sync-flushed (byte-aligned, not final), so pieces concatenate;
 * the chunk's piece is made once and repeated. A 400 MiB entry takes ~2 MB and a second to build.
 */
function repeatedDeflate(csv: Buffer, chunk: Buffer, times: number): { data: Buffer[]; crc: number; size: number } {
  const head = deflateRawSync(csv, { finishFlush: constants.Z_SYNC_FLUSH, level: 1 });
  const piece = deflateRawSync(chunk, { finishFlush: constants.Z_SYNC_FLUSH, level: 9 });
  let crc = crc32(csv);
  for (let i = 0; i < times; i++) crc = crc32(chunk, crc);
  return { data: [head, ...new Array<Buffer>(times).fill(piece), FINAL_EMPTY_BLOCK], crc, size: csv.length + times * chunk.length };
}

function localHeader(e: Entry, compressed: number, declared: number): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(0x21, 12); // 1980-01-01
  h.writeUInt32LE(e.crc >>> 0, 14);
  h.writeUInt32LE(compressed, 18);
  h.writeUInt32LE(declared, 22);
  h.writeUInt16LE(e.name.length, 26);
  return Buffer.concat([h, e.name]);
}

function centralHeader(e: Entry, compressed: number, declared: number, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(0x21, 14);
  h.writeUInt32LE(e.crc >>> 0, 16);
  h.writeUInt32LE(compressed, 20);
  h.writeUInt32LE(declared, 24);
  h.writeUInt16LE(e.name.length, 28);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, e.name]);
}

/** A zip of `entries` (no zip64: every size and offset under 4 GiB, under 65,536 entries); the first may declare `declaredFirst`. */
function writeZip(entries: readonly Entry[], declaredFirst: number | undefined): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const compressed = e.data.reduce((n, d) => n + d.length, 0);
    const declared = i === 0 && declaredFirst !== undefined ? declaredFirst : e.size;
    const header = localHeader(e, compressed, declared);
    central.push(centralHeader(e, compressed, declared, offset));
    parts.push(header, ...e.data);
    offset += header.length + compressed;
  });
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/**
 * A zip bomb made of a real archive file, as a hostile or broken archive host could serve it with a
 * matching `.CHECKSUM`: the expected entry `csvName` holds the real rows and then the last row
 * repeated up to `unzippedBytes` (so what is read is valid data, only far too much of it), plus
 * `extraEntries` tiny entries, and headers that may understate the size (`declaredBytes`).
 */
export function archiveBomb(csvName: string, csv: Buffer, spec: ArchiveBombSpec): Buffer {
  const lastRow = csv.subarray(csv.lastIndexOf(10, csv.length - 2) + 1);
  const chunk = Buffer.concat(new Array<Buffer>(Math.max(1, Math.floor(CHUNK_BYTES / lastRow.length))).fill(lastRow));
  const target = spec.unzippedBytes ?? 400 * 1024 * 1024;
  const times = Math.max(0, Math.ceil((target - csv.length) / chunk.length));
  const bomb = repeatedDeflate(csv, chunk, times);
  const entries: Entry[] = [{ name: Buffer.from(csvName), method: 8, ...bomb }];
  const filler = Buffer.from('0\n');
  for (let i = 0; i < (spec.extraEntries ?? 0); i++) {
    entries.push({ name: Buffer.from(`extra-${String(i).padStart(5, '0')}.csv`), data: [filler], method: 0, crc: crc32(filler), size: filler.length });
  }
  return writeZip(entries, spec.declaredBytes);
}
