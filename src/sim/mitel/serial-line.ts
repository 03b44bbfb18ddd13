/**
 * @module sim/mitel/serial-line
 * The Mitel PMS simulator on a serial device: the line set with the appliance's stty code
 * (pms/fias/serial.ts), writes paced at the baud rate (sim/pms/serial-port.ts PacedWriter) so a socat
 * pty — which carries bytes at any speed — behaves like the wire. No LRC layer: the Mitel link
 * procedure is the ENQ/ACK/NAK bytes themselves.
 *
 * Reading is a poll loop of `fs.readSync` on the non-blocking fd, like the appliance's SerialDevice,
 * with one difference: the Mitel line turns around twice per message (ENQ → ACK, message → ACK), and
 * a real PMS's UART hears the answer at once, while a 1 ms poll adds a millisecond or two to every
 * turn. So from just before our last byte leaves the wire until 5 ms after, the loop polls on every
 * turn of the event loop (setImmediate); otherwise every 1 ms (20 ms when idle). The simulator then
 * measures the appliance, not its own polling (bench/mitel-resync.ts).
 */
import fs from "node:fs";
import { errorMessage } from "../../lib/errors.ts";
import { bitsPerChar, configureLine, type SerialLineSettings } from "../../pms/fias/serial.ts";
import { PacedWriter } from "../pms/serial-port.ts";
import type { MitelSimLine } from "./simulator.ts";

export type MitelSimSerialSettings = SerialLineSettings & {
  /** Pace writes at the baud rate (default true). */
  pace?: boolean;
};

const HOT_BEFORE_MS = 0.5;
const HOT_AFTER_MS = 5;
const IDLE_AFTER_MS = 250;

export class MitelSimSerial implements MitelSimLine {
  readonly remote: string;
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(4096);
  private readonly writer: PacedWriter | undefined;
  private readonly charMs: number;
  private pending: Uint8Array[] = [];
  private events: { data(b: Uint8Array): void; close(): void } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  private wireEnd = 0;
  private lastData = 0;
  private ended = false;

  private constructor(s: MitelSimSerialSettings, fd: number) {
    this.remote = s.device;
    this.fd = fd;
    this.charMs = (bitsPerChar(s) / s.baud) * 1000;
    this.writer = s.pace === false ? undefined : new PacedWriter(s.baud / bitsPerChar(s), (b) => this.raw(b));
    this.lastData = performance.now();
    this.timer = setTimeout(() => this.poll(), 0);
  }

  static async open(s: MitelSimSerialSettings): Promise<MitelSimSerial> {
    await fs.promises.access(s.device, fs.constants.R_OK | fs.constants.W_OK);
    try {
      await configureLine(s);
    } catch (err) {
      // A pty refuses parity and some speeds; stty has set what it could.
      if (!errorMessage(err).includes("unable to perform all requested operations")) throw err;
    }
    const { O_RDWR, O_NOCTTY, O_NONBLOCK } = fs.constants;
    return new MitelSimSerial(s, fs.openSync(s.device, O_RDWR | O_NOCTTY | O_NONBLOCK));
  }

  write(bytes: Uint8Array): void {
    if (this.ended) return;
    const now = performance.now();
    this.wireEnd = Math.max(now, this.wireEnd) + bytes.length * this.charMs;
    if (this.writer) this.writer.write(bytes);
    else this.raw(bytes);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  drained(): Promise<void> {
    return this.writer?.drained() ?? Promise.resolve();
  }

  destroy(): void {
    this.end();
  }

  listen(on: { data(b: Uint8Array): void; close(): void }): void {
    this.events = on;
  }

  private raw(bytes: Uint8Array): void {
    this.pending.push(Uint8Array.from(bytes));
    if (!this.writeTimer) this.flush();
  }

  private flush(): void {
    this.writeTimer = undefined;
    while (this.pending.length > 0 && this.fd !== undefined) {
      const head = this.pending[0];
      let n: number;
      try {
        n = fs.writeSync(this.fd, head);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          this.writeTimer = setTimeout(() => this.flush(), 1);
          return;
        }
        this.end();
        return;
      }
      if (n < head.length) this.pending[0] = head.subarray(n);
      else this.pending.shift();
    }
  }

  private poll(): void {
    this.timer = undefined;
    this.immediate = undefined;
    const fd = this.fd;
    if (this.ended || fd === undefined) return;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") break;
        this.end();
        return;
      }
      if (n <= 0) {
        this.end();
        return;
      }
      this.lastData = performance.now();
      this.events?.data(Uint8Array.from(this.buf.subarray(0, n)));
      if (this.ended) return;
      if (n < this.buf.length) break;
    }
    this.schedule();
  }

  /** The next poll: at once near the expected answer, else 1 ms (20 ms after a quiet spell). */
  private schedule(): void {
    if (this.ended) return;
    const now = performance.now();
    const hotFrom = this.wireEnd - HOT_BEFORE_MS;
    const hot = now >= hotFrom && now <= this.wireEnd + HOT_AFTER_MS;
    if (hot) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate ??= setImmediate(() => this.poll());
      return;
    }
    if (this.timer || this.immediate) return;
    const quiet = now - Math.max(this.lastData, this.wireEnd) > IDLE_AFTER_MS;
    const wait = now < hotFrom ? Math.min(quiet ? 20 : 1, hotFrom - now) : quiet ? 20 : 1;
    this.timer = setTimeout(() => this.poll(), Math.max(0, wait));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writer?.close();
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already gone
      }
    }
    queueMicrotask(() => this.events?.close());
  }
}
