/**
 * @module sim/pms/simulator
 * Plays the Oracle IFC side of a FIAS TCP link: greets with LS, takes the appliance's LD/LR…/LA and
 * confirms with LA, answers alive checks, LE and DR (database swap from the generated hotel). Tests
 * drive it with `send` and `waitFor`. node:net only, so it runs under Deno too.
 */
import { EventEmitter } from "node:events";
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { type Charset, encode } from "../../lib/charset.ts";
import { type Clock, systemClock, type TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import { fiasDate, fiasTime } from "../../pms/fias/datetime.ts";
import { FrameReader, showBytes, wrapFrame } from "../../pms/fias/frame.ts";
import { type FiasRecord, formatRecord, parseRecord, recordFromText, serializeRecord } from "../../pms/fias/record.ts";
import { type Hotel, resyncRecords } from "./hotel.ts";
import { type Matcher, type RecordMatch, toMatcher } from "./match.ts";

export type { RecordMatch } from "./match.ts";

export interface PmsSimulatorOptions {
  hotel: Hotel;
  charset?: Charset;
  logger?: Logger;
  /** Answer DR with DS, the hotel's records, DE. Default true. */
  answerResync?: boolean;
  /** Greet each new connection with LS, as the IFC does. Default true. */
  sendLsOnConnect?: boolean;
  /** Add one RE (DN/CS/ML) per room to the swap. Default false, so a swap is exactly one GI per guest. */
  resyncEquipment?: boolean;
  /** Answer each PS with PA|ASOK| (echoing RN, P#, DA, TI). Default false: tests answer postings themselves. */
  answerPostings?: boolean;
  clock?: Clock;
}

export interface ReceivedRecord {
  record: FiasRecord;
  /** Milliseconds since the epoch. */
  at: number;
  /** Which connection it came on (1 for the first). */
  connection: number;
}

export interface SimFrame {
  dir: "in" | "out";
  at: number;
  /** Record text, or the printable bytes of a rejected or raw frame. */
  text: string;
  record?: FiasRecord;
  error?: string;
  connection: number;
}

type SimEvents = {
  frame: [SimFrame];
  connected: [number];
  disconnected: [number];
  linked: [number];
};

interface Waiter {
  matcher: Matcher;
  resolve: (rec: FiasRecord) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

interface LinkWaiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

/** idle: connected, no LD yet; init: LD seen, LRs coming until LA; linked: records flow. */
type LinkPhase = "idle" | "init" | "linked";

export class PmsSimulator extends EventEmitter<SimEvents> {
  readonly hotel: Hotel;
  /** Every record parsed from the appliance, link records included, across connections. */
  readonly received: ReceivedRecord[] = [];
  /** The LR requests of the current link: record ID → requested field IDs (FL). */
  linkRequests = new Map<string, string>();

  private readonly charset: Charset;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: Required<Pick<PmsSimulatorOptions, "answerResync" | "sendLsOnConnect" | "answerPostings">>;
  private readonly resyncEquipment: boolean;
  private server?: Server;
  private socket?: Socket;
  private connection = 0;
  private reader = new FrameReader();
  private phase: LinkPhase = "idle";
  private taken: boolean[] = [];
  /** Every received record before this index was consumed by a waitFor. */
  private cursor = 0;
  private waiters: Waiter[] = [];
  private linkWaiters: LinkWaiter[] = [];
  private closed = false;

  constructor(options: PmsSimulatorOptions) {
    super();
    this.hotel = options.hotel;
    this.charset = options.charset ?? "latin1";
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.resyncEquipment = options.resyncEquipment ?? false;
    this.opts = {
      answerResync: options.answerResync ?? true,
      sendLsOnConnect: options.sendLsOnConnect ?? true,
      answerPostings: options.answerPostings ?? false,
    };
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  get linked(): boolean {
    return this.phase === "linked";
  }

  get port(): number | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? addr.port : undefined;
  }

  /** Waits for appliance connections (the IFC is normally the server). Resolves with the bound port. */
  listen(port: number, host = "127.0.0.1"): Promise<number> {
    if (this.server) return Promise.reject(new Error("PMS simulator is already listening"));
    const server = createServer((socket) => this.adopt(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", (err) => {
        this.server = undefined;
        reject(err);
      });
      server.listen(port, host, () => {
        server.removeAllListeners("error");
        server.on("error", (err) => this.log.error("pms sim server error", { err }));
        const bound = (server.address() as AddressInfo).port;
        this.log.info("pms sim listening", { host, port: bound });
        resolve(bound);
      });
    });
  }

  /** Connects to an appliance that is the TCP server. One attempt; retrying is the caller's choice. */
  connect(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      const fail = (err: Error) => reject(err);
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.off("error", fail);
        this.adopt(socket);
        resolve();
      });
    });
  }

  whenLinked(timeoutMs = 10_000): Promise<void> {
    if (this.linked) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: LinkWaiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.linkWaiters = this.linkWaiters.filter((w) => w !== waiter);
          reject(new Error(`PMS simulator: appliance did not complete LD/LR/LA within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.linkWaiters.push(waiter);
    });
  }

  /** Sends one record; text such as "GI|RN101|G#1|GNSmith|" is accepted. */
  send(record: FiasRecord | string): void {
    const rec = typeof record === "string" ? recordFromText(record) : record;
    this.writeFrames([rec]);
  }

  /** Writes bytes as they are, no framing: for garbage and split-frame tests. */
  sendRaw(bytes: Uint8Array | string): void {
    const data = typeof bytes === "string" ? encode(bytes, this.charset) : bytes;
    const socket = this.requireSocket();
    this.emitFrame({ dir: "out", text: showBytes(data), error: "raw" });
    socket.write(data);
  }

  /** DS, one record per guest (and room, with resyncEquipment), DE, in a single write. */
  resync(): void {
    const stamp = this.stamp();
    this.writeFrames([
      { type: "DS", fields: stamp },
      ...resyncRecords(this.hotel, { equipment: this.resyncEquipment }),
      { type: "DE", fields: this.stamp() },
    ]);
  }

  /**
   * Resolves with the first record not yet consumed by an earlier waitFor that matches — including
   * records that arrived before the call — and marks it consumed.
   */
  waitFor(match: RecordMatch, timeoutMs = 5000): Promise<FiasRecord> {
    const matcher = toMatcher(match);
    for (let i = this.cursor; i < this.received.length; i++) {
      if (!this.taken[i] && matcher.test(this.received[i].record)) return Promise.resolve(this.take(i));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matcher,
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(`waitFor ${matcher.describe}: no match within ${timeoutMs} ms; ${this.describeUnconsumed()}`),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Closes the current connection abruptly; the listener stays up. */
  drop(): void {
    if (this.socket) this.detach(this.socket, "dropped");
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop();
    const closedErr = new Error("PMS simulator closed");
    for (const w of this.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(closedErr);
    }
    for (const w of this.linkWaiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(closedErr);
    }
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private adopt(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // Oracle IFC behaviour: one client per port, the newcomer wins.
    if (this.socket) this.detach(this.socket, "replaced by a new connection");
    this.socket = socket;
    this.connection++;
    const id = this.connection;
    this.reader = new FrameReader();
    this.phase = "idle";
    this.linkRequests = new Map();
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on("error", (err) => this.log.warn("pms sim socket error", { connection: id, err: errorMessage(err) }));
    socket.on("close", () => {
      if (this.socket === socket) this.detach(socket, "closed by the appliance");
    });
    this.log.info("pms sim connection", { connection: id, remote: `${socket.remoteAddress}:${socket.remotePort}` });
    this.emit("connected", id);
    if (this.opts.sendLsOnConnect) this.sendLink("LS");
  }

  private detach(socket: Socket, reason: string): void {
    socket.destroy();
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.phase = "idle";
    this.log.info("pms sim connection ended", { connection: this.connection, reason });
    this.emit("disconnected", this.connection);
  }

  private onData(chunk: Uint8Array): void {
    for (const ev of this.reader.push(chunk)) {
      if (ev.kind === "error") {
        this.log.warn("pms sim framing error", { reason: ev.reason, bytes: showBytes(ev.bytes) });
        this.emitFrame({ dir: "in", text: showBytes(ev.bytes), error: ev.reason });
        continue;
      }
      const parsed = parseRecord(ev.bytes, this.charset);
      if (!parsed.ok) {
        this.log.warn("pms sim bad record", { reason: parsed.reason, bytes: showBytes(ev.bytes) });
        this.emitFrame({ dir: "in", text: showBytes(ev.bytes), error: parsed.reason });
        continue;
      }
      this.onRecord(parsed.record);
    }
  }

  private onRecord(record: FiasRecord): void {
    const index = this.received.push({ record, at: this.clock.now(), connection: this.connection }) - 1;
    this.emitFrame({ dir: "in", text: formatRecord(record), record });
    this.react(record);
    const waiter = this.waiters.find((w) => w.matcher.test(record));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve(this.take(index));
    }
  }

  private react(record: FiasRecord): void {
    switch (record.type) {
      case "LS":
        // Linked: an alive check. Before that, LS asks the appliance to (re)send its LD/LR/LA.
        this.sendLink(this.phase === "linked" ? "LA" : "LS");
        return;
      case "LD":
        this.phase = "init";
        this.linkRequests = new Map();
        return;
      case "LR":
        if (this.phase !== "init") this.log.warn("pms sim: LR outside the link init", { record: formatRecord(record) });
        this.linkRequests.set(record.fields.RI ?? "", record.fields.FL ?? "");
        return;
      case "LA":
        // The IFC does not answer LA with LA once linked; without LD it is out of sequence.
        if (this.phase !== "init") {
          if (this.phase === "idle") this.log.warn("pms sim: LA without LD ignored");
          return;
        }
        if (this.linkRequests.size === 0) this.log.warn("pms sim: link completed without any LR");
        this.sendLink("LA");
        this.setLinked();
        return;
      case "LE":
        this.sendLink("LE");
        this.phase = "idle";
        return;
      case "DR":
        if (!this.linked) this.log.warn("pms sim: DR before the link is up ignored");
        else if (this.opts.answerResync) this.resync();
        return;
      case "PS":
        if (this.linked && this.opts.answerPostings) this.send(postingAnswer(record));
        return;
    }
  }

  private setLinked(): void {
    this.phase = "linked";
    this.log.info("pms sim linked", { connection: this.connection, requests: [...this.linkRequests.keys()] });
    this.emit("linked", this.connection);
    for (const w of this.linkWaiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.resolve();
    }
  }

  private take(index: number): FiasRecord {
    this.taken[index] = true;
    while (this.taken[this.cursor]) this.cursor++;
    return this.received[index].record;
  }

  private describeUnconsumed(): string {
    const pending: string[] = [];
    for (let i = this.received.length - 1; i >= this.cursor && pending.length < 5; i--) {
      if (!this.taken[i]) pending.unshift(formatRecord(this.received[i].record));
    }
    return pending.length ? `latest unconsumed: ${pending.join(" ")}` : "nothing unconsumed received";
  }

  private sendLink(type: "LS" | "LA" | "LE"): void {
    this.writeFrames([{ type, fields: this.stamp() }]);
  }

  private stamp(): Record<string, string> {
    const d = new Date(this.clock.now());
    const t = {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      second: d.getSeconds(),
    };
    return { DA: fiasDate(t), TI: fiasTime(t) };
  }

  private writeFrames(records: FiasRecord[]): void {
    const socket = this.requireSocket();
    const frames = records.map((r) => wrapFrame(serializeRecord(r, this.charset)));
    const total = frames.reduce((n, f) => n + f.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const f of frames) {
      out.set(f, at);
      at += f.length;
    }
    for (const record of records) this.emitFrame({ dir: "out", text: formatRecord(record), record });
    socket.write(out);
  }

  private requireSocket(): Socket {
    if (!this.socket) throw new Error("PMS simulator: no appliance connected");
    return this.socket;
  }

  private emitFrame(frame: Omit<SimFrame, "at" | "connection">): void {
    const full: SimFrame = { ...frame, at: this.clock.now(), connection: this.connection };
    this.log.debug(
      `pms sim ${full.dir === "in" ? "<" : ">"} ${full.text}`,
      full.error ? { error: full.error } : undefined,
    );
    this.emit("frame", full);
  }
}

function postingAnswer(ps: FiasRecord): FiasRecord {
  const fields: Record<string, string> = { RN: ps.fields.RN ?? "", AS: "OK" };
  for (const id of ["P#", "DA", "TI"]) if (ps.fields[id] !== undefined) fields[id] = ps.fields[id];
  return { type: "PA", fields };
}
