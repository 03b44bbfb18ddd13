/**
 * @module fias/link-session
 * The link-control exchange on one connection (Spec §6, §8): who greets, LD/LR…/LA, when the link
 * counts as up, the alive check, LE, the DS…DE lock. The FiasLink that owns it opens and replaces
 * connections, reconnects and tells the rest of the appliance; a session only speaks the protocol.
 *
 * Liberal towards PMSs that read the spec differently (seen in the field, README "PMS link"):
 * - After our LD/LR…/LA the link is up at the PMS's LA, or at its first application record, or once
 *   `linkGraceMs` passed with the connection open and quiet. A missing LA never drops a connection:
 *   some PMSs answer our LS with LS and never send LA, and stream data after our LA.
 * - An LS (or LA, or any record) answering our own alive-check LS means "alive". Only an LS the PMS
 *   sends on its own (a restart on its side, after LE, on a new connection) restarts the link.
 */
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { LogBudget } from "../../lib/log-budget.ts";
import type { Direction, PmsPeerInfo, PmsState } from "../port.ts";
import type { FiasConnection } from "./connection.ts";
import { fiasDate, fiasTime } from "./datetime.ts";
import { type FrameSource, showBytes } from "./frame.ts";
import type { ResolvedLinkOptions } from "./link-options.ts";
import { type FiasRecord, parseRecord, serializeRecord } from "./record.ts";

/** Where the link-control exchange of one connection stands. */
type Phase =
  /** Just opened: the PMS speaks first (normally LS). */
  | "wait"
  /** We sent LS; waiting for LS or LA. */
  | "greeting"
  /** We sent LD/LR…/LA; waiting for the PMS's LA, its first record, or the grace time. */
  | "handshake"
  | "linked"
  /** The PMS sent LE; nothing goes out until it sends LS. */
  | "ended";

/** What a session needs from the link that owns it. */
export interface SessionHost {
  readonly o: ResolvedLinkOptions;
  /** Observed peer behaviour, shared across the link's sessions. */
  readonly seen: PmsPeerInfo;
  readonly stopping: boolean;
  /** Phase or resync changed: the link recomputes its state. */
  changed(s: LinkSession): void;
  /** The link came up on this session. */
  linkedUp(s: LinkSession): void;
  /** This session's connection is given up. */
  drop(s: LinkSession, reason: string): void;
  /** An application record, in arrival order (DS and DE included). */
  deliver(s: LinkSession, rec: FiasRecord, raw: Uint8Array): void;
  trace(dir: Direction, bytes: Uint8Array, error?: string): void;
  /** Peer-caused trouble, logged within a budget (no input may flood the log). */
  readonly budget: LogBudget;
}

const IGNORED_LINK_RECORDS = new Set(["LD", "LR"]);

export class LinkSession {
  private phase: Phase = "wait";
  /** Between DS and DE. */
  private resync = false;
  /** Set once the link let go of this connection; its late events are ignored. */
  closed = false;
  /** Set while stop() waits for the peer's LE. */
  peerEnded?: () => void;
  private readonly reader: FrameSource;
  private lastRxAt: number;
  private lastLsAt = Number.NEGATIVE_INFINITY;
  /** Set while our LS (link start or alive check) waits for its answer. */
  private awaiting = false;
  private initTimer?: TimerHandle;
  private responseTimer?: TimerHandle;
  private graceTimer?: TimerHandle;
  private aliveTimer?: TimerHandle;
  private readonly o: ResolvedLinkOptions;
  /** Garbage bytes in the current one-second window, for the cap. */
  private garbage = { since: 0, bytes: 0 };

  constructor(
    private readonly host: SessionHost,
    readonly conn: FiasConnection,
  ) {
    this.o = host.o;
    this.reader = this.o.framing.reader(this.o.maxFrameBytes);
    this.lastRxAt = this.o.clock.now();
    this.initTimer = this.o.clock.setTimeout(() => this.onInitWaitOver(), this.o.initWaitMs);
    this.armAlive(this.o.aliveMs);
  }

  /** What this connection means for the link's state. */
  get state(): PmsState {
    if (this.phase !== "linked") return "connecting";
    return this.resync ? "resync" : "linked";
  }

  get linked(): boolean {
    return this.phase === "linked";
  }

  /** Stops every timer; the connection itself is closed by the owner. */
  release(): void {
    this.closed = true;
    const c = this.o.clock;
    for (const t of [this.initTimer, this.responseTimer, this.graceTimer, this.aliveTimer]) c.clearTimeout(t);
    this.peerEnded?.();
  }

  // ---- receiving -------------------------------------------------------------------------------

  onData(bytes: Uint8Array): void {
    if (this.closed) return;
    this.lastRxAt = this.o.clock.now();
    for (const ev of this.reader.push(bytes)) {
      if (this.closed) return;
      if (ev.kind === "error") {
        this.reject(ev.bytes, `framing: ${ev.reason}`);
        if (!this.countGarbage(ev.size, ev.bytes)) return;
        continue;
      }
      const parsed = parseRecord(ev.bytes, this.o.charset);
      if (!parsed.ok) {
        this.reject(ev.bytes, parsed.reason);
        continue;
      }
      this.host.trace("in", ev.bytes);
      this.receive(parsed.record, ev.bytes);
    }
  }

  /** Bytes outside frames or in rejected ones. False when the connection was dropped for too many. */
  private countGarbage(size: number, sample: Uint8Array): boolean {
    const seen = this.host.seen;
    seen.garbageBytes += size;
    const now = this.o.clock.now();
    if (now - this.garbage.since >= 1000) this.garbage = { since: now, bytes: 0 };
    this.garbage.bytes += size;
    if (this.o.framing.name === "stx-etx" && looksLikeLine(sample, this.o)) {
      this.host.budget.info(
        "fias-framing-hint",
        'fias: data outside STX…ETX reads as CR LF records; set pms.framing "crlf"?',
      );
    }
    if (this.garbage.bytes <= this.o.maxGarbageBytesPerSecond) return true;
    this.host.drop(this, `more than ${this.o.maxGarbageBytesPerSecond} bytes outside frames within a second`);
    return false;
  }

  private reject(bytes: Uint8Array, reason: string): void {
    this.host.seen.framesRejected++;
    this.host.budget.warn("fias-malformed", "fias: malformed frame", { reason, bytes: showBytes(bytes) });
    this.host.trace("in", bytes, reason);
  }

  private receive(rec: FiasRecord, raw: Uint8Array): void {
    const answering = this.awaiting;
    if (answering) this.settle();
    switch (rec.type) {
      case "LS":
        this.onLinkStart(answering);
        return;
      case "LA":
        this.onLinkAlive(answering);
        return;
      case "LE":
        this.onLinkEnd();
        return;
      default:
        if (IGNORED_LINK_RECORDS.has(rec.type)) {
          this.o.logger.debug("fias: ignoring link record from the PMS", { type: rec.type });
          return;
        }
    }
    if (!this.onApplicationRecord(rec, answering)) {
      this.host.budget.warn("fias-before-link-start", "fias: record before the link start refused", {
        remote: this.conn.remote,
        type: rec.type,
      });
      this.host.trace("in", raw, "record before the link start (LS) refused");
      this.host.seen.recordsRefused++;
      return;
    }
    this.host.deliver(this, rec, raw);
    this.host.changed(this);
  }

  /**
   * Link control of an application record; false when it must not be applied. A PMS that dialled us
   * (server mode) must start the link (LS) before its records count: otherwise anyone who reaches the
   * port could check guests in and out without it.
   */
  private onApplicationRecord(rec: FiasRecord, answering: boolean): boolean {
    const beforeStart = this.phase === "wait" || this.phase === "greeting";
    if (beforeStart && this.o.connector.mode === "server") {
      if (this.phase === "greeting") this.startHandshake("appliance");
      return false;
    }
    if (rec.type === "DS") this.resync = true;
    else if (rec.type === "DE") this.resync = false;
    if (this.phase === "handshake") {
      this.confirm("data");
    } else if (this.phase === "linked") {
      if (answering) this.noteAlive("data");
    } else if (this.phase === "greeting") {
      // Data in answer to our LS: the PMS thinks the link is up. It still needs our LD/LR…/LA.
      this.o.logger.info("fias: PMS answered our LS with data; sending LD/LR/LA", { type: rec.type });
      this.startHandshake("appliance");
    }
    return true;
  }

  /**
   * LS from the PMS. Answering our alive check it only means "alive" (some PMSs answer LS with LS);
   * otherwise the PMS (re)starts the link: LD, every LR, LA — every time, even when linked.
   */
  private onLinkStart(answering: boolean): void {
    this.o.clock.clearTimeout(this.initTimer);
    if (this.host.stopping) return;
    if (answering && this.phase === "linked") {
      this.noteAlive("LS");
      return;
    }
    this.startHandshake(this.phase === "greeting" ? "appliance" : "pms");
  }

  private startHandshake(greeting: "pms" | "appliance"): void {
    this.phase = "handshake";
    this.host.seen.greeting = greeting;
    // A restarted link restarts any resync too: DE for the old DS will not come.
    this.resync = false;
    this.host.changed(this);
    const { DA, TI } = this.stamp();
    if (!this.write({ type: "LD", fields: { DA, TI, "V#": this.o.version, IF: this.o.interfaceFamily } })) return;
    for (const lr of this.o.linkRecords) if (!this.write(lr)) return;
    if (!this.writeLinkRecord("LA")) return;
    this.o.clock.clearTimeout(this.graceTimer);
    this.graceTimer = this.o.clock.setTimeout(() => this.onGraceOver(), this.o.linkGraceMs);
  }

  private onLinkAlive(answering: boolean): void {
    if (this.phase === "handshake") {
      this.confirm("LA");
      return;
    }
    if (this.phase === "greeting") {
      // Our LS answered with LA: the PMS holds the link as up already (Spec §8 alive check).
      this.host.seen.greeting = "appliance";
      this.confirm("LA");
      return;
    }
    if (this.phase === "linked" && answering) {
      this.noteAlive("LA");
      return;
    }
    // linked unasked (the IFC never answers LA), wait/ended: the init or alive timer sends LS.
    this.o.logger.debug("fias: LA", { phase: this.phase });
  }

  /** The link is up: records flow both ways from now. */
  private confirm(by: "LA" | "data" | "silence"): void {
    this.o.clock.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.phase = "linked";
    this.host.seen.linkConfirmedBy = by;
    this.host.seen.linkStarts++;
    this.o.logger.info("fias: link active", { remote: this.conn.remote, confirmedBy: by });
    this.host.linkedUp(this);
    this.host.changed(this);
  }

  private noteAlive(answer: "LA" | "LS" | "data"): void {
    const seen = this.host.seen;
    if (seen.aliveAnswer !== answer) this.o.logger.info("fias: PMS answers the alive check", { answer });
    seen.aliveAnswer = answer;
  }

  private onLinkEnd(): void {
    this.o.clock.clearTimeout(this.initTimer);
    this.settle();
    if (this.peerEnded) {
      this.peerEnded();
      return;
    }
    // Answering LE only once keeps two ending sides from echoing LE forever.
    if (this.phase === "ended") return;
    this.phase = "ended";
    this.resync = false;
    this.o.logger.info("fias: PMS ended the link; waiting for LS", { remote: this.conn.remote });
    this.host.changed(this);
    this.writeLinkRecord("LE");
  }

  /** Our orderly end (stop): LE, then the owner waits for the peer's LE through `peerEnded`. */
  end(): boolean {
    if (this.phase !== "linked") return false;
    return this.writeLinkRecord("LE");
  }

  // ---- timers ----------------------------------------------------------------------------------

  private onGraceOver(): void {
    this.graceTimer = undefined;
    if (this.closed || this.phase !== "handshake") return;
    this.o.logger.info("fias: no LA from the PMS after ours; the connection is open and quiet, so the link is up", {
      waitedMs: this.o.linkGraceMs,
    });
    this.confirm("silence");
  }

  private onInitWaitOver(): void {
    this.initTimer = undefined;
    if (this.closed || this.phase !== "wait") return;
    // Only link records count as the PMS speaking: after mere data it still needs an LS to start.
    this.o.logger.info("fias: PMS silent after connect; sending LS", { waitedMs: this.o.initWaitMs });
    this.phase = "greeting";
    this.sendLinkStart();
  }

  private armAlive(delay: number): void {
    this.o.clock.clearTimeout(this.aliveTimer);
    this.aliveTimer = this.o.clock.setTimeout(() => this.onAliveTimer(), delay);
  }

  private onAliveTimer(): void {
    this.aliveTimer = undefined;
    if (this.closed) return;
    const due = Math.max(this.lastRxAt, this.lastLsAt) + this.o.aliveMs;
    const now = this.o.clock.now();
    if (now < due) {
      this.armAlive(due - now);
      return;
    }
    if (this.awaiting || this.phase === "wait") {
      this.armAlive(this.o.aliveMs);
      return;
    }
    this.o.logger.info("fias: PMS silent; sending LS", { phase: this.phase, silentMs: now - this.lastRxAt });
    if (this.phase !== "linked") this.phase = "greeting";
    this.sendLinkStart();
    this.armAlive(this.o.aliveMs);
  }

  private sendLinkStart(): void {
    this.lastLsAt = this.o.clock.now();
    if (!this.writeLinkRecord("LS")) return;
    this.o.clock.clearTimeout(this.responseTimer);
    this.awaiting = true;
    this.responseTimer = this.o.clock.setTimeout(() => {
      this.responseTimer = undefined;
      this.host.drop(this, `no reply to LS within ${this.o.responseTimeoutMs / 1000} s`);
    }, this.o.responseTimeoutMs);
  }

  private settle(): void {
    this.o.clock.clearTimeout(this.responseTimer);
    this.responseTimer = undefined;
    this.awaiting = false;
  }

  // ---- sending ---------------------------------------------------------------------------------

  private stamp(): { DA: string; TI: string } {
    const t = this.o.localTime(this.o.clock.now());
    return { DA: fiasDate(t), TI: fiasTime(t) };
  }

  private writeLinkRecord(type: "LS" | "LA" | "LE"): boolean {
    return this.write({ type, fields: this.stamp() });
  }

  /**
   * Writes one record. `done` hears whether it was delivered: over a transport that acknowledges
   * (serial) when the PMS ACKs it or the line is given up; otherwise as soon as it is written.
   */
  write(rec: FiasRecord, done?: (delivered: boolean, reason?: string) => void): boolean {
    if (this.closed) return false;
    const payload = serializeRecord(rec, this.o.charset);
    const acked = this.conn.acknowledges === true;
    try {
      this.conn.write(this.o.framing.wrap(payload), acked ? done : undefined);
    } catch (err) {
      this.host.drop(this, `write failed: ${errorMessage(err)}`);
      return false;
    }
    this.host.trace("out", payload);
    if (!acked) done?.(true);
    return true;
  }
}

/** Garbage that is a record ended by CR LF: the PMS frames by lines, not STX/ETX. */
function looksLikeLine(sample: Uint8Array, o: ResolvedLinkOptions): boolean {
  const n = sample.length;
  if (n < 4 || (sample[n - 1] !== 0x0a && sample[n - 1] !== 0x0d)) return false;
  return parseRecord(sample, o.charset).ok;
}
