/**
 * @module pms/serial-device
 * A PMS serial line (FIAS, Mitel): set with `stty` (no `serialport` package: it crashes under Bun,
 * toolchain.md) and read and written with node:fs, which works the same under Bun, the compiled
 * binary, Node and Deno (`-A`):
 * - one O_RDWR | O_NONBLOCK | O_NOCTTY fd; reading is a poll loop (see SerialDevice for why not
 *   `fs.createReadStream`), writing is `fs.writeSync` on the non-blocking fd, the rest kept and
 *   retried on EAGAIN, so a full tty buffer at 9600 baud never blocks the event loop.
 * A device that disappears (USB adapter unplugged, pty peer gone) fails the pending read with EIO
 * or ENOENT: the connection closes and the link reopens the device with backoff, as it redials TCP.
 * The device path may be a `/dev/serial/by-id/…` link: it is opened as given (the link follows the
 * adapter), and only logged resolved.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import { errorMessage } from "../lib/errors.ts";

export interface SerialLineSettings {
  device: string;
  baud: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
}

export const DEFAULT_SERIAL: Omit<SerialLineSettings, "device"> = {
  baud: 9600,
  dataBits: 8,
  parity: "none",
  stopBits: 1,
};

/** Bits on the wire per character: start + data + parity + stop. */
export function bitsPerChar(s: Omit<SerialLineSettings, "device">): number {
  return 1 + s.dataBits + (s.parity === "none" ? 0 : 1) + s.stopBits;
}

/** `stty` arguments for the line. `raw` comes first: it would reset cs8/-parenb set before it. */
export function sttyArgs(s: SerialLineSettings): string[] {
  return [
    "-F",
    s.device,
    String(s.baud),
    "raw",
    "-echo",
    "-echoe",
    "-echok",
    "-echoctl",
    "-echoke",
    s.dataBits === 7 ? "cs7" : "cs8",
    s.parity === "none" ? "-parenb" : "parenb",
    s.parity === "odd" ? "parodd" : "-parodd",
    s.stopBits === 2 ? "cstopb" : "-cstopb",
    // No flow control (Spec ch.7: DTR/RTS are not flow control); ignore modem lines; keep DTR up.
    "-ixon",
    "-ixoff",
    "-crtscts",
    "clocal",
    "-hupcl",
    "cread",
    // read() returns as soon as one byte is there.
    "min",
    "1",
    "time",
    "0",
  ];
}

/** Sets the line with stty; rejects with stty's message. */
export function configureLine(s: SerialLineSettings): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("stty", sttyArgs(s), { timeout: 5000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`stty ${s.device}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** The device behind a /dev/serial/by-id link, for logs; the path itself when it is none. */
export function resolvedDevice(device: string): string {
  try {
    return fs.realpathSync(device);
  } catch {
    return device;
  }
}

/** How a connector names its line in logs: `/dev/ttyS0 (/dev/…) 9600 8N1`. */
export function lineTarget(s: SerialLineSettings): string {
  const real = resolvedDevice(s.device);
  const line = `${s.baud} ${s.dataBits}${s.parity[0].toUpperCase()}${s.stopBits}`;
  return `${s.device}${real !== s.device ? ` (${real})` : ""} ${line}`;
}

export interface DeviceEvents {
  onData(b: Uint8Array): void;
  /** Once: EIO/ENOENT (device gone), end of file, or close(). */
  onClose(reason: string): void;
  /** stty could set only part of the line (a pty takes no parity). */
  onWarning?(text: string): void;
}

export interface DeviceOptions {
  /**
   * The line turns around after each write (Mitel: ENQ → ACK, message → ACK, and the next bid
   * follows the last ACK at once): `write` polls hot around the end of its bytes on the wire.
   * Default false (FIAS: its serial layer's timers are seconds, a 1 ms poll costs nothing there).
   */
  turnarounds?: boolean;
}

/** Poll delays of the read loop: quick while the line is busy, slow once it has been quiet a while. */
const BUSY_MS = 1;
const IDLE_MS = 20;
const QUIET_AFTER_MS = 250;
/** The hot window around the end of our bytes on the wire, when the answer comes. */
const HOT_BEFORE_MS = 0.5;
const HOT_AFTER_MS = 5;

/**
 * A serial device opened raw and non-blocking: bytes in through `onData`, out through `write` (in
 * order, never blocking), `onClose` once (EIO, ENOENT, or close()).
 *
 * Reading is a poll loop of `fs.readSync` on the O_NONBLOCK fd (EAGAIN = nothing yet), every 1 ms
 * while bytes flowed in the last 250 ms, every 20 ms otherwise. Why not `fs.createReadStream`: under
 * Bun its reads block a worker thread of the fs pool, and with two devices in one process (a test,
 * the simulator beside the appliance) the writes queue behind the blocked reads and the line stalls;
 * `tty.ReadStream` on the fd fails with EAGAIN/EBADF under Bun; the loop works the same under every
 * runtime we run on (Bun, Node, Deno) and costs a syscall per poll, nothing else.
 *
 * Around a turnaround a 1 ms poll adds a millisecond or two to every turn, a few percent of a short
 * Mitel message's wire time. So `expectAfter` (which `write` calls with `turnarounds`) makes the loop
 * poll on every turn of the event loop (setImmediate) from just before the bytes' last character is
 * on the wire until 5 ms after, when the answer comes. The hot window costs CPU only around the turns
 * (bench/mitel-resync.ts).
 */
export class SerialDevice {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(4096);
  private readonly charMs: number;
  private readonly turnarounds: boolean;
  private pending: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the bytes written so far have left the wire (performance.now() time); none yet. */
  private wireEnd = Number.NEGATIVE_INFINITY;
  private lastData = 0;
  private ended = false;

  private constructor(
    readonly path: string,
    fd: number,
    line: Omit<SerialLineSettings, "device">,
    private readonly events: DeviceEvents,
    opts: DeviceOptions,
  ) {
    this.fd = fd;
    this.charMs = (bitsPerChar(line) / line.baud) * 1000;
    this.turnarounds = opts.turnarounds ?? false;
    this.lastData = performance.now();
    this.timer = setTimeout(() => this.poll(), 0);
  }

  /** Sets the line, then opens it. `onWarning` hears stty's partial success (a pty takes no parity). */
  static async open(s: SerialLineSettings, events: DeviceEvents, opts: DeviceOptions = {}): Promise<SerialDevice> {
    await fs.promises.access(s.device, fs.constants.R_OK | fs.constants.W_OK);
    try {
      await configureLine(s);
    } catch (err) {
      // A pty (socat, tests) refuses parity and some speeds; stty has set what it could.
      const text = errorMessage(err);
      if (!text.includes("unable to perform all requested operations")) throw err;
      events.onWarning?.(text);
    }
    const { O_RDWR, O_NOCTTY, O_NONBLOCK } = fs.constants;
    const fd = fs.openSync(s.device, O_RDWR | O_NOCTTY | O_NONBLOCK);
    return new SerialDevice(s.device, fd, s, events, opts);
  }

  /**
   * Queues bytes in order, never blocking. With `expect` (default: the `turnarounds` option) the
   * answer is polled for around their end on the wire; false for a pacing writer that places the
   * window itself with expectAfter.
   */
  write(bytes: Uint8Array, expect = this.turnarounds): void {
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
        // EIO: the other end hung up (pty peer gone, USB adapter unplugged).
        this.end(errorMessage(err));
        return;
      }
      if (n <= 0) {
        // Raw mode, non-blocking: no data is EAGAIN, so 0 is end of file, the line hung up.
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
      // A last frame (FIAS: LE) still goes out if the tty takes it now.
      for (const b of this.pending) {
        try {
          fs.writeSync(fd, b);
        } catch {
          break;
        }
      }
      this.pending = [];
      try {
        fs.closeSync(fd);
      } catch {
        // already gone
      }
    }
    this.events.onClose(reason);
  }
}
