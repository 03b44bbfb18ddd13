/**
 * @module fias/serial
 * FIAS over RS-232: the serial device as a FIAS connector. The line is set with `stty` (no
 * `serialport` package: it crashes under Bun, toolchain.md) and read and written with node:fs, which
 * works the same under Bun, the compiled binary, Node and Deno (`-A`):
 * - one O_RDWR | O_NONBLOCK | O_NOCTTY fd; reading is a poll loop (see SerialDevice for why not
 *   `fs.createReadStream`), writing is `fs.writeSync` on the non-blocking fd, the rest kept and
 *   retried on EAGAIN, so a full tty buffer at 9600 baud never blocks the event loop.
 * A device that disappears (USB adapter unplugged, pty peer gone) fails the pending read with EIO
 * or ENOENT: the connection closes and the link reopens the device with backoff, as it redials TCP.
 * The device path may be a `/dev/serial/by-id/…` link: it is opened as given (the link follows the
 * adapter), and only logged resolved.
 *
 * Each opened device is a connection running the FIAS low-level protocol (serial-link.ts): the link
 * session above writes and reads plain STX…ETX frames as over TCP.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { AttachConnection, ConnectionEvents, FiasClientConnector, FiasConnection } from "./connection.ts";
import { FiasSerialLayer, type SerialLayerStats } from "./serial-link.ts";

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

/** Poll delays of the read loop: quick while the line is busy, slow once it has been idle a while. */
const POLL_BUSY_MS = 1;
const POLL_IDLE_MS = 20;
const BUSY_WINDOW_MS = 250;

/**
 * A serial device opened raw and non-blocking: bytes in through `onData`, out through `write` (in
 * order, never blocking), `onClose` once (EIO, ENOENT, or close()).
 *
 * Reading is a poll loop of `fs.readSync` on the O_NONBLOCK fd (EAGAIN = nothing yet), every 1 ms
 * while bytes flowed in the last 250 ms, every 20 ms otherwise. Why not `fs.createReadStream`: under
 * Bun its reads block a worker thread of the fs pool, and with two devices in one process (a test,
 * the simulator beside the appliance) the writes queue behind the blocked reads and the line stalls;
 * `tty.ReadStream` on the fd fails with EAGAIN/EBADF under Bun. The loop works the same under Bun,
 * Node and Deno, costs a syscall per poll and nothing else.
 */
export class SerialDevice {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(4096);
  private pending: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  private lastDataAt = 0;
  private ended = false;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly events: { onData(b: Uint8Array): void; onClose(reason: string): void },
  ) {
    this.fd = fd;
    this.lastDataAt = performance.now();
    this.timer = setTimeout(() => this.poll(), 0);
  }

  /** Sets the line, then opens it. `onWarning` hears stty's partial success (a pty takes no parity). */
  static async open(
    s: SerialLineSettings,
    events: { onData(b: Uint8Array): void; onClose(reason: string): void; onWarning?(text: string): void },
  ): Promise<SerialDevice> {
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
    return new SerialDevice(s.device, fd, events);
  }

  write(bytes: Uint8Array): void {
    if (this.ended) return;
    this.pending.push(Uint8Array.from(bytes));
    if (!this.writeTimer) this.flush();
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
    while (this.pending.length > 0 && !this.ended) {
      const fd = this.fd;
      if (fd === undefined) return;
      const head = this.pending[0];
      let n: number;
      try {
        n = fs.writeSync(fd, head);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          this.writeTimer = setTimeout(() => this.flush(), 2);
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
    const fd = this.fd;
    if (this.ended || fd === undefined) return;
    let got = false;
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
      got = true;
      this.events.onData(Uint8Array.from(this.buf.subarray(0, n)));
      if (this.ended) return;
      if (n < this.buf.length) break;
    }
    const now = performance.now();
    if (got) this.lastDataAt = now;
    const delay = now - this.lastDataAt < BUSY_WINDOW_MS ? POLL_BUSY_MS : POLL_IDLE_MS;
    this.timer = setTimeout(() => this.poll(), delay);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.writeTimer);
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      // A last LE still goes out if the tty takes it now.
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

export interface SerialConnectorOptions extends SerialLineSettings {
  clock: Clock;
  logger: Logger;
  maxFrameBytes?: number;
  /** Timer 2 override (tests). */
  answerTimeoutMs?: number;
}

/** One open device: the FIAS low-level protocol between the wire and the link session. */
class SerialConnection implements FiasConnection {
  readonly remote: string;
  closing = false;
  device: SerialDevice | undefined;
  readonly layer: FiasSerialLayer;
  events: ConnectionEvents | undefined;

  constructor(o: SerialConnectorOptions) {
    this.remote = o.device;
    this.layer = new FiasSerialLayer({
      clock: o.clock,
      maxFrameBytes: o.maxFrameBytes,
      answerTimeoutMs: o.answerTimeoutMs,
      toWire: (b) => this.device?.write(b),
      up: (b) => this.events?.onData(b),
      onGiveUp: (reason) => {
        o.logger.warn("fias serial: giving the line up", { device: o.device, reason });
        this.closeWith(`serial: ${reason}`);
      },
      onEvent: (what, detail) => o.logger.debug(`fias serial: ${what}`, { device: o.device, ...detail }),
    });
  }

  readonly acknowledges = true;

  write(bytes: Uint8Array, done?: (delivered: boolean, reason?: string) => void): void {
    if (this.closing) {
      done?.(false, "line closed");
      return;
    }
    this.layer.send(bytes, { done });
  }

  close(): void {
    this.closeWith("closed locally");
  }

  private closeWith(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.layer.close(reason);
    this.reason = reason;
    this.device?.close();
  }

  reason: string | undefined;
}

/** Opens the serial device (a "client" connector: the link reopens it with backoff when it fails). */
export class SerialConnector implements FiasClientConnector {
  readonly mode = "client";
  readonly target: string;
  /** The open connection's low-level counters (status, tests). */
  current: { stats: SerialLayerStats } | undefined;

  constructor(private readonly o: SerialConnectorOptions) {
    const real = resolvedDevice(o.device);
    this.target = `${o.device}${real !== o.device ? ` (${real})` : ""} ${o.baud} ${o.dataBits}${o.parity[0].toUpperCase()}${o.stopBits}`;
  }

  async connect(attach: AttachConnection): Promise<FiasConnection> {
    const conn = new SerialConnection(this.o);
    let closedEarly: string | undefined;
    const device = await SerialDevice.open(this.o, {
      onWarning: (text) => this.o.logger.warn("fias serial: stty could not set everything (a pty?)", { text }),
      onData: (b) => conn.layer.fromWire(b),
      onClose: (reason) => {
        conn.layer.close(reason);
        conn.closing = true;
        if (!conn.events) {
          closedEarly = reason;
          return;
        }
        try {
          conn.events.onClose(conn.reason ?? reason);
        } catch (err) {
          this.o.logger.error("fias serial: close handler threw", { error: errorMessage(err) });
        }
      },
    });
    conn.device = device;
    if (closedEarly) throw new Error(`${this.o.device}: ${closedEarly}`);
    this.o.logger.info("fias serial: device open", { device: this.target });
    conn.events = attach(conn);
    this.current = conn.layer;
    return conn;
  }
}
