/**
 * @module fias/serial
 * FIAS over RS-232: the serial device as a FIAS connector. The line is set with `stty` (no
 * `serialport` package: it crashes under Bun, toolchain.md) and read and written with node:fs, which
 * works the same under Bun, the compiled binary, Node and Deno (`-A`):
 * - reading: `fs.createReadStream(device)`, which reads the tty as bytes arrive without busy-waiting;
 * - writing: an `fs.openSync(device, "w")` fd and async `fs.write` calls chained one after the other
 *   (never `writeSync`: at 9600 baud a full tty buffer would block the event loop).
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

/**
 * A serial device opened raw: bytes in through `onData`, out through `write` (in order, never
 * blocking), `onClose` once (EIO, ENOENT, or close()).
 */
export class SerialDevice {
  private readonly stream: fs.ReadStream;
  private fd: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  private ended = false;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly events: { onData(b: Uint8Array): void; onClose(reason: string): void },
  ) {
    this.fd = fd;
    this.stream = fs.createReadStream(path, { highWaterMark: 4096 });
    this.stream.on("data", (chunk) => {
      if (!this.ended) this.events.onData(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
    });
    // EIO when the peer hangs up: without this handler the error lands elsewhere (toolchain.md 5c).
    this.stream.on("error", (err: Error) => this.end(errorMessage(err)));
    this.stream.on("close", () => this.end("device closed"));
    this.stream.on("end", () => this.end("end of device"));
  }

  /** Sets the line, then opens it. */
  static async open(
    s: SerialLineSettings,
    events: { onData(b: Uint8Array): void; onClose(reason: string): void },
  ): Promise<SerialDevice> {
    await fs.promises.access(s.device, fs.constants.R_OK | fs.constants.W_OK);
    await configureLine(s);
    const fd = fs.openSync(s.device, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
    return new SerialDevice(s.device, fd, events);
  }

  write(bytes: Uint8Array): void {
    if (this.ended) return;
    const copy = Uint8Array.from(bytes);
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          const fd = this.fd;
          if (fd === undefined || this.ended) return resolve();
          writeAll(fd, copy, (err) => {
            if (err) this.end(`write: ${errorMessage(err)}`);
            resolve();
          });
        }),
    );
  }

  /** Resolves once the bytes written so far are handed to the tty. */
  flushed(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.end("closed locally");
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.destroy();
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      // After pending writes, so a last LE still goes out.
      this.chain.finally(() => fs.close(fd, () => {}));
    }
    this.events.onClose(reason);
  }
}

function writeAll(fd: number, bytes: Uint8Array, done: (err?: Error) => void, offset = 0): void {
  fs.write(fd, bytes, offset, bytes.length - offset, null, (err, n) => {
    if (err) {
      if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
        setTimeout(() => writeAll(fd, bytes, done, offset), 5);
        return;
      }
      done(err);
      return;
    }
    if (offset + n < bytes.length) writeAll(fd, bytes, done, offset + n);
    else done();
  });
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

  write(bytes: Uint8Array): void {
    if (this.closing) return;
    this.layer.send(bytes);
  }

  close(): void {
    this.closeWith("closed locally");
  }

  private closeWith(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.layer.close();
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
      onData: (b) => conn.layer.fromWire(b),
      onClose: (reason) => {
        conn.layer.close();
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
