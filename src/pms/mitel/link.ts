/**
 * @module mitel/link
 * A Mitel PMS link: opens the connection (TCP client or server from pms/fias/tcp.ts, or the serial
 * device, mitel/serial.ts), runs the system side of the link procedure on it (session.ts), reconnects
 * with backoff, and tells the appliance its state (that connection management is pms/link-base.ts).
 * All timing goes through the injected clock.
 *
 * The protocol has no link start: an open connection is "linked" at once, "connecting" while the
 * PMS does not answer our line bids (PMS down), "resync" between GRS and END. Server mode: one PMS
 * per interface, so a newer connection replaces the live one — once it has spoken (an ENQ or a valid
 * message), so a port scan or a silent stray connection cannot take the hotel's link down.
 *
 * PMS → us: its ENQ gets ACK at once (we are never busy) and the line is the PMS's until its
 * `STX message ETX` arrives or 3 s pass; the message gets ACK (valid) or NAK (invalid, logged) at
 * once. A message without a prior ENQ is taken too (gateways skip the bid) unless `requireEnq`.
 * AREYUTHERE is ACKed and goes no further. A repeated ENQ while the line is the PMS's is ACKed again
 * (the grant keeps its end, so an ENQ storm cannot hold the line).
 *
 * Us → PMS, one message at a time: ENQ; no answer in 3 s → ENQ again, NAK (busy) → ENQ again after
 * 3 s, 21 ENQs in all; ACK → the message in one write; its ACK → done; no answer in 3 s → the whole
 * sequence again from ENQ, NAK → again from ENQ, 6 attempts in all. When the ENQs or the no-answer
 * attempts are spent the PMS is down: the messages handed to us are given back (done false: the
 * outbox keeps them), the state is "connecting", and an ENQ goes out every 3 s until the PMS answers
 * or sends anything (then "linked" again, and the outbox resends; the grant of an ACKed probe is held
 * for `grantHoldMs` so that message goes out without a new bid). A message NAKed on every attempt is
 * invalid to the PMS: discarded and logged (the spec's rule), reported delivered so the outbox moves on
 * (but an MR, a charge, is reported not delivered: a refused charge must not count as posted).
 *
 * Glare: the PMS's ENQ while we wait for the answer to ours is ignored — the system goes first, the
 * PMS backs off 6 s and answers our ENQ. An ENQ from the PMS while our message waits for its answer
 * is granted right after our transaction, if it is younger than 3 s (else the PMS has bid again).
 *
 * GRS … END (resync): the state is "resync", our messages wait (a transaction already on the wire
 * finishes), and go out after END; a cycle with nothing received for `resyncIdleMs` is abandoned.
 *
 * `uncleanStart`: the first message once linked is RQINZ (request to initialize), asked again on each
 * new connection until the PMS acknowledges it or starts a GRS. `sendMessage` of an RQINZ while one
 * is still waiting, or within a minute of the PMS's ACK to one with no GRS since, joins it instead of
 * asking twice (the appliance's own resync request after an unclean stop meets the link's).
 */
import { encode } from "../../lib/charset.ts";
import type { FiasConnection } from "../fias/connection.ts";
import { PmsLinkBase } from "../link-base.ts";
import { showBytes, wrapMessage } from "./codec.ts";
import { type MitelLinkOptions, type ResolvedMitelOptions, resolveMitelOptions } from "./link-options.ts";
import { formatMessage, type MitelMessage, parseMessage } from "./messages.ts";
import { emptyStats, MitelSession, type MitelSessionHost, type MitelStats } from "./session.ts";

type Session = MitelSession;

/** A second RQINZ within this long after the PMS ACKed one (and no GRS since) joins it. */
const RQINZ_JOIN_MS = 60_000;

export class MitelLink extends PmsLinkBase<MitelMessage, Session, ResolvedMitelOptions> implements MitelSessionHost {
  readonly stats: MitelStats = emptyStats();
  private quietWaiter: (() => void) | undefined;
  /** RQINZ still to be asked (unclean start), until acknowledged or a GRS comes. */
  private rqinzWanted: boolean;
  /** When the PMS last ACKed our RQINZ, until its GRS comes. */
  private rqinzAckedAt: number | undefined;

  constructor(opts: MitelLinkOptions) {
    super(resolveMitelOptions(opts), {
      tag: "mitel",
      takesOverOnce: "it speaks",
      before: "before it spoke",
      did: "spoke",
    });
    this.rqinzWanted = this.o.uncleanStart;
  }

  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean {
    const s = this.session;
    if (!this.canSend || !s) return false;
    const bytes = encode(text, this.o.charset);
    const parsed = parseMessage(bytes, { profile: this.o.profile, charset: this.o.charset, direction: "to-pms" });
    if (!parsed.ok) return false;
    const type = parsed.message.type;
    if (type === "RQINZ") {
      const waiting = s.queue.find((q) => q.type === "RQINZ");
      if (waiting) {
        if (done) waiting.dones.push(done);
        return true;
      }
      // Asked a moment ago and the GRS is on its way: one resync, not two.
      const at = this.rqinzAckedAt;
      if (at !== undefined && this.o.clock.now() - at < RQINZ_JOIN_MS) {
        this.o.logger.debug("mitel: RQINZ acknowledged moments ago; not asked again");
        done?.(true);
        return true;
      }
    }
    s.enqueue({ text, bytes: wrapMessage(bytes), type, dones: done ? [done] : [] });
    return true;
  }

  protected newSession(conn: FiasConnection): Session {
    return new MitelSession(this, conn);
  }

  /** The protocol has no link start: an open connection is live at once, and asks for RQINZ if due. */
  protected override wentLive(s: Session): void {
    this.seen.linkStarts++;
    this.backoff.reset();
    if (this.rqinzWanted) {
      const text = formatMessage({ type: "RQINZ" }, this.o.profile);
      const bytes = wrapMessage(encode(text, this.o.charset));
      s.enqueue({ text, bytes, type: "RQINZ", dones: [] }, true);
    }
  }

  /** Lets a transaction already on the wire finish; nothing new starts (canSend is false). */
  protected async finish(s: Session): Promise<void> {
    const onWire = s.busy ? s.queue[0] : undefined;
    s.giveBack("link stopped", (o) => o === onWire);
    if (s.quiet) return;
    await this.endWait((done) => {
      this.quietWaiter = done;
    });
    this.quietWaiter = undefined;
  }

  protected show(bytes: Uint8Array): string {
    return showBytes(bytes);
  }

  // ---- session host ----------------------------------------------------------------------------

  spoke(s: Session): void {
    this.promote(s);
  }

  resyncAsked(by: "RQINZ" | "GRS"): void {
    this.rqinzWanted = false;
    this.rqinzAckedAt = by === "RQINZ" ? this.o.clock.now() : undefined;
  }

  quiet(s: Session): void {
    if (s === this.session) this.quietWaiter?.();
  }

  rejected(_s: Session, garbageBytes: number): void {
    this.seen.framesRejected++;
    this.seen.garbageBytes += garbageBytes;
  }

  override trace(dir: "in" | "out", bytes: Uint8Array, error?: string): void {
    if (error) this.budget.warn(`mitel-${dir}-rejected`, "mitel: message rejected", { text: showBytes(bytes), error });
    super.trace(dir, bytes, error);
  }
}
