/**
 * @module sip/ua/mwi-dialog-notify
 * A NOTIFY inside a message-summary subscription, and what its answer means for the subscription;
 * the subscription's shape (kept by MwiSubscriptions).
 */
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Mutex } from "../../lib/mutex.ts";
import type { Dialog } from "../dialog/dialog.ts";
import type { Target } from "../transaction/types.ts";
import { dialogTarget } from "./dialog-target.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { formatMessageSummary, type MessageSummary, MWI_CONTENT_TYPE, MWI_EVENT } from "./mwi-body.ts";

export type NotifyResult = "ok" | "gone" | "failed";

export interface NotifyOutcome {
  /** NOTIFYs answered 2xx. */
  sent: number;
  /** Where those went (IP addresses), so the sender knows whether the room's phone was among them. */
  reached: string[];
  /** NOTIFYs answered otherwise, timed out, or not sendable. */
  failed: number;
}

export interface Subscription {
  user: string;
  dialog: Dialog;
  /** The Event header's `id` parameter (RFC 6665 §8.2.1), echoed in every NOTIFY. */
  eventId: string | undefined;
  /** Where the last SUBSCRIBE came from (fallback target, TCP/TLS connection). */
  source: Target;
  expiresAt: number;
  timer: TimerHandle | undefined;
  queue: Mutex;
  ended: boolean;
  /** The summary last sent (or to be sent), for the final NOTIFY. */
  last: MessageSummary;
}

/** Responses to a NOTIFY that end the subscription (RFC 5057 §5.1: dialog or usage terminating). */
const ENDS_SUBSCRIPTION = new Set([404, 405, 410, 416, 481, 482, 483, 484, 485, 489, 501, 502, 604]);

export function sendInDialogNotify(
  endpoint: SipEndpoint,
  log: Logger,
  sub: Subscription,
  state: string,
  summary: MessageSummary,
  contact: string,
): Promise<NotifyResult> {
  const target = notifyTarget(log, sub);
  const event = sub.eventId === undefined ? MWI_EVENT : `${MWI_EVENT};id=${sub.eventId}`;
  const req = sub.dialog.createRequest("NOTIFY", {
    via: { transport: target.transport, host: endpoint.bind, port: endpoint.port },
    contact,
    headers: [
      ["Event", event],
      ["Subscription-State", state],
      ["User-Agent", endpoint.userAgent],
      ["Content-Type", MWI_CONTENT_TYPE],
    ],
    body: new TextEncoder().encode(formatMessageSummary(summary)),
  });
  return new Promise((resolve) => {
    const failed = (why: string) => {
      log.info("MWI NOTIFY failed", { user: sub.user, reason: why });
      resolve("failed");
    };
    try {
      endpoint.transactions.request(req, target, {
        onFinal: (resp) => {
          if (resp.status >= 200 && resp.status < 300) resolve("ok");
          else if (ENDS_SUBSCRIPTION.has(resp.status)) {
            log.info("MWI NOTIFY answered; subscription removed", { user: sub.user, status: resp.status });
            resolve("gone");
          } else failed(`${resp.status} ${resp.reason}`);
        },
        onTimeout: () => failed("timeout"),
        onTransportError: (err) => failed(`transport error: ${errorMessage(err)}`),
        onTerminated: () => failed("transaction ended"),
      });
    } catch (err) {
      failed(errorMessage(err));
    }
  });
}

/** The next hop as a transport target (no DNS: a host name falls back to the source address). */
export function notifyTarget(log: Logger, sub: Subscription): Target {
  return dialogTarget(sub.dialog, sub.source, (host) =>
    log.debug("MWI NOTIFY: no DNS; sent to the subscriber's source address", { host }),
  );
}
