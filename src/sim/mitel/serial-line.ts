/**
 * @module sim/mitel/serial-line
 * The Mitel PMS simulator on a serial device: the appliance's Mitel serial device (pms/mitel/
 * serial-device.ts: stty, node:fs, the answer polled for at once around the end of each write), with
 * the simulator's writes paced at the baud rate (sim/pms/serial-port.ts PacedWriter), so a socat pty
 * — which carries bytes at any speed — behaves like the wire. No LRC layer: the Mitel link procedure
 * is the ENQ/ACK/NAK bytes themselves.
 */
import type { SerialLineSettings } from "../../pms/fias/serial.ts";
import { bitsPerChar } from "../../pms/fias/serial.ts";
import { MitelSerialDevice } from "../../pms/mitel/serial-device.ts";
import { PacedWriter } from "../pms/serial-port.ts";
import type { MitelSimLine } from "./simulator.ts";

export type MitelSimSerialSettings = SerialLineSettings & {
  /** Pace writes at the baud rate (default true). */
  pace?: boolean;
};

export class MitelSimSerial implements MitelSimLine {
  readonly remote: string;
  private device: MitelSerialDevice | undefined;
  private readonly writer: PacedWriter | undefined;
  private events: { data(b: Uint8Array): void; close(): void } | undefined;
  private ended = false;

  private constructor(s: MitelSimSerialSettings) {
    this.remote = s.device;
    // The hot window is placed when a message is queued, for its end on the paced wire.
    const raw = (b: Uint8Array) => this.device?.write(b, false);
    this.writer = s.pace === false ? undefined : new PacedWriter(s.baud / bitsPerChar(s), raw);
  }

  static async open(s: MitelSimSerialSettings): Promise<MitelSimSerial> {
    const line = new MitelSimSerial(s);
    line.device = await MitelSerialDevice.open(s, {
      onData: (b) => line.events?.data(b),
      onClose: () => line.onClosed(),
    });
    return line;
  }

  write(bytes: Uint8Array): void {
    if (!this.writer) {
      this.device?.write(bytes);
      return;
    }
    this.device?.expectAfter(bytes.length);
    this.writer.write(bytes);
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
