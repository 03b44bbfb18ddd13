/** @module mitel/session-host: what a Mitel session and its link exchange (session.ts, link.ts). */

import type { ResolvedMitelOptions } from "./link-options.ts";
import type { MitelMessage } from "./messages.ts";
import type { MitelSession } from "./session.ts";

export interface Outgoing {
  text: string;
  /** `STX text ETX`. */
  bytes: Uint8Array;
  type: string;
  dones: ((delivered: boolean, reason?: string) => void)[];
}

export interface MitelStats {
  enqSent: number;
  enqReceived: number;
  naksSent: number;
  naksReceived: number;
  /** The PMS bid while we waited for the answer to our own bid. */
  glare: number;
  /** ACK/NAK with nothing of ours waiting. */
  strayAnswers: number;
  /** Our messages sent again (a new sequence from ENQ). */
  retries: number;
  /** Our messages the PMS NAKed on every attempt, dropped. */
  discarded: number;
  /** Times the PMS was judged down. */
  pmsDown: number;
  areYouThere: number;
}

export function emptyStats(): MitelStats {
  return {
    enqSent: 0,
    enqReceived: 0,
    naksSent: 0,
    naksReceived: 0,
    glare: 0,
    strayAnswers: 0,
    retries: 0,
    discarded: 0,
    pmsDown: 0,
    areYouThere: 0,
  };
}

/** What the session tells its link. */
export interface MitelSessionHost {
  readonly o: ResolvedMitelOptions;
  readonly stats: MitelStats;
  deliver(s: MitelSession, m: MitelMessage, raw: Uint8Array): void;
  changed(s: MitelSession): void;
  trace(dir: "in" | "out", bytes: Uint8Array, error?: string): void;
  rejected(s: MitelSession, garbageBytes: number): void;
  drop(s: MitelSession, reason: string): void;
  /** The PMS spoke on this connection (a bid or a valid message): server mode promotes a candidate. */
  spoke(s: MitelSession): void;
  /** A GRS came, or our RQINZ was acknowledged. */
  resyncAsked(by: "RQINZ" | "GRS"): void;
  /** The line is free and nothing of ours waits: the link may release a stop. */
  quiet(s: MitelSession): void;
}
