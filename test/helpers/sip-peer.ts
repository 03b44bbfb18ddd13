/**
 * Scripted SIP peers on loopback UDP for the abuse tests and the flood bench: a peer bound to any
 * 127.x.y.z address (Linux routes all of 127/8 to lo, so one machine plays many hosts), sending raw
 * bytes and keeping what comes back; a registrar that answers every REGISTER 200 OK; builders of
 * unique requests.
 */
import dgram from "node:dgram";
import {
  buildErrorResponse,
  parseMessage,
  type SipMessage,
  type SipResponse,
  serialize,
} from "../../src/sip/message/index.ts";

export class UdpPeer {
  /** Responses and requests received, parsed (unparseable ones are counted only). */
  readonly inbox: SipMessage[] = [];
  received = 0;
  port = 0;
  /** How many messages `inbox` keeps (the latest): a flooder's answers must not grow the test process. */
  keep = 10_000;
  /** Called with every response as it arrives (latency probes). */
  onResponse: ((resp: SipResponse) => void) | undefined;
  /** Answers requests that arrive (a registrar); undefined leaves them unanswered. */
  onRequest: ((req: SipMessage & { kind: "request" }) => SipResponse | undefined) | undefined;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly socket: dgram.Socket,
    readonly address: string,
  ) {
    socket.on("message", (bytes, rinfo) => this.receive(new Uint8Array(bytes), rinfo));
  }

  static async open(address = "127.0.0.1", port = 0): Promise<UdpPeer> {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => resolve());
    });
    const peer = new UdpPeer(socket, address);
    peer.port = socket.address().port;
    return peer;
  }

  send(to: number, data: string | Uint8Array, host = "127.0.0.1"): void {
    const bytes = typeof data === "string" ? this.encoder.encode(data) : data;
    this.socket.send(bytes, to, host);
  }

  /** Responses received so far with this Call-ID. */
  responses(callId: string): SipResponse[] {
    return this.inbox.filter((m): m is SipResponse => m.kind === "response" && m.headers.get("Call-ID") === callId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(bytes: Uint8Array, rinfo: dgram.RemoteInfo): void {
    this.received++;
    if (this.keep <= 0 && !this.onRequest && !this.onResponse) return;
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return;
    const m = parsed.message;
    if (m.kind === "request" && this.onRequest) {
      const resp = this.onRequest(m);
      if (resp) this.socket.send(serialize(resp), rinfo.port, rinfo.address);
      return;
    }
    if (m.kind === "response") this.onResponse?.(m);
    if (this.keep <= 0) return;
    if (this.inbox.length >= this.keep) this.inbox.shift();
    this.inbox.push(m);
  }
}

/** A registrar on `address` answering every REGISTER 200 OK with the Contact and Expires asked. */
export async function fakeRegistrar(address = "127.0.0.1"): Promise<UdpPeer & { registers: number }> {
  const peer = Object.assign(await UdpPeer.open(address), { registers: 0 });
  peer.onRequest = (req) => {
    if (req.method !== "REGISTER") return buildErrorResponse(req, 405, "Method Not Allowed");
    peer.registers++;
    const resp = buildErrorResponse(req, 200, "OK", { toTag: "reg" });
    const contact = req.headers.get("Contact");
    if (contact) resp.headers.append("Contact", contact);
    resp.headers.append("Expires", req.headers.get("Expires") ?? "3600");
    return resp;
  };
  return peer;
}

let seq = 0;

/** A request nobody sent before (new Call-ID, branch and tag), from `from` (address:port) to us. */
export function uniqueRequest(
  method: string,
  from: { address: string; port: number },
  opts: { user?: string; headers?: string[]; toTag?: string } = {},
): string {
  const n = ++seq;
  const user = opts.user ?? "2001";
  const lines = [
    `${method} sip:${user}@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP ${from.address}:${from.port};branch=z9hG4bK-f${n};rport`,
    "Max-Forwards: 70",
    `From: <sip:attacker@${from.address}>;tag=f${n}`,
    `To: <sip:${user}@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ""}`,
    `Call-ID: flood-${n}@${from.address}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:attacker@${from.address}:${from.port}>`,
    ...(opts.headers ?? []),
    "Content-Length: 0",
    "",
    "",
  ];
  return lines.join("\r\n");
}

/** Bytes that are not SIP at all, or SIP-shaped garbage, in turn. */
export function garbage(n: number): Uint8Array {
  const kinds = [
    () => crypto.getRandomValues(new Uint8Array(64 + (n % 200))),
    () => new TextEncoder().encode(`OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r${n}\r\n\r\n`),
    () => new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: x${n}\r\n\r\n`),
  ];
  return kinds[n % kinds.length]();
}
