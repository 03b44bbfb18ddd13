/**
 * @module sim/mitel/serial-line
 * The Mitel PMS simulator on a serial device: the appliance's own device code (stty + node:fs,
 * pms/fias/serial.ts) with the simulator's writes paced at the baud rate (sim/pms/serial-port.ts), so
 * a socat pty — which carries bytes at any speed — behaves like the wire. No LRC layer: the Mitel link
 * procedure is the ENQ/ACK/NAK bytes themselves.
 */
import { bitsPerChar, SerialDevice, type SerialLineSettings } from "../../pms/fias/serial.ts";
import { PacedWriter } from "../pms/serial-port.ts";
import type { MitelSimLine } from "./simulator.ts";

export type MitelSimSerialSettings = SerialLineSettings & {
  /** Pace writes at the baud rate (default true). */
  pace?: boolean;
};

export class MitelSimSerial implements MitelSimLine {
  readonly remote: string;
  private device: SerialDevice | undefined;
  private readonly writer: PacedWriter | undefined;
  private events: { data(b: Uint8Array): void; close(): void } | undefined;
  private ended = false;

  private constructor(s: MitelSimSerialSettings) {
    this.remote = s.device;
    const raw = (b: Uint8Array) => this.device?.write(b);
    this.writer = s.pace === false ? undefined : new PacedWriter(s.baud / bitsPerChar(s), raw);
  }

  static async open(s: MitelSimSerialSettings): Promise<MitelSimSerial> {
    const line = new MitelSimSerial(s);
    line.device = await SerialDevice.open(s, {
      onData: (b) => line.events?.data(b),
      onClose: () => line.onClosed(),
    });
    return line;
  }

  write(bytes: Uint8Array): void {
    if (this.writer) this.writer.write(bytes);
    else this.device?.write(bytes);
  }

  drained(): Promise<void> {
    return this.writer?.drained() ?? this.device?.flushed() ?? Promise.resolve();
  }

  destroy(): void {
    this.writer?.close();
    this.device?.close();
  }

  listen(on: { data(b: Uint8Array): void; close(): void }): void {
    this.events = on;
  }

  private onClosed(): void {
    if (this.ended) return;
    this.ended = true;
    this.writer?.close();
    queueMicrotask(() => this.events?.close());
  }
}
