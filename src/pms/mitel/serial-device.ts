/**
 * @module mitel/serial-device
 * A serial device for the Mitel link: set with the appliance's stty code (pms/fias/serial.ts), read
 * and written with node:fs on one non-blocking fd like the FIAS SerialDevice (see there why a poll
 * loop and not a read stream), with one difference in how it polls.
 *
 * The Mitel line turns around twice per message (ENQ → ACK, message → ACK) and the next bid follows
 * the last ACK at once: a 1 ms poll adds a millisecond or two to every turn, a few percent of a short
 * message's wire time. So after each write the loop polls on every turn of the event loop
 * (setImmediate) from just before the write's last byte is on the wire until 5 ms after, when the
 * answer comes; otherwise every 1 ms while the line is busy and every 20 ms once it has been quiet
 * for 250 ms. The hot window costs CPU only around the turns (bench/mitel-resync.ts).
 */
import fs from "node:fs";
import { errorMessage } from "../../lib/errors.ts";
import { bitsPerChar, configureLine, type SerialLineSettings } from "../fias/serial.ts";

const HOT_BEFORE_MS = 0.5;
const HOT_AFTER_MS = 5;
const BUSY_MS = 1;
const IDLE_MS = 20;
const QUIET_AFTER_MS = 250;

export interface DeviceEvents {
  onData(b: Uint8Array): void;
  /** Once: EIO/ENOENT (device gone), end of file, or close(). */
  onClose(reason: string): void;
  /** stty could set only part of the line (a pty takes no parity). */
  onWarning?(text: string): void;
}

export class MitelSerialDevice {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(4096);
  private readonly charMs: number;
  private pending: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the bytes written so far have left the wire (performance.now() time). */
  private wireEnd = 0;
  private lastData = 0;
  private ended = false;

  private constructor(
    readonly path: string,
    fd: number,
    line: Omit<SerialLineSettings, "device">,
    private readonly events: DeviceEvents,
  ) {
    this.fd = fd;
    this.charMs = (bitsPerChar(line) / line.baud) * 1000;
    this.lastData = performance.now();
    this.timer = setTimeout(() => this.poll(), 0);
  }

  static async open(s: SerialLineSettings, events: DeviceEvents): Promise<MitelSerialDevice> {
    await fs.promises.access(s.device, fs.constants.R_OK | fs.constants.W_OK);
    try {
      await configureLine(s);
    } catch (err) {
      const text = errorMessage(err);
      if (!text.includes("unable to perform all requested operations")) throw err;
      events.onWarning?.(text);
    }
    const { O_RDWR, O_NOCTTY, O_NONBLOCK } = fs.constants;
    return new MitelSerialDevice(s.device, fs.openSync(s.device, O_RDWR | O_NOCTTY | O_NONBLOCK), s, events);
  }

  /**
   * Queues bytes in order, never blocking; the answer is polled for around their end on the wire
   * (`expect` false: a pacing writer that placed the window itself with expectAfter).
   */
  write(bytes: Uint8Array, expect = true): void {
    if (this.ended) return;
    if (expect) this.expectAfter(bytes.length);
    this.pending.push(Uint8Array.from(bytes));
    if (!this.writeTimer) this.flush();
  }

  /**
   * Moves the hot window to the end of `chars` more characters on the wire (a writer that paces its
   * own bytes calls this as it hands them over).
   */
  expectAfter(chars: number): void {
    const now = performance.now();
    this.wireEnd = Math.max(now, this.wireEnd) + chars * this.charMs;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  /** Resolves once the bytes written so far are handed to the tty. */
  async flushed(): Promise<void> {
    while (this.pending.length > 0 && !this.ended) await new Promise((r) => setTimeout(r, 2));
  }

  close(): void {
    this.end("closed locally");
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
        this.end(`write: ${errorMessage(err)}`);
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
        this.end(errorMessage(err));
        return;
      }
      if (n <= 0) {
        this.end("hung up (end of file)");
        return;
      }
      this.lastData = performance.now();
      this.events.onData(Uint8Array.from(this.buf.subarray(0, n)));
      if (this.ended) return;
      if (n < this.buf.length) break;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.ended || this.immediate) return;
    const now = performance.now();
    const hotFrom = this.wireEnd - HOT_BEFORE_MS;
    if (now >= hotFrom && now <= this.wireEnd + HOT_AFTER_MS) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(() => this.poll());
      return;
    }
    if (this.timer) return;
    const step = now - Math.max(this.lastData, this.wireEnd) > QUIET_AFTER_MS ? IDLE_MS : BUSY_MS;
    const wait = now < hotFrom ? Math.min(step, hotFrom - now) : step;
    this.timer = setTimeout(() => this.poll(), Math.max(0, wait));
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already gone
      }
    }
    this.events.onClose(reason);
  }
}
