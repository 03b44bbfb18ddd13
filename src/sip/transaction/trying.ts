/**
 * @module sip/transaction/trying
 * The 100 Trying a server INVITE transaction sends on its own (§17.2.1): Via(s), From, To (no tag
 * added, §8.2.6.2), Call-ID and CSeq copied from the request, Timestamp echoed (§8.2.6.1), no body.
 */

import type { SipRequest, SipResponse } from "../message/message.ts";
import { buildErrorResponse } from "../message/response.ts";

export function buildTrying(req: SipRequest): SipResponse {
  const resp = buildErrorResponse(req, 100, "Trying");
  const timestamp = req.headers.get("Timestamp");
  if (timestamp !== undefined) resp.headers.append("Timestamp", timestamp);
  resp.headers.append("Content-Length", "0");
  return resp;
}
