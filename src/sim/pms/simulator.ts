/**
 * @module sim/pms/simulator
 * Plays the PMS side of a FIAS TCP link: by default the strict Oracle IFC (greets with LS, takes the
 * appliance's LD/LR…/LA and confirms with LA, answers alive checks, LE and DR with a database swap
 * from the generated hotel), or one of the peers met in the field (variants.ts). Tests drive it with
 * `send` and `waitFor`; soak tests read its counters. Every timer and timestamp goes through its
 * clock. node:net only, so it runs under Deno too.
 */
import { EventEmitter } from "node:events";
import type { Server } from "node:net";
import { type Charset, encode } from "../../lib/charset.ts";
import { type Clock, systemClock, type TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import { type FrameSource, type Framing, framingOf, showBytes } from "../../pms/fias/frame.ts";
import { type FiasRecord, formatRecord, parseRecord, recordFromText } from "../../pms/fias/record.ts";
import { type Hotel, resyncRecords } from "./hotel.ts";
import { Inbox, type ReceivedRecord } from "./inbox.ts";
import { connectTcp, listenTcp, type SimLine } from "./line.ts";
import type { RecordMatch } from "./match.ts";
import type { PmsSimulatorOptions, SimEvents, SimFrame } from "./options.ts";
import { SimPostings } from "./postings.ts";
import { encodeFrames, stampFields } from "./records.ts";
import type { SimSerialSettings } from "./serial-port.ts";
import { SimSerialLine } from "./serial-port.ts";
import { isPmsVariant, type PmsVariant, pmsVariants, VARIANTS, type VariantBehaviour } from "./variants.ts";

export type { ReceivedRecord } from "./inbox.ts";
export type { SimLine } from "./line.ts";
export type { RecordMatch } from "./match.ts";
export type { PmsSimulatorOptions, SimFrame } from "./options.ts";
export type { PostingDecision, PostingExchange } from "./postings.ts";
export type { PmsVariant } from "./variants.ts";

interface LinkWaiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

/** idle: connected, no LD yet; init: LD seen, LRs coming until LA; linked: records flow. */
type LinkPhase = "idle" | "init" | "linked";

export class PmsSimulator extends EventEmitter<SimEvents> {
  readonly hotel: Hotel;
  readonly variant: PmsVariant;
  readonly clock: Clock;
  /** Every record parsed from the appliance, link records included, across connections. */
  readonly received: ReceivedRecord[];
  /** How postings (PS) are answered, changeable while running, and every PS with its answer. */
  readonly postings: SimPostings;
  /** The LR requests of the current link: record ID → requested field IDs (FL). */
  linkRequests = new Map<string, string>();

  private readonly behaviour: VariantBehaviour;
  private readonly framing: Framing;
  private readonly charset: Charset;
  private readonly log: Logger;
  private readonly opts: Required<Pick<PmsSimulatorOptions, "answerResync" | "sendLsOnConnect">>;
  private readonly resyncEquipment: boolean;
  private readonly inbox: Inbox;
  private server?: Server;
  private socket?: SimLine;
  private connection = 0;
  private linkCount = 0;
  private dropCount = 0;
  private reader: FrameSource;
  private phase: LinkPhase = "idle";
  private linkWaiters: LinkWaiter[] = [];
  private closed = false;

  constructor(options: PmsSimulatorOptions) {
    super();
    this.variant = options.variant ?? "oracle";
    if (!isPmsVariant(this.variant)) {
      throw new Error(`unknown PMS variant "${this.variant}" (expected ${pmsVariants.join(", ")})`);
    }
    this.behaviour = VARIANTS[this.variant];
    this.framing = framingOf(this.behaviour.framing);
    this.reader = this.framing.reader();
    this.hotel = options.hotel;
    this.charset = options.charset ?? "latin1";
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.inbox = new Inbox(this.clock);
    this.received = this.inbox.received;
    this.resyncEquipment = options.resyncEquipment ?? false;
    this.opts = {
      answerResync: options.answerResync ?? true,
      sendLsOnConnect: options.sendLsOnConnect ?? this.behaviour.greetOnConnect,
    };
    this.postings = new SimPostings({
      answer: options.answerPostings,
      rejectRooms: options.rejectPostings,
      silent: options.silentPostings,
      decide: options.decidePosting,
    });
  }

  /** Connections accepted or made, the current one included. */
  get connections(): number {
    return this.connection;
  }

  /** Times the link came up (the appliance's LA after its LD). */
  get links(): number {
    return this.linkCount;
  }

  /**
   * Times a link that was up went down: its connection closed or replaced (by either side), or the
   * appliance restarted it with a new LD. An orderly LE and the simulator's own close() do not count.
   */
  get drops(): number {
    return this.dropCount;
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
  async listen(port: number, host = "127.0.0.1"): Promise<number> {
    if (this.server) throw new Error("PMS simulator is already listening");
    const l = await listenTcp(port, host, (line) => this.adopt(line), this.log);
    this.server = l.server;
    return l.port;
  }

  /** Connects to an appliance that is the TCP server. One attempt; retrying is the caller's choice. */
  async connect(host: string, port: number): Promise<void> {
    this.adopt(await connectTcp(host, port));
  }

  /**
   * Opens a serial device (`--serial`): the FIAS serial protocol (LRC, ACK/NAK, ENQ) on its side,
   * writes paced at the line's baud rate to emulate the wire. Rejects when the device cannot be opened.
   */
  async openSerial(settings: SimSerialSettings): Promise<void> {
    const line = await SimSerialLine.open(settings, { clock: this.clock, logger: this.log });
    this.adopt(line);
  }

  /** Serial only: the next `n` frames we send go out once with a wrong LRC (then again, right). */
  corruptNextLrc(n = 1): void {
    this.serialLine().corruptNext(n);
  }

  /** Serial only: NAK the appliance's next `n` good frames. */
  nakNext(n = 1): void {
    this.serialLine().layer.nakNext(n);
  }

  /** The serial line's low-level counters (ACK/NAK/ENQ), when the connection is serial. */
  get serialStats(): SimSerialLine["layer"]["stats"] | undefined {
    return this.socket instanceof SimSerialLine ? this.socket.layer.stats : undefined;
  }

  /** Serial only: resolves when every byte written so far has gone out at the line's pace. */
  drained(): Promise<void> {
    return this.serialLine().drained();
  }

  /** Serial: resolves once every frame queued went out and was answered (or `timeoutMs` passed). */
  async settled(timeoutMs = 5000): Promise<void> {
    const line = this.socket;
    if (!(line instanceof SimSerialLine)) return;
    const until = Date.now() + timeoutMs;
    while (line.layer.pending > 0 && this.socket === line && Date.now() < until)
      await new Promise((r) => setTimeout(r, 5));
    await line.drained();
  }

  private serialLine(): SimSerialLine {
    if (!(this.socket instanceof SimSerialLine)) throw new Error("PMS simulator: not on a serial line");
    return this.socket;
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
    socket.writeRaw(data);
  }

  /** DS, one record per guest (and room, with resyncEquipment), DE, in a single write. */
  resync(): void {
    const stamp = this.stamp();
    this.writeFrames([
      { type: "DS", fields: stamp },
      ...resyncRecords(this.hotel, { equipment: this.resyncEquipment, style: this.behaviour.hotelStyle }),
      { type: "DE", fields: this.stamp() },
    ]);
  }

  /**
   * Resolves with the first record not yet consumed by an earlier waitFor that matches — including
   * records that arrived before the call — and marks it consumed.
   */
  waitFor(match: RecordMatch, timeoutMs = 5000): Promise<FiasRecord> {
    return this.inbox.waitFor(match, timeoutMs);
  }

  /** Closes the current connection abruptly; the listener stays up. */
  drop(): void {
    if (this.socket) this.detach(this.socket, "dropped");
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop();
    const closedErr = new Error("PMS simulator closed");
    this.inbox.rejectAll(closedErr);
    for (const w of this.linkWaiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(closedErr);
    }
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private adopt(socket: SimLine): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // Oracle IFC behaviour: one client per port, the newcomer wins.
    if (this.socket) this.detach(this.socket, "replaced by a new connection");
    this.socket = socket;
    this.connection++;
    const id = this.connection;
    this.reader = this.framing.reader();
    this.phase = "idle";
    this.linkRequests = new Map();
    socket.listen({
      data: (chunk: Uint8Array) => {
        if (this.socket === socket) this.onData(chunk);
      },
      error: (err) => this.log.warn("pms sim socket error", { connection: id, err: errorMessage(err) }),
      close: () => {
        if (this.socket === socket) this.detach(socket, "closed by the appliance");
      },
    });
    this.log.info("pms sim connection", { connection: id, remote: socket.remote });
    this.emit("connected", id);
    if (this.opts.sendLsOnConnect) this.sendLink("LS");
  }

  private detach(socket: SimLine, reason: string): void {
    socket.destroy();
    if (this.socket !== socket) return;
    this.socket = undefined;
    if (this.phase === "linked" && !this.closed) this.dropCount++;
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
    const index = this.inbox.add({ record, at: this.clock.now(), connection: this.connection });
    this.emitFrame({ dir: "in", text: formatRecord(record), record });
    this.react(record);
    this.inbox.deliver(index);
  }

  private react(record: FiasRecord): void {
    switch (record.type) {
      case "LS":
        // Linked: an alive check. Before that, LS asks the appliance to (re)send its LD/LR/LA.
        this.sendLink(this.behaviour.answerLs[this.linked ? "linked" : "unlinked"]);
        return;
      case "LD":
        if (this.linked) {
          this.dropCount++;
          this.log.info("pms sim: link restarted by LD", { connection: this.connection });
        }
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
        if (this.behaviour.sendLaAfterHandshake) this.sendLink("LA");
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
        if (this.linked) {
          const pa = this.postings.reply(record);
          if (pa) this.send(pa);
        }
        return;
    }
  }

  private setLinked(): void {
    this.phase = "linked";
    this.linkCount++;
    this.log.info("pms sim linked", { connection: this.connection, requests: [...this.linkRequests.keys()] });
    this.emit("linked", this.connection);
    for (const w of this.linkWaiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.resolve();
    }
  }

  private sendLink(type: "LS" | "LA" | "LE"): void {
    this.writeFrames([{ type, fields: this.stamp() }]);
  }

  private stamp(): Record<string, string> {
    return stampFields(this.clock.now());
  }

  private writeFrames(records: FiasRecord[]): void {
    const socket = this.requireSocket();
    const bytes = encodeFrames(records, {
      framing: this.framing,
      charset: this.charset,
      recordSuffix: this.behaviour.recordSuffix,
    });
    for (const record of records) this.emitFrame({ dir: "out", text: formatRecord(record), record });
    socket.write(bytes);
  }

  private requireSocket(): SimLine {
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
