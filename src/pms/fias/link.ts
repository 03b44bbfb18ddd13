/**
 * @module fias/link
 * A FIAS link (Spec §6, §7): opens the connection (we dial the PMS, or it dials us), hands each one
 * to a LinkSession that speaks the link-control protocol, replaces and reconnects, and tells the
 * appliance its state. The connection management is pms/link-base.ts; this file adds the protocol. All timing goes through the injected clock so tests drive it with a FakeClock.
 *
 * One PMS per interface, so the newest connection wins (Spec §7) — but in server mode only once it
 * has completed its link start: until then it is a candidate, the live connection keeps working,
 * and the candidate's records are not applied. A stray or hostile connection (a port scan, a probe
 * sending GI/GO) can neither feed records nor take the hotel's PMS link down.
 */

import { PmsLinkBase } from "../link-base.ts";
import type { FiasConnection } from "./connection.ts";
import { showBytes } from "./frame.ts";
import { type FiasLinkOptions, type ResolvedLinkOptions, resolveLinkOptions } from "./link-options.ts";
import { LinkSession, type SessionHost } from "./link-session.ts";
import { type FiasRecord, recordFromText } from "./record.ts";

export class FiasLink extends PmsLinkBase<FiasRecord, LinkSession, ResolvedLinkOptions> implements SessionHost {
  constructor(opts: FiasLinkOptions) {
    super(resolveLinkOptions(opts), {
      tag: "fias",
      takesOverOnce: "its link start completes",
      before: "before its link start",
      did: "started the link",
    });
    this.seen.framing = this.o.framing.name;
  }

  send(record: FiasRecord, done?: (delivered: boolean, reason?: string) => void): boolean {
    const s = this.session;
    if (!this.canSend || !s) return false;
    return s.write(record, done);
  }

  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean {
    let record: FiasRecord;
    try {
      record = recordFromText(text);
    } catch {
      return false;
    }
    return this.send(record, done);
  }

  protected newSession(conn: FiasConnection): LinkSession {
    return new LinkSession(this, conn);
  }

  /** A linked session ends with LE; stop() waits up to `endWaitMs` for the PMS's LE. */
  protected async finish(s: LinkSession): Promise<void> {
    if (!s.linked) return;
    const answered = this.endWait((done) => {
      s.peerEnded = done;
    });
    s.end();
    await answered;
  }

  protected show(bytes: Uint8Array): string {
    return showBytes(bytes);
  }

  /** SessionHost: the link came up on this session (a server-mode candidate now replaces the live one). */
  linkedUp(s: LinkSession): void {
    this.backoff.reset();
    this.promote(s);
  }
}
export type { FiasLinkOptions } from "./link-options.ts";
