/**
 * @module sip/ua/mwi
 * The message lamp of a room phone, lit by SIP NOTIFY (RFC 3842). A phone that subscribed gets the
 * NOTIFY inside its subscription; any other phone gets an unsolicited NOTIFY sent straight to the
 * address the room knows for it (installer, phone events). Runs as the built-in `sip-mwi` PBX link,
 * so every NOTIFY is a persisted job with retries and a visible outcome.
 */
import { randomBytes } from "node:crypto";
import type { PbxOp } from "../../domain/pbx-ops.ts";
import { type PbxDriver, PbxError } from "../../pbx/driver.ts";
import { newTag, type SipResponse, sipUri } from "../message/index.ts";
import type { Target } from "../transaction/types.ts";
import type { TransportKind } from "../transport/types.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { formatMessageSummary, type MessageSummary, MWI_CONTENT_TYPE, MWI_EVENT } from "./mwi-body.ts";
import { startRequest } from "./request.ts";

export interface RoomPhone {
  /** `IP:port` or `[IPv6]:port`. */
  address: string | null;
  transport: string | null;
}

export interface MwiSubscriptionsLike {
  has(user: string): boolean;
  notify(user: string, summary: MessageSummary): Promise<{ sent: number; failed: number }>;
}

export interface MwiSenderOptions {
  /** Where the room's phone is (read at send time: phones move). */
  phoneOf(room: string): Promise<RoomPhone | undefined>;
  subscriptions?: MwiSubscriptionsLike;
  /** Host of Message-Account and of the NOTIFY's From (the SIP domain or our address). */
  domain: string;
}

/** Answers that a retry cannot change: the phone does not take unsolicited NOTIFYs, or not from us. */
const FINAL_REFUSALS = new Set([403, 404, 405, 481, 489, 501]);

export class MwiSender implements PbxDriver {
  readonly type = "sip-mwi";
  readonly capabilities = ["message-lamp"] as const;

  constructor(
    private readonly ep: SipEndpoint,
    private readonly opts: MwiSenderOptions,
  ) {}

  async execute(op: PbxOp): Promise<void> {
    if (op.op !== "lamp") throw new PbxError(`sip-mwi does not handle ${op.op}`, { retryable: false });
    const summary: MessageSummary = {
      waiting: op.count > 0,
      account: `sip:${op.extension}@${this.opts.domain}`,
      newMessages: op.count,
      oldMessages: 0,
    };
    const subs = this.opts.subscriptions;
    if (subs?.has(op.extension)) {
      const r = await subs.notify(op.extension, summary);
      if (r.sent > 0) return;
    }
    const phone = await this.opts.phoneOf(op.room);
    if (!phone?.address) {
      throw new PbxError(
        `room ${op.room} has no phone address (set it with PUT /api/v1/rooms/${op.room} or a phone event)`,
        { retryable: false },
      );
    }
    const target = parseTarget(phone.address, (phone.transport as TransportKind | null) ?? this.ep.kind);
    const resp = await this.send(op.extension, target, summary);
    if (resp.status >= 200 && resp.status < 300) return;
    throw new PbxError(`phone ${phone.address} answered ${resp.status} ${resp.reason}`, {
      retryable: !FINAL_REFUSALS.has(resp.status),
    });
  }

  private send(extension: string, target: Target, summary: MessageSummary): Promise<SipResponse> {
    const req = startRequest({
      method: "NOTIFY",
      uri: sipUri(target.address, { user: extension, port: target.port }),
      from: { uri: sipUri(this.opts.domain, { user: "voicemail" }), tag: newTag() },
      to: { uri: sipUri(this.opts.domain, { user: extension }) },
      callId: `${randomBytes(12).toString("hex")}@${this.ep.bind}`,
      cseq: 1,
      local: { address: this.ep.bind, port: this.ep.port, transport: target.transport },
    });
    const h = req.headers;
    h.append(
      "Contact",
      `<sip:voicemail@${this.ep.bind.includes(":") ? `[${this.ep.bind}]` : this.ep.bind}:${this.ep.port}>`,
    );
    h.append("Event", MWI_EVENT);
    h.append("Subscription-State", "active");
    h.append("Content-Type", MWI_CONTENT_TYPE);
    h.append("User-Agent", this.ep.userAgent);
    req.body = new TextEncoder().encode(formatMessageSummary(summary));
    return new Promise((resolve, reject) => {
      this.ep.transactions.request(req, target, {
        onFinal: resolve,
        onTimeout: () => reject(new PbxError(`no answer from the phone at ${target.address}:${target.port} (timeout)`)),
        onTransportError: (err) => reject(new PbxError(`cannot reach the phone: ${err.message}`)),
      });
    });
  }
}

/** `10.0.0.5:5060` / `[fd00::5]:5060` → a transaction target. */
export function parseTarget(address: string, transport: TransportKind): Target {
  const i = address.lastIndexOf(":");
  let host = address.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { transport, address: host, port: Number(address.slice(i + 1)) || 5060 };
}
