/**
 * @module fias/serial
 * FIAS over RS-232: the serial device (pms/serial-device.ts: stty + node:fs, reopened with backoff
 * by the link when it disappears, as it redials TCP) as a FIAS connector.
 *
 * Each opened device is a connection running the FIAS low-level protocol (serial-link.ts): the link
 * session above writes and reads plain STX…ETX frames as over TCP.
 */
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { lineTarget, SerialDevice, type SerialLineSettings } from "../serial-device.ts";
import type { AttachConnection, ConnectionEvents, FiasClientConnector, FiasConnection } from "./connection.ts";
import { FiasSerialLayer, type SerialLayerStats } from "./serial-link.ts";

export {
  bitsPerChar,
  configureLine,
  DEFAULT_SERIAL,
  resolvedDevice,
  SerialDevice,
  type SerialLineSettings,
  sttyArgs,
} from "../serial-device.ts";

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
    this.target = lineTarget(o);
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
