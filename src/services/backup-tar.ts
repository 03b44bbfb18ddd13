/**
 * @module services/backup-tar
 * The backup archive's container: a POSIX ustar archive, gzip-compressed (`.tar.gz`), so an installer
 * can list or unpack one with the `tar` every Debian box has (`tar -tzf bellhop-….tar.gz`). Written
 * and read here rather than by spawning `tar` or adding a package: the nightly backup runs inside the
 * appliance under Bun or Deno, and the subset needed (regular files and their folders, names under
 * 100 bytes, no links, no extended headers) is a few dozen lines each way.
 *
 * The reader is a push parser: chunks of any size go in, each entry comes out as a header and then
 * its bytes, so an archive of any size is restored with bounded memory. It accepts only what the
 * writer makes (regular files, folders; GNU/pax headers are refused), and a malformed header is an
 * error, never a crash. Plain (not gzipped) tar is accepted too, in case one was repacked.
 */

const BLOCK = 512;

/** Longest name the plain ustar `name` field holds; every name the backup writes is far shorter. */
export const MAX_NAME_BYTES = 100;

export type TarEntryType = "file" | "dir";

export interface TarHeader {
  name: string;
  type: TarEntryType;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  mode: number;
}

function octal(value: number, width: number): string {
  // width - 1 digits then NUL, the form every tar reads.
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** One ustar header block. Throws for a name ustar cannot hold. */
export function tarHeader(h: TarHeader): Uint8Array {
  const name = new TextEncoder().encode(h.type === "dir" && !h.name.endsWith("/") ? `${h.name}/` : h.name);
  if (name.length > MAX_NAME_BYTES) throw new Error(`tar: name longer than ${MAX_NAME_BYTES} bytes: ${h.name}`);
  const b = new Uint8Array(BLOCK);
  const put = (at: number, s: string) => b.set(new TextEncoder().encode(s), at);
  b.set(name, 0);
  put(100, octal(h.mode, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(h.type === "dir" ? 0 : h.size, 12));
  put(136, octal(Math.floor(h.mtime), 12));
  put(148, "        "); // the checksum is summed over spaces in its own field
  put(156, h.type === "dir" ? "5" : "0");
  put(257, "ustar\x0000");
  let sum = 0;
  for (const x of b) sum += x;
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return b;
}

/** Zero bytes that fill a file's data up to the next block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(BLOCK * 2);
}

export interface TarSink {
  entry(header: TarHeader): void;
  data(chunk: Uint8Array): void;
  /** The current entry's bytes are complete. */
  endEntry(): void;
}

function readOctal(b: Uint8Array, at: number, len: number, field: string): number {
  let s = "";
  for (let i = at; i < at + len; i++) {
    const c = b[i];
    if (c === 0 || c === 32) {
      if (s !== "") break;
      continue;
    }
    if (c < 48 || c > 55) throw new Error(`tar: bad ${field} field`);
    s += String.fromCharCode(c);
  }
  return s === "" ? 0 : Number.parseInt(s, 8);
}

function parseHeader(b: Uint8Array): TarHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i];
  if (readOctal(b, 148, 8, "checksum") !== sum)
    throw new Error("tar: header checksum mismatch (not a tar archive, or damaged)");
  let end = 0;
  while (end < 100 && b[end] !== 0) end++;
  let name = new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(0, end));
  const prefixEnd = b.indexOf(0, 345);
  const prefix = new TextDecoder().decode(b.subarray(345, prefixEnd < 0 || prefixEnd > 500 ? 500 : prefixEnd));
  if (prefix !== "" && new TextDecoder().decode(b.subarray(257, 262)) === "ustar") name = `${prefix}/${name}`;
  const flag = String.fromCharCode(b[156]);
  let type: TarEntryType;
  if (flag === "0" || flag === "\0") type = "file";
  else if (flag === "5") type = "dir";
  else throw new Error(`tar: entry type ${JSON.stringify(flag)} of ${name} is not supported (only files and folders)`);
  if (type === "dir" && name.endsWith("/")) name = name.slice(0, -1);
  return {
    name,
    type,
    size: type === "dir" ? 0 : readOctal(b, 124, 12, "size"),
    mtime: readOctal(b, 136, 12, "mtime"),
    mode: readOctal(b, 100, 8, "mode"),
  };
}

/** Parses a tar stream pushed in chunks of any size; `end()` throws if the archive was cut short. */
export class TarReader {
  private pending = new Uint8Array(0);
  private remaining = 0;
  private padding = 0;
  private inEntry = false;
  private ended = false;

  constructor(private readonly sink: TarSink) {}

  push(chunk: Uint8Array): void {
    let buf = chunk;
    while (buf.length > 0 && !this.ended) {
      if (this.inEntry) {
        const n = Math.min(this.remaining, buf.length);
        if (n > 0) this.sink.data(buf.subarray(0, n));
        this.remaining -= n;
        buf = buf.subarray(n);
        if (this.remaining === 0) {
          this.inEntry = false;
          this.sink.endEntry();
        }
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, buf.length);
        this.padding -= n;
        buf = buf.subarray(n);
        continue;
      }
      const need = BLOCK - this.pending.length;
      const take = buf.subarray(0, need);
      const merged = new Uint8Array(this.pending.length + take.length);
      merged.set(this.pending);
      merged.set(take, this.pending.length);
      this.pending = merged;
      buf = buf.subarray(take.length);
      if (this.pending.length < BLOCK) continue;
      const block = this.pending;
      this.pending = new Uint8Array(0);
      if (block.every((x) => x === 0)) {
        this.ended = true;
        continue;
      }
      const header = parseHeader(block);
      this.sink.entry(header);
      this.remaining = header.size;
      this.padding = tarPadding(header.size).length;
      if (header.size > 0) this.inEntry = true;
      else this.sink.endEntry();
    }
  }

  end(): void {
    if (this.inEntry || this.pending.length > 0 || !this.ended) {
      throw new Error("tar: the archive ends in the middle (truncated or damaged)");
    }
  }
}
