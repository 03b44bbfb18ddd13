/**
 * @module sim/mitel/simulator
 * A Mitel PMS (the PMS side of the SX-200/SX-2000 protocol) with a generated hotel, for installers
 * (`bellhop sim pms --protocol mitel`) and tests (`MitelPmsSimulator`): TCP server or client, or a
 * serial device with writes paced at the baud rate. It bids for the line for each message (pms-side.ts),
 * answers the system's bids and messages, and answers RQINZ with a GRS cycle of the hotel. Tests
 * drive it with `send`, `resync`, `waitFor` and the answer hooks (`nakNext`, `nakBids`, `ignoreBids`).
 * node:net only, so it also runs under Deno as it is.
 */
import { EventEmitter } from "node:events";
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { type Charset, encode } from "../../lib/charset.ts";
import { type Clock, systemClock, type TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import { showBytes } from "../../pms/mitel/codec.ts";
import { formatMessage, type MitelMessage } from "../../pms/mitel/messages.ts";
import { type MitelProfile, mitelProfile } from "../../pms/mitel/profiles.ts";
import type { Hotel } from "../pms/hotel.ts";
import { resyncMessages } from "./hotel.ts";
import { PmsSide, type PmsSideStats } from "./pms-side.ts";
import { MitelSimSerial, type MitelSimSerialSettings } from "./serial-line.ts";

export interface MitelSimOptions {
  hotel: Hotel;
  profile?: MitelProfile;
  charset?: Charset;
  logger?: Logger;
  /** Answer RQINZ with GRS, the hotel, END. Default true. */
  answerRqinz?: boolean;
  clock?: Clock;
}

export interface MitelSimFrame {
  dir: "in" | "out";
  at: number;
  text: string;
  error?: string;
  connection: number;
}

/** A message from the system: type and room as parsed, or a predicate. */
export type MitelMatch = Partial<MitelMessage> | ((m: MitelMessage) => boolean);

type Events = { frame: [MitelSimFrame]; connected: [number]; disconnected: [number] };

/** One connection: a socket or a serial line. */
export interface MitelSimLine {
  readonly remote: string;
  write(bytes: Uint8Array): void;
  destroy(): void;
  listen(on: { data(b: Uint8Array): void; close(): void }): void;
  drained?(): Promise<void>;
}

function socketLine(socket: Socket): MitelSimLine {
  return {
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
    write: (b) => socket.write(b),
    destroy: () => socket.destroy(),
    listen: (on) => {
      socket.setNoDelay(true);
      socket.on("data", on.data);
      socket.on("error", () => {});
      socket.on("close", on.close);
    },
  };
}

interface Waiter {
  test: (m: MitelMessage) => boolean;
  resolve: (m: MitelMessage) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

function matcher(match: MitelMatch): (m: MitelMessage) => boolean {
  if (typeof match === "function") return match;
  const wanted = Object.entries(match);
  return (m) => wanted.every(([k, v]) => (m as unknown as Record<string, unknown>)[k] === v);
}

export class MitelPmsSimulator extends EventEmitter<Events> {
  readonly hotel: Hotel;
  readonly profile: MitelProfile;
  readonly clock: Clock;
  /** Every valid message from the system, in order, across connections. */
  readonly received: MitelMessage[] = [];
  private readonly charset: Charset;
  private readonly log: Logger;
  private readonly answerRqinz: boolean;
  private server: Server | undefined;
  private line: MitelSimLine | undefined;
  private side: PmsSide | undefined;
  private connection = 0;
  private consumed = 0;
  private taken = new Set<number>();
  private waiters: Waiter[] = [];
  private connectWaiters: (() => void)[] = [];
  private closed = false;

  constructor(o: MitelSimOptions) {
    super();
    this.hotel = o.hotel;
    this.profile = o.profile ?? mitelProfile();
    this.charset = o.charset ?? "latin1";
    this.log = o.logger ?? silentLogger;
    this.answerRqinz = o.answerRqinz ?? true;
    this.clock = o.clock ?? systemClock;
  }

  get connections(): number {
    return this.connection;
  }

  get connected(): boolean {
    return this.line !== undefined;
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : undefined;
  }

  /** The current connection's counters (bids, NAKs, glare, bytes). */
  get stats(): PmsSideStats | undefined {
    return this.side?.stats;
  }

  /** Messages still waiting to be ACKed by the system. */
  get pending(): number {
    return this.side?.pending ?? 0;
  }

  listen(port: number, host = "127.0.0.1"): Promise<number> {
    const server = createServer((s) => this.adopt(socketLine(s)));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        server.on("error", (err) => this.log.error("mitel sim server error", { error: errorMessage(err) }));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  connect(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        this.adopt(socketLine(socket));
        resolve();
      });
    });
  }

  async openSerial(settings: MitelSimSerialSettings): Promise<void> {
    this.adopt(await MitelSimSerial.open(settings));
  }

  whenConnected(timeoutMs = 10_000): Promise<void> {
    if (this.line) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = this.clock.setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      this.connectWaiters.push(() => {
        this.clock.clearTimeout(t);
        resolve();
      });
    });
  }

  /** Sends a message (or its text, laid out as given); resolves once the system ACKed it. */
  send(m: MitelMessage | string): Promise<void> {
    const side = this.requireSide();
    const text = typeof m === "string" ? m : formatMessage(m, this.profile, true);
    return side.send(text, encode(text, this.charset));
  }

  /** GRS, the hotel's occupied rooms, END; resolves once the system ACKed the END. */
  resync(): Promise<void> {
    const all = resyncMessages(this.hotel).map((m) => this.send(m));
    return Promise.all(all).then(() => {});
  }

  /** Writes bytes as they are (noise, ENQ storms, split frames). */
  sendRaw(bytes: Uint8Array | string): void {
    const b = typeof bytes === "string" ? encode(bytes, "latin1") : bytes;
    this.emitFrame("out", showBytes(b), "raw");
    this.requireLine().write(b);
  }

  /** NAK the system's next `n` messages / line bids; leave its next `n` bids unanswered. */
  nakNext(n = 1): void {
    this.requireSide().nakMessages = n;
  }
  nakBids(n = 1): void {
    this.requireSide().nakEnqs = n;
  }
  ignoreBids(n = 1): void {
    this.requireSide().ignoreEnqs = n;
  }

  /** The first message not consumed by an earlier waitFor that matches, also one already received. */
  waitFor(match: MitelMatch, timeoutMs = 5000): Promise<MitelMessage> {
    const test = matcher(match);
    for (let i = this.consumed; i < this.received.length; i++) {
      if (!this.taken.has(i) && test(this.received[i])) return Promise.resolve(this.take(i));
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        test,
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`waitFor ${JSON.stringify(match)}: nothing within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Serial: resolves once everything written went out at the line's pace. */
  async drained(): Promise<void> {
    await this.line?.drained?.();
  }

  drop(): void {
    if (this.line) this.detach(this.line);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop();
    for (const w of this.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(new Error("Mitel PMS simulator closed"));
    }
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private adopt(line: MitelSimLine): void {
    if (this.closed) {
      line.destroy();
      return;
    }
    if (this.line) this.detach(this.line);
    this.line = line;
    const id = ++this.connection;
    const side = new PmsSide({
      clock: this.clock,
      profile: this.profile,
      charset: this.charset,
      write: (b) => line.write(b),
      received: (raw, m, error) => this.onMessage(raw, m, error),
      sent: (text) => this.emitFrame("out", text),
      discarded: (text, reason) => this.log.warn("mitel sim: message discarded", { text, reason }),
      garbage: (b, reason) => this.emitFrame("in", showBytes(b), reason),
    });
    this.side = side;
    line.listen({
      data: (b) => {
        if (this.line === line) side.onData(b);
      },
      close: () => {
        if (this.line === line) this.detach(line);
      },
    });
    this.log.info("mitel sim: connection", { connection: id, remote: line.remote });
    this.emit("connected", id);
    for (const w of this.connectWaiters.splice(0)) w();
  }

  private detach(line: MitelSimLine): void {
    line.destroy();
    if (this.line !== line) return;
    this.line = undefined;
    this.side?.close();
    this.side = undefined;
    this.emit("disconnected", this.connection);
  }

  private onMessage(raw: Uint8Array, m: MitelMessage | undefined, error?: string): void {
    this.emitFrame("in", showBytes(raw), error);
    if (!m) return;
    const i = this.received.push(m) - 1;
    if (m.type === "RQINZ" && this.answerRqinz) {
      this.resync().catch(() => {});
    }
    const w = this.waiters.find((x) => x.test(m));
    if (!w) return;
    this.waiters = this.waiters.filter((x) => x !== w);
    this.clock.clearTimeout(w.timer);
    w.resolve(this.take(i));
  }

  private take(i: number): MitelMessage {
    this.taken.add(i);
    while (this.taken.has(this.consumed)) this.consumed++;
    return this.received[i];
  }

  private emitFrame(dir: "in" | "out", text: string, error?: string): void {
    this.emit("frame", { dir, at: this.clock.now(), text, connection: this.connection, ...(error ? { error } : {}) });
  }

  private requireSide(): PmsSide {
    if (!this.side) throw new Error("Mitel PMS simulator: no appliance connected");
    return this.side;
  }

  private requireLine(): MitelSimLine {
    if (!this.line) throw new Error("Mitel PMS simulator: no appliance connected");
    return this.line;
  }
}
