/**
 * @module mitel/serial
 * The Mitel PMS link over RS-232: the serial device (serial-device.ts: stty + node:fs, reopened with
 * backoff by the link when it disappears) carrying the link's bytes as they are. Unlike FIAS there is
 * no LRC layer underneath: ENQ/ACK/NAK and `STX message ETX` are the link procedure itself
 * (session.ts), so the connection is the plain device.
 */
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { AttachConnection, ConnectionEvents, FiasClientConnector, FiasConnection } from "../fias/connection.ts";
import { lineTarget, type SerialLineSettings } from "../serial-device.ts";
import { MitelSerialDevice } from "./serial-device.ts";

export interface MitelSerialOptions extends SerialLineSettings {
  logger: Logger;
}

class MitelSerialConnection implements FiasConnection {
  readonly remote: string;
  device: MitelSerialDevice | undefined;
  events: ConnectionEvents | undefined;
  closing = false;

  constructor(device: string) {
    this.remote = device;
  }

  write(bytes: Uint8Array): void {
    if (!this.closing) this.device?.write(bytes);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.device?.close();
  }
}

/** Opens the device (a "client" connector: the link reopens it with backoff when it fails). */
export class MitelSerialConnector implements FiasClientConnector {
  readonly mode = "client";
  readonly target: string;

  constructor(private readonly o: MitelSerialOptions) {
    this.target = lineTarget(o);
  }

  async connect(attach: AttachConnection): Promise<FiasConnection> {
    const conn = new MitelSerialConnection(this.o.device);
    let closedEarly: string | undefined;
    const device = await MitelSerialDevice.open(this.o, {
      onWarning: (text) => this.o.logger.warn("mitel serial: stty could not set everything (a pty?)", { text }),
      onData: (b) => conn.events?.onData(b),
      onClose: (reason) => {
        conn.closing = true;
        if (!conn.events) {
          closedEarly = reason;
          return;
        }
        try {
          conn.events.onClose(reason);
        } catch (err) {
          this.o.logger.error("mitel serial: close handler threw", { error: errorMessage(err) });
        }
      },
    });
    conn.device = device;
    if (closedEarly) throw new Error(`${this.o.device}: ${closedEarly}`);
    this.o.logger.info("mitel serial: device open", { device: this.target });
    conn.events = attach(conn);
    return conn;
  }
}
