/**
 * @module sip/ua/mwi
 * The message lamp of a room phone, lit by SIP NOTIFY (RFC 3842). The room's known phone (its
 * address set by the installer or phone events) always gets the lamp: an unsolicited NOTIFY straight
 * to that address, unless its own subscription already carried it there. Subscriptions (only the
 * room's phone and the PBX/proxy may hold one: mwi-subscribe-request.ts) get their NOTIFYs in
 * addition, never instead: a subscriber can neither darken the phone's lamp nor stand in for it.
 * The built-in `sip-mwi` PBX link drives it (pbx/sip-mwi.ts), so every NOTIFY is a persisted job
 * with retries and a visible outcome: the phone's answer decides it, or the subscriptions' when no
 * phone is known. Failures are {@link MwiError}s; the driver turns them into the PBX layer's errors.
 */
import { randomBytes } from "node:crypto";
import { canonicalIp } from "../../domain/phone.ts";
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
  /** `reached`: the IPs whose NOTIFY was answered 2xx. */
  notify(user: string, summary: MessageSummary): Promise<{ sent: number; reached: string[]; failed: number }>;
  /** Where the NOTIFYs of the user's subscriptions go (IPs). */
  targets(user: string): string[];
}

export interface MwiSenderOptions {
  /** Where the room's phone is (read at send time: phones move). */
  phoneOf(room: string): Promise<RoomPhone | undefined>;
  subscriptions?: MwiSubscriptionsLike;
  /** Host of Message-Account and of the NOTIFY's From (the SIP domain or our address). */
  domain: string;
}

/** A lamp that could not be set; `retryable` false when trying again cannot help. */
export class MwiError extends Error {
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean } = {}) {
    super(message);
    this.name = "MwiError";
    this.retryable = opts.retryable ?? true;
  }
}

/** One room phone's lamp: the counts its NOTIFY carries (Voice-Message new/old). */
export interface LampState {
  room: string;
  extension: string;
  newMessages: number;
  oldMessages: number;
}

/** Answers that a retry cannot change: the phone does not take unsolicited NOTIFYs, or not from us. */
const FINAL_REFUSALS = new Set([403, 404, 405, 481, 489, 501]);

export class MwiSender {
  constructor(
    private readonly ep: SipEndpoint,
    private readonly opts: MwiSenderOptions,
  ) {}

  /** Sets the lamp of `op.room`'s phone (and tells its subscribers); rejects with an {@link MwiError}. */
  async lamp(op: LampState): Promise<void> {
    const summary: MessageSummary = {
      waiting: op.newMessages > 0,
      account: `sip:${op.extension}@${this.opts.domain}`,
      newMessages: op.newMessages,
      oldMessages: op.oldMessages,
    };
    const subs = this.opts.subscriptions;
    // Started at once and awaited last: a slow subscriber never holds back the phone's NOTIFY.
    const watchers = subs?.has(op.extension) ? subs.notify(op.extension, summary) : Promise.resolve(undefined);
    const phone = await this.opts.phoneOf(op.room);
    if (!phone?.address) {
      if (((await watchers)?.sent ?? 0) > 0) return;
      throw new MwiError(
        `room ${op.room} has no phone address (set it with PUT /api/v1/rooms/${op.room} or a phone event)`,
        { retryable: false },
      );
    }
    const target = parseTarget(phone.address, (phone.transport as TransportKind | null) ?? this.ep.kind);
    const phoneIp = canonicalIp(target.address) ?? target.address;
    const isPhone = (ip: string) => (canonicalIp(ip) ?? ip) === phoneIp;
    // The phone's own subscription carries its lamp; the unsolicited NOTIFY only if that one failed.
    if (subs?.targets(op.extension).some(isPhone) && (await watchers)?.reached.some(isPhone)) return;
    const [resp] = await Promise.all([this.send(op.extension, target, summary), watchers]);
    if (resp.status >= 200 && resp.status < 300) return;
    throw new MwiError(`phone ${phone.address} answered ${resp.status} ${resp.reason}`, {
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
        onTimeout: () => reject(new MwiError(`no answer from the phone at ${target.address}:${target.port} (timeout)`)),
        onTransportError: (err) => reject(new MwiError(`cannot reach the phone: ${err.message}`)),
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
