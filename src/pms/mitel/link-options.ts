/** @module mitel/link-options: what a Mitel link can be told, and the defaults (pms-protocols §1.2). */
import type { BackoffOptions } from "../../lib/backoff.ts";
import type { Charset } from "../../lib/charset.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import type { FiasConnector } from "../fias/connection.ts";
import type { PmsLinkHandlers } from "../port.ts";
import { MAX_MESSAGE_BYTES } from "./codec.ts";
import type { MitelMessage } from "./messages.ts";
import { type MitelProfile, mitelProfile } from "./profiles.ts";

export interface MitelLinkOptions {
  /** TCP client/server (pms/fias/tcp.ts: they carry bytes) or the Mitel serial connector. */
  connector: FiasConnector;
  clock: Clock;
  logger: Logger;
  charset: Charset;
  handlers: PmsLinkHandlers<MitelMessage>;
  profile?: MitelProfile;
  /**
   * The previous run stopped uncleanly: ask the PMS for a resync (RQINZ) as the first message once
   * the link is up, until a GRS comes or the PMS acknowledges it.
   */
  uncleanStart?: boolean;
  /** Every answer (ACK/NAK to ENQ or message) and the PMS's message after our ACK: 3000 ms. */
  answerTimeoutMs?: number;
  /** ENQs per attempt before the PMS counts as down: 21 (3300: 20 retries; older releases 20). */
  enqAttempts?: number;
  /** Attempts of a message (each from ENQ) before it is given up: 6 (5 retries; older releases 5). */
  messageAttempts?: number;
  /** After a probe ENQ is ACKed (PMS back up), how long we hold the line for a message: 1000 ms. */
  grantHoldMs?: number;
  /** Between GRS and END: this long without a message ends the cycle as abandoned. Default 300000. */
  resyncIdleMs?: number;
  /**
   * How long an ACKed message may wait before it is handed to `onRecord` when the PMS's next bid does
   * not come first (session.ts deliverLater); 0 = at once. Default 5.
   */
  holdDeliveryMs?: number;
  /** NAK a message that came without an ENQ grant (strict PMS-side reading); default false. */
  requireEnq?: boolean;
  maxMessageBytes?: number;
  /** Bytes outside frames tolerated in one second before the connection is dropped; 65536. */
  maxGarbageBytesPerSecond?: number;
  /** How long stop() waits for a transaction on the wire to finish; 2000. */
  endWaitMs?: number;
  /** Reconnect (client) or re-listen (server) delays; default 1 s doubling to 60 s. */
  backoff?: BackoffOptions;
}

export type ResolvedMitelOptions = Required<Omit<MitelLinkOptions, "profile">> & { profile: MitelProfile };

export function resolveMitelOptions(o: MitelLinkOptions): ResolvedMitelOptions {
  return {
    connector: o.connector,
    clock: o.clock,
    logger: o.logger,
    charset: o.charset,
    handlers: o.handlers,
    profile: o.profile ?? mitelProfile(),
    uncleanStart: o.uncleanStart ?? false,
    answerTimeoutMs: o.answerTimeoutMs ?? 3000,
    enqAttempts: o.enqAttempts ?? 21,
    messageAttempts: o.messageAttempts ?? 6,
    grantHoldMs: o.grantHoldMs ?? 1000,
    resyncIdleMs: o.resyncIdleMs ?? 300_000,
    holdDeliveryMs: o.holdDeliveryMs ?? 5,
    requireEnq: o.requireEnq ?? false,
    maxMessageBytes: o.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    maxGarbageBytesPerSecond: o.maxGarbageBytesPerSecond ?? 65_536,
    endWaitMs: o.endWaitMs ?? 2000,
    backoff: o.backoff ?? { initialMs: 1000, maxMs: 60_000 },
  };
}
