/**
 * A scripted PBX on bare loopback UDP for call tests against the real appliance: it answers every
 * REGISTER 200, sends INVITEs (with or without SDP: late offer) and their ACK (with or without an
 * answer), answers the appliance's own INVITEs (wake-up calls) with a scripted SDP, and keeps what
 * arrives. `MediaPeer` is the far end's RTP socket, and `peerKeys` reads the a=crypto of an SDP so a
 * test can decrypt what the appliance sends and protect what it sends back.
 */
import dgram from "node:dgram";
import {
  buildErrorResponse,
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serialize,
} from "../../src/sip/message/index.ts";
import { SrtpContext, type SrtpSuite } from "../../src/sip/rtp/srtp/index.ts";

const HOST = "127.0.0.1";
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** An audio SDP from the PBX side: `proto` RTP/AVP or RTP/SAVP, plus extra a= lines (a=crypto). */
export function pbxSdp(port: number, proto = "RTP/AVP", extra: string[] = []): string {
  return [
    "v=0",
    "o=pbx 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=audio ${port} ${proto} 0 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    ...extra,
    "a=sendrecv",
    "",
  ].join("\r\n");
}

export interface CryptoLine {
  tag: number;
  suite: string;
  /** The inline key ‖ salt, decoded. */
  key: Uint8Array;
  value: string;
}

/** The a=crypto lines of an SDP text. */
export function cryptoLines(sdp: string): CryptoLine[] {
  const out: CryptoLine[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)/.exec(line);
    if (m) out.push({ tag: Number(m[1]), suite: m[2], key: Buffer.from(m[3], "base64"), value: line.slice(9) });
  }
  return out;
}

/** Contexts for the far end of an SRTP call: `rx` opens what the appliance sends, `tx` protects ours. */
export function peerKeys(applianceLine: CryptoLine, peerKey: Uint8Array) {
  const suite = applianceLine.suite as SrtpSuite;
  return { rx: new SrtpContext(suite, applianceLine.key), tx: new SrtpContext(suite, peerKey) };
}

export class UdpPbx {
  readonly inbox: SipMessage[] = [];
  port = 0;
  appPort = 0;
  /** The 200's SDP for the appliance's INVITEs (wake-up calls); undefined: they ring unanswered. */
  answer: ((invite: SipRequest) => string | undefined) | undefined;
  private readonly cseq = new Map<string, number>();

  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (bytes) => this.receive(new Uint8Array(bytes)));
  }

  static async open(): Promise<UdpPbx> {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
    const pbx = new UdpPbx(socket);
    pbx.port = socket.address().port;
    return pbx;
  }

  send(bytes: Uint8Array | string): void {
    this.socket.send(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes, this.appPort, HOST);
  }

  /** An INVITE from extension 2101 to the port `user`; `sdp` undefined sends none (late offer). */
  invite(user: string, callId: string, sdp?: string): void {
    this.send(
      this.request("INVITE", `sip:${user}@${HOST}:${this.appPort}`, callId, `z9hG4bK${callId}`, undefined, sdp, [
        `Contact: <sip:2101@${HOST}:${this.port}>`,
      ]),
    );
  }

  /** The ACK of the appliance's 200 OK to our INVITE `callId`, with the answer `sdp` if given. */
  ack(callId: string, sdp?: string): void {
    const ok = this.responses(callId, 200)[0] as SipResponse;
    this.send(this.request("ACK", `sip:2001@${HOST}:${this.appPort}`, callId, `z9hG4bKack${callId}`, ok.to.tag, sdp));
  }

  /** Our BYE in the dialog of our INVITE `callId`. */
  bye(callId: string): void {
    const ok = this.responses(callId, 200)[0] as SipResponse;
    this.cseq.set(callId, 2);
    this.send(this.request("BYE", `sip:2001@${HOST}:${this.appPort}`, callId, `z9hG4bKbye${callId}`, ok.to.tag));
  }

  /** The room hangs up a wake-up call the appliance placed (`invite`, answered by us with tag `room`). */
  hangUpWakeup(invite: SipRequest): void {
    const lines = [
      `BYE ${invite.headers.get("Contact")?.replace(/^.*<|>.*$/g, "")} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bKbye${invite.callId.replace(/[^A-Za-z0-9]/g, "")};rport`,
      "Max-Forwards: 70",
      `From: ${invite.headers.get("To")};tag=room`,
      `To: ${invite.headers.get("From")}`,
      `Call-ID: ${invite.callId}`,
      "CSeq: 1 BYE",
      "Content-Length: 0",
      "",
      "",
    ];
    this.send(lines.join("\r\n"));
  }

  responses(callId: string, status: number): SipResponse[] {
    return this.inbox.filter(
      (m): m is SipResponse => m.kind === "response" && m.callId === callId && m.status === status,
    );
  }

  requests(callId: string | null, method: string): SipRequest[] {
    return this.inbox.filter(
      (m): m is SipRequest => m.kind === "request" && (callId === null || m.callId === callId) && m.method === method,
    );
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }

  private request(
    method: string,
    uri: string,
    callId: string,
    branch: string,
    toTag?: string,
    sdp?: string,
    extra: string[] = [],
  ): string {
    const body = sdp ?? "";
    const seq = method === "ACK" || method === "INVITE" ? 1 : (this.cseq.get(callId) ?? 1);
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${branch};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}>;tag=pbx${callId}`,
      `To: <sip:500@${HOST}>${toTag ? `;tag=${toTag}` : ""}`,
      `Call-ID: ${callId}`,
      `CSeq: ${seq} ${method}`,
      ...extra,
      ...(body ? ["Content-Type: application/sdp"] : []),
      `Content-Length: ${new TextEncoder().encode(body).length}`,
      "",
      body,
    ].join("\r\n");
  }

  private receive(bytes: Uint8Array): void {
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return;
    const m = parsed.message;
    this.inbox.push(m);
    if (m.kind !== "request") return;
    if (m.method === "REGISTER") {
      const resp = buildErrorResponse(m, 200, "OK", { toTag: "reg" });
      resp.headers.append("Contact", `${m.headers.get("Contact")};expires=600`);
      this.send(serialize(resp));
    } else if (m.method === "INVITE" && m.from.tag && !m.from.tag.startsWith("pbx")) {
      this.send(serialize(buildErrorResponse(m, 180, "Ringing", { toTag: "room" })));
      const sdp = this.answer?.(m);
      if (sdp === undefined) return;
      const ok = buildErrorResponse(m, 200, "OK", { toTag: "room" });
      ok.headers.append("Contact", `<sip:2101@${HOST}:${this.port}>`);
      ok.headers.append("Content-Type", "application/sdp");
      ok.body = new TextEncoder().encode(sdp);
      this.send(serialize(ok));
    } else if (m.method === "BYE") {
      this.send(serialize(buildErrorResponse(m, 200, "OK")));
    }
  }
}

/** The far end's RTP socket: keeps every datagram that reaches it. */
export class MediaPeer {
  readonly packets: Uint8Array[] = [];
  port = 0;
  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (b) => this.packets.push(new Uint8Array(b)));
  }

  static async open(): Promise<MediaPeer> {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
    const peer = new MediaPeer(socket);
    peer.port = socket.address().port;
    return peer;
  }

  send(bytes: Uint8Array, port: number): void {
    this.socket.send(bytes, port, HOST);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** The SDP body of a message, as text. */
export function sdpOf(m: SipMessage): string {
  return text(m.body);
}
