/**
 * @module sim/pms/serial-port
 * The PMS simulator on a serial device (`bellhop sim pms --serial DEVICE`): the same stty + node:fs
 * device code as the appliance (src/pms/fias/serial.ts), the same FIAS serial layer on the PMS's side
 * (LRC, ACK/NAK, ENQ, 3 retries), and writes paced at the line's baud rate. A pty (socat) delivers
 * bytes at any speed whatever baud stty was given, so the simulator emulates the wire itself: a
 * character takes start + data + parity + stop bits (10 at 8N1) of 1/baud s each.
 */
import { setTimeout as delay } from "node:timers";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import { bitsPerChar, SerialDevice, type SerialLineSettings } from "../../pms/fias/serial.ts";
import { FiasSerialLayer } from "../../pms/fias/serial-link.ts";
import type { SimLine } from "./simulator.ts";

export type SimSerialSettings = SerialLineSettings & {
  /** Pace writes at the baud rate (default true); off sends as fast as the device takes them. */
  pace?: boolean;
};

/** How far ahead of the wire a write may go (ms): a pacing tick. Small, so a frame's last byte reaches the appliance no earlier than on a real wire (2 ms ≈ 2 characters at 9600) and the ACK round trip shows in the bench. */
const SLACK_MS = 2;

/** Writes bytes no faster than a line of `bytesPerSecond` would carry them. */
export class PacedWriter {
  private readonly queue: Uint8Array[] = [];
  private freeAt = 0;
  private timer: ReturnType<typeof delay> | undefined;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly out: (b: Uint8Array) => void,
  ) {}

  write(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    this.queue.push(bytes);
    if (!this.timer) this.pump();
  }

  /** Resolves once the queue is empty and the last byte's wire time has passed. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && performance.now() >= this.freeAt) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.idle.push(resolve));
    if (!this.timer) this.pump();
    return p;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    for (const r of this.idle.splice(0)) r();
  }

  private pump(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = performance.now();
    if (this.freeAt < now) this.freeAt = now;
    const perMs = this.bytesPerSecond / 1000;
    while (this.queue.length > 0 && this.freeAt - now < SLACK_MS) {
      // As many bytes as fit before the wire is SLACK_MS ahead of now (at least one).
      const room = Math.max(1, Math.floor((SLACK_MS - (this.freeAt - now)) * perMs));
      const head = this.queue[0];
      const n = Math.min(room, head.length);
      this.out(head.subarray(0, n));
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      this.freeAt += n / perMs;
    }
    const wait = this.freeAt - now - SLACK_MS / 2;
    if (this.queue.length > 0) {
      this.timer = delay(() => this.pump(), Math.max(1, wait));
    } else if (this.idle.length > 0) {
      this.timer = delay(
        () => {
          this.timer = undefined;
          if (this.queue.length === 0) for (const r of this.idle.splice(0)) r();
          else this.pump();
        },
        Math.max(0, this.freeAt - now),
      );
    }
  }
}

export class SimSerialLine implements SimLine {
  readonly remote: string;
  readonly layer: FiasSerialLayer;
  private device: SerialDevice | undefined;
  private readonly writer: PacedWriter | undefined;
  private events: Parameters<SimLine["listen"]>[0] | undefined;
  private corrupt = 0;
  private ended = false;

  private constructor(s: SimSerialSettings, o: { clock: Clock; logger: Logger }) {
    this.remote = s.device;
    const rate = s.baud / bitsPerChar(s);
    const raw = (b: Uint8Array) => this.device?.write(b);
    this.writer = s.pace === false ? undefined : new PacedWriter(rate, raw);
    this.layer = new FiasSerialLayer({
      clock: o.clock,
      toWire: (b) => this.wire(b),
      up: (b) => this.events?.data(b),
      onGiveUp: (reason) => {
        o.logger.warn("pms sim serial: giving the line up", { reason });
        this.destroy();
      },
      onEvent: (what, detail) => o.logger.debug(`pms sim serial: ${what}`, detail),
    });
  }

  static async open(s: SimSerialSettings, o: { clock: Clock; logger: Logger }): Promise<SimSerialLine> {
    const line = new SimSerialLine(s, o);
    line.device = await SerialDevice.open(s, {
      onData: (b) => line.layer.fromWire(b),
      onClose: (reason) => line.onClosed(reason),
    });
    return line;
  }

  write(bytes: Uint8Array): void {
    if (this.corrupt > 0) {
      this.corrupt--;
      this.layer.send(bytes, { badLrcAttempts: 1 });
    } else this.layer.send(bytes);
  }

  writeRaw(bytes: Uint8Array): void {
    this.wire(bytes);
  }

  corruptNext(n: number): void {
    this.corrupt = n;
  }

  drained(): Promise<void> {
    return this.writer?.drained() ?? this.device?.flushed() ?? Promise.resolve();
  }

  destroy(): void {
    this.layer.close();
    this.writer?.close();
    this.device?.close();
  }

  listen(on: Parameters<SimLine["listen"]>[0]): void {
    this.events = on;
  }

  private wire(b: Uint8Array): void {
    if (this.writer) this.writer.write(b);
    else this.device?.write(b);
  }

  private onClosed(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.layer.close();
    this.writer?.close();
    if (reason !== "closed locally") this.events?.error(new Error(reason));
    // Later, as a socket's 'close': a destroy() from the simulator finishes its own bookkeeping first.
    queueMicrotask(() => this.events?.close());
  }
}
