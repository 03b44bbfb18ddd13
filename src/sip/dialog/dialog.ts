/**
 * @module sip/dialog/dialog
 * A minimal dialog (RFC 3261 §12): the dialog id, the local CSeq counter, the remote CSeq seen, the
 * remote target and the route set, and the requests we send inside the dialog. Made by the UAS side
 * of a subscription (RFC 6665) or an answered call, and by the UAC side of a call we placed.
 *
 * - Created by the UAS from the dialog-creating request (§12.1.1): Call-ID from the request, local
 *   tag ours (the To tag of our 2xx), remote tag the From tag; local URI the To URI, remote URI the
 *   From URI; remote target the request's Contact; route set the Record-Route URIs in the order
 *   received (the 2xx must echo those Record-Route headers; that is the caller's response).
 * - Created by the UAC from its INVITE and the 2xx (§12.1.2): local tag the From tag, remote tag the
 *   2xx's To tag; local URI the From URI, remote URI the To URI; remote target the 2xx's Contact;
 *   route set the 2xx's Record-Route URIs in reverse order; local CSeq the INVITE's.
 * - Requests inside the dialog (§12.2.1.1): Request-URI = remote target, one Route header per
 *   route-set entry in order, From = local URI with the local tag, To = remote URI with the remote
 *   tag, the same Call-ID, CSeq = local counter + 1 (ACK and CANCEL, which reuse a CSeq, are not
 *   built here), a fresh Via branch. The next hop is the first route, else the remote target.
 * - Loose routing (`;lr`, RFC 3261) only. Strict routing (RFC 2543 proxies: first route without
 *   `lr`, whose URI would become the Request-URI with the remote target appended as the last Route)
 *   is NOT supported: such a route set is kept and used as if it were loose, and `strictRouting`
 *   says so, so the caller can log it or refuse the dialog.
 * - Requests received inside the dialog (§12.2.2): a CSeq lower than the last one is out of order
 *   (the caller answers 500); a target refresh request (SUBSCRIBE, NOTIFY, INVITE, UPDATE) with a
 *   Contact replaces the remote target. The route set never changes after creation.
 *
 * Imports only the message layer: no transactions, no sockets.
 */
import {
  type ContactList,
  formatNameAddr,
  formatUri,
  formatVia,
  getParam,
  Headers,
  type NameAddr,
  SipRequest,
  type SipResponse,
  type SipUri,
  type Uri,
} from "../message/index.ts";
import { type Hop, type HopTransport, hopOf } from "./next-hop.ts";

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** One party of the dialog as it appears in From / To (without the tag). */
export interface DialogParty {
  displayName: string | undefined;
  uri: Uri;
}

/** A dialog cannot be made from this request (no From tag, no usable Contact…). */
export class DialogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DialogError";
  }
}

/** A map key for a dialog id (Call-ID has no whitespace, tags are tokens). */
export function dialogKey(id: DialogId): string {
  return `${id.callId} ${id.localTag} ${id.remoteTag}`;
}

/**
 * The id of the dialog an inbound request claims to belong to (§12.2.2: Call-ID, local tag = its
 * To tag, remote tag = its From tag), or undefined when it has no To tag (not in a dialog) or no
 * From tag.
 */
export function incomingDialogId(req: SipRequest): DialogId | undefined {
  const localTag = req.to.tag;
  const remoteTag = req.from.tag;
  if (!localTag || !remoteTag) return undefined;
  return { callId: req.callId, localTag, remoteTag };
}

/** Methods whose Contact refreshes the remote target (RFC 3261 §12.2, RFC 6665 §4.1.2.1). */
const TARGET_REFRESH = new Set(["INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"]);

export interface InDialogRequestOptions {
  /** Our sent-by and the transport the request goes over (the Via). */
  via: { transport: HopTransport; host: string; port: number };
  /** Raw Contact header value (a target refresh request needs one). */
  contact?: string;
  maxForwards?: number;
  /** Further header fields, appended after the dialog's own, in order. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Uint8Array;
  /** The Via branch; default a fresh RFC 3261 one. */
  branch?: string;
}

export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  readonly local: DialogParty;
  readonly remote: DialogParty;
  /** Record-Route URIs of the dialog-creating request, in order; never changes. */
  readonly routeSet: readonly SipUri[];
  private target: SipUri;
  private localSeq: number;
  private remoteSeq: number | undefined;

  private constructor(init: {
    id: DialogId;
    local: DialogParty;
    remote: DialogParty;
    routeSet: SipUri[];
    target: SipUri;
    localSeq: number;
    remoteSeq: number | undefined;
  }) {
    this.id = init.id;
    this.key = dialogKey(init.id);
    this.local = init.local;
    this.remote = init.remote;
    this.routeSet = init.routeSet;
    this.target = init.target;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
  }

  /**
   * The UAS side of the dialog `req` creates (§12.1.1), with `localTag` as our tag (put the same tag
   * in the To of the 2xx). `localSeq` is the CSeq before our first request (default 0: it goes out
   * as 1). Throws DialogError when the request has no From tag, not exactly one sip:/sips: Contact,
   * a Record-Route that is not a SIP URI, or malformed headers.
   */
  static asUas(req: SipRequest, opts: { localTag: string; localSeq?: number }): Dialog {
    const { from, to, contacts, recordRoutes } = readHeaders(() => ({
      from: req.from,
      to: req.to,
      contacts: req.contacts,
      recordRoutes: req.recordRoutes,
    }));
    if (!from.tag) throw new DialogError("the request has no From tag");
    const routeSet = sipRoutes(recordRoutes);
    return new Dialog({
      id: { callId: req.callId, localTag: opts.localTag, remoteTag: from.tag },
      local: { displayName: to.displayName, uri: to.uri },
      remote: { displayName: from.displayName, uri: from.uri },
      routeSet,
      target: singleSipContact(contacts),
      localSeq: opts.localSeq ?? 0,
      remoteSeq: req.cseq.seq,
    });
  }

  /**
   * The UAC side of the dialog our `invite` and its 2xx `response` create (§12.1.2). Throws
   * DialogError when the response has no To tag, not exactly one sip:/sips: Contact, or a
   * Record-Route that is not a SIP URI.
   */
  static asUac(invite: SipRequest, response: SipResponse): Dialog {
    const { from, to, contacts, recordRoutes } = readHeaders(() => ({
      from: invite.from,
      to: response.to,
      contacts: response.contacts,
      recordRoutes: response.recordRoutes,
    }));
    if (!from.tag) throw new DialogError("our request has no From tag");
    if (!to.tag) throw new DialogError("the response has no To tag");
    // The UAC keeps the Record-Route in reverse (§12.1.2): its first hop is the last proxy listed.
    const routeSet = sipRoutes(recordRoutes).reverse();
    return new Dialog({
      id: { callId: invite.callId, localTag: from.tag, remoteTag: to.tag },
      local: { displayName: from.displayName, uri: from.uri },
      remote: { displayName: to.displayName, uri: to.uri },
      routeSet,
      target: singleSipContact(contacts),
      localSeq: invite.cseq.seq,
      remoteSeq: undefined,
    });
  }

  /** The remote target: the Request-URI of our requests. */
  get remoteTarget(): SipUri {
    return this.target;
  }

  /** The CSeq number of our last request (the initial value before any). */
  get localCSeq(): number {
    return this.localSeq;
  }

  /** The CSeq number of the peer's last request, if any. */
  get remoteCSeq(): number | undefined {
    return this.remoteSeq;
  }

  /** True when the first route has no `lr` (a strict router): unsupported, routed as if loose. */
  get strictRouting(): boolean {
    const first = this.routeSet[0];
    return first !== undefined && !isLooseRoute(first);
  }

  /** Where our requests go first: the first route, else the remote target. */
  nextHop(defaultTransport: HopTransport): Hop {
    return hopOf(this.routeSet[0] ?? this.target, defaultTransport);
  }

  /**
   * Checks an inbound request of this dialog (§12.2.2) and applies it: a CSeq lower than the last
   * one is out of order (answer 500; nothing changes); otherwise the remote CSeq moves on and a
   * target refresh request carrying a Contact replaces the remote target (throws DialogError for a
   * Contact that is not exactly one sip:/sips: URI; nothing changes then).
   */
  receive(req: SipRequest): "ok" | "out-of-order" {
    const seq = req.cseq.seq;
    if (this.remoteSeq !== undefined && seq < this.remoteSeq) return "out-of-order";
    let target = this.target;
    if (TARGET_REFRESH.has(req.method)) {
      let contacts: ContactList;
      try {
        contacts = req.contacts;
      } catch (err) {
        throw new DialogError(err instanceof Error ? err.message : String(err));
      }
      if (contacts === "*" || contacts.length > 0) target = singleSipContact(contacts);
    }
    this.remoteSeq = seq;
    this.target = target;
    return "ok";
  }

  /** A new request inside the dialog (§12.2.1.1); takes the next local CSeq. Not for ACK or CANCEL. */
  createRequest(method: string, opts: InDialogRequestOptions): SipRequest {
    if (method === "ACK" || method === "CANCEL") throw new TypeError(`${method} is not built by the dialog`);
    this.localSeq++;
    return this.build(method, this.localSeq, opts);
  }

  /**
   * The ACK of a 2xx to our INVITE with CSeq `inviteSeq` (§13.2.2.4): built like an in-dialog request
   * but with the INVITE's CSeq number; the local counter does not move.
   */
  createAck(inviteSeq: number, opts: InDialogRequestOptions): SipRequest {
    return this.build("ACK", inviteSeq, opts);
  }

  private build(method: string, seq: number, opts: InDialogRequestOptions): SipRequest {
    const h = new Headers();
    h.append(
      "Via",
      formatVia({
        transport: opts.via.transport.toUpperCase(),
        host: opts.via.host,
        port: opts.via.port,
        params: [
          { name: "branch", value: opts.branch ?? newViaBranch() },
          { name: "rport", value: null },
        ],
      }),
    );
    for (const route of this.routeSet) h.append("Route", `<${formatUri(route)}>`);
    h.append("Max-Forwards", String(opts.maxForwards ?? 70));
    h.append("From", formatNameAddr({ ...this.local, tag: this.id.localTag }));
    h.append("To", formatNameAddr({ ...this.remote, tag: this.id.remoteTag }));
    h.append("Call-ID", this.id.callId);
    h.append("CSeq", `${seq} ${method}`);
    if (opts.contact !== undefined) h.append("Contact", opts.contact);
    for (const [name, value] of opts.headers ?? []) h.append(name, value);
    // §19.1.5: URI headers (`?…`) do not belong in a Request-URI.
    const uri: SipUri = { ...this.target, headers: [] };
    return new SipRequest(method, uri, h, opts.body);
  }
}

interface DialogHeaders {
  from: NameAddr;
  to: NameAddr;
  contacts: ContactList;
  recordRoutes: readonly NameAddr[];
}

/** The header views a dialog is made from; a malformed header is a DialogError. */
function readHeaders(read: () => DialogHeaders): DialogHeaders {
  try {
    return read();
  } catch (err) {
    throw new DialogError(err instanceof Error ? err.message : String(err));
  }
}

/** Record-Route URIs in the order listed; each must be a SIP URI. */
function sipRoutes(recordRoutes: readonly NameAddr[]): SipUri[] {
  return recordRoutes.map((rr) => {
    if (rr.uri.kind !== "sip") throw new DialogError("a Record-Route is not a SIP URI");
    return rr.uri;
  });
}

function singleSipContact(contacts: ContactList): SipUri {
  if (contacts === "*" || contacts.length !== 1) throw new DialogError("the request needs exactly one Contact");
  const uri = contacts[0].uri;
  if (uri.kind !== "sip") throw new DialogError("the Contact is not a sip: or sips: URI");
  return uri;
}

/** A fresh RFC 3261 branch (magic cookie + 96 random bits), as `transaction/key.ts` makes them. */
export function newViaBranch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = "z9hG4bK";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Whether a route URI is a loose router's (`;lr`). */
export function isLooseRoute(uri: SipUri): boolean {
  return getParam(uri.params, "lr") !== undefined;
}
