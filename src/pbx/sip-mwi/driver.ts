/**
 * @module pbx/sip-mwi/driver
 * The built-in `sip-mwi` link: lamp jobs go to the SIP stack's MWI sender, and its failures become
 * the PBX layer's errors (so the job runner retries, dead-letters or skips them like any link's).
 * The SIP stack itself knows nothing of PBX links.
 */
import type { PbxOp } from "../../domain/pbx-ops.ts";
import { type LampState, MwiError } from "../../sip/ua/mwi.ts";
import { type PbxDriver, PbxError } from "../driver.ts";

export interface LampSender {
  lamp(op: LampState): Promise<void>;
}

export class SipMwiDriver implements PbxDriver {
  readonly type = "sip-mwi";
  readonly capabilities = ["message-lamp"] as const;

  constructor(private readonly sender: LampSender) {}

  async execute(op: PbxOp): Promise<void> {
    if (op.op !== "lamp") throw new PbxError(`sip-mwi does not handle ${op.op}`, { retryable: false });
    try {
      await this.sender.lamp({
        room: op.room,
        extension: op.extension,
        newMessages: op.count,
        oldMessages: op.old ?? 0,
      });
    } catch (err) {
      if (err instanceof MwiError) throw new PbxError(err.message, { retryable: err.retryable });
      throw err;
    }
  }
}
