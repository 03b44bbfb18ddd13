/**
 * @module sip/ua/stateless
 * Which requests the ports answer without a server transaction (RFC 3261 §8.2.7 stateless UAS):
 * those whose answer is fixed and needs no state: OPTIONS (200), a method we do not serve (405), a
 * request inside a dialog we do not know (481), a SUBSCRIBE for an event we do not serve (489).
 * They are what a scanner or a flood sends most, and answered this way they cost no memory: a
 * retransmission simply gets the same answer again (same To tag, `stableTag`).
 *
 * What needs state stays stateful: INVITE (its ACK, CANCEL), CANCEL, SUBSCRIBE for
 * message-summary, and requests inside a call we know.
 */
import { buildErrorResponse, type SipRequest, type SipResponse, stableTag } from "../message/index.ts";
import { MWI_EVENT } from "./mwi-body.ts";
import { parseEvent } from "./mwi-subscribe-request.ts";

export const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, SUBSCRIBE";

export interface StatelessContext {
  /** Whether a request with a To tag belongs to a live call. */
  knowsDialog(req: SipRequest): boolean;
  /** Whether SUBSCRIBE for message-summary is served. */
  subscriptions: boolean;
}

/** The answer to a new request when it needs no transaction, else undefined. */
export function statelessAnswer(req: SipRequest, ctx: StatelessContext): SipResponse | undefined {
  const method = req.method;
  if (method === "CANCEL" || method === "ACK") return undefined;
  let inDialog: boolean;
  try {
    inDialog = req.to.tag !== undefined;
  } catch {
    return answer(req, 400, "Bad To header");
  }
  if (inDialog && method !== "SUBSCRIBE") {
    return ctx.knowsDialog(req) ? undefined : answer(req, 481, "Call/Transaction Does Not Exist");
  }
  switch (method) {
    case "INVITE":
      return undefined;
    case "OPTIONS":
      return answer(req, 200, "OK", ["Allow", ALLOW]);
    case "SUBSCRIBE": {
      const event = parseEvent(req.headers.get("Event"));
      if (ctx.subscriptions && event?.type === MWI_EVENT) return undefined;
      return answer(req, 489, "Bad Event", ["Allow-Events", MWI_EVENT]);
    }
    default:
      return answer(req, 405, "Method Not Allowed", ["Allow", ALLOW]);
  }
}

function answer(req: SipRequest, status: number, reason: string, extra?: [string, string]): SipResponse {
  const resp = buildErrorResponse(req, status, reason, { toTag: stableTag(req) });
  if (extra) resp.headers.append(extra[0], extra[1]);
  return resp;
}
