/**
 * @module voice/wav-writer
 * A G.711 WAV file written while a caller speaks: the header (placeholder sizes) goes to disk first,
 * audio is written with plain synchronous positional writes as packets arrive (a few hundred bytes
 * into the page cache: microseconds, and the caller's packet buffer is consumed before returning),
 * and the file is flushed to the disk on the caller's `sync()` cadence by an asynchronous fdatasync,
 * so a slow disk never stalls the event loop that paces every call's RTP. A kill -9 loses nothing
 * written (it is in the kernel's cache already); a power cut loses what came since the last flush.
 * `finish()` fixes the sizes, flushes and closes.
 *
 * Files are created with `wx+` and mode 0600: a recording never overwrites a file (another guest's
 * message) and is readable by the appliance's user only.
 */
import fs from "node:fs";
import { dirname } from "node:path";
import { type G711Codec, g711WavHeader, readFully, WAV_HEADER_BYTES } from "./g711-wav.ts";

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

export class G711WavWriter {
  private bytes = 0;
  private syncing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private format: G711Codec,
  ) {}

  /** Creates the file (and its folder) and writes the header; throws if it exists or cannot be written. */
  static create(path: string, codec: G711Codec): G711WavWriter {
    fs.mkdirSync(dirname(path), { recursive: true });
    const fd = fs.openSync(path, "wx+", 0o600);
    try {
      writeAll(fd, g711WavHeader(codec, null), 0);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(path, { force: true });
      throw err;
    }
    return new G711WavWriter(path, fd, codec);
  }

  /** Audio bytes written (one byte a sample). */
  get length(): number {
    return this.bytes;
  }

  get codec(): G711Codec {
    return this.format;
  }

  /** Changes the stored codec; only before any audio (the first packet tells which one the caller sends). */
  setCodec(codec: G711Codec): void {
    if (codec === this.format) return;
    if (this.bytes > 0) throw new Error("the codec of a recording cannot change once audio is written");
    this.format = codec;
    writeAll(this.fd, g711WavHeader(codec, null), 0);
  }

  /** Writes `bytes` at audio offset `at` (≤ length); what goes past the end extends the file. */
  write(at: number, bytes: Uint8Array): void {
    if (at > this.bytes) throw new RangeError(`write at ${at} past the end (${this.bytes})`);
    writeAll(this.fd, bytes, WAV_HEADER_BYTES + at);
    this.bytes = Math.max(this.bytes, at + bytes.length);
  }

  append(bytes: Uint8Array): void {
    this.write(this.bytes, bytes);
  }

  /** `n` audio bytes from offset `at`. */
  read(at: number, n: number): Uint8Array {
    return readFully(this.fd, n, WAV_HEADER_BYTES + at);
  }

  /** Drops the audio from offset `n` on. */
  truncate(n: number): void {
    if (n >= this.bytes) return;
    fs.ftruncateSync(this.fd, WAV_HEADER_BYTES + n);
    this.bytes = n;
  }

  /** Starts a flush to the disk unless one is running; never throws (a failing disk fails the next write). */
  sync(): void {
    if (this.syncing || this.closed) return;
    this.syncing = new Promise<void>((resolve) => {
      fs.fdatasync(this.fd, () => {
        this.syncing = null;
        resolve();
      });
    });
  }

  /** Fixes the sizes (a pad byte after odd audio, as RIFF wants), flushes and closes. */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.bytes % 2 === 1) writeAll(this.fd, new Uint8Array(1), WAV_HEADER_BYTES + this.bytes);
      writeAll(this.fd, g711WavHeader(this.format, this.bytes), 0);
      await this.syncing;
      await new Promise<void>((resolve, reject) => fs.fsync(this.fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      await this.syncing;
      fs.closeSync(this.fd);
    }
  }

  /** Closes without fixing the header: what a crash leaves (tests), or after a write failed. */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.syncing;
    fs.closeSync(this.fd);
  }
}
