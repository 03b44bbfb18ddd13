/**
 * @module ivr/voicemail-operator
 * Handing a voicemail caller to the operator (the front desk): "transferring you", a blind transfer,
 * and "the operator cannot be reached" when there is none or the PBX refused. Shared by deposit and
 * retrieval so both say and do the same.
 */

import type { Logger } from "../lib/logger.ts";
import { say, type Voice } from "../voice/speak.ts";

export type OperatorOutcome = "accepted" | "refused" | "no-operator" | "hangup";

/**
 * Transfers the caller to `operator`. `accepted`: the PBX took the call (our leg is over); otherwise
 * the caller has heard that the operator cannot be reached, and the call is still ours to end.
 */
export async function transferToOperator(v: Voice, operator: string | null, logger?: Logger): Promise<OperatorOutcome> {
  if (!operator) {
    await say(v, ["vm-operator-unreachable"]);
    return "no-operator";
  }
  if ((await say(v, ["vm-transferring"])) === "hangup") return "hangup";
  let r: "accepted" | "refused";
  try {
    r = await v.channel.transfer(operator);
  } catch (err) {
    // A failed REFER is the SIP layer's to report; for the caller it is an operator who did not answer.
    logger?.warn("voicemail: transfer to the operator failed", { operator, err });
    r = "refused";
  }
  if (r === "accepted") return "accepted";
  if (v.channel.hungUp) return "hangup";
  await say(v, ["vm-operator-unreachable"]);
  return "refused";
}
