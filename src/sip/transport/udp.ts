/**
 * @module sip/transport/udp
 * UDP (node:dgram): one bound socket per listener, used both to receive and to send, so requests
 * leave from the address and port in our Via. A datagram is one message; it is checked for size and
 * SIP shape here, never parsed.
 */
import type dgram from "node:dgram";
import type { Logger } from "../../lib/logger.ts";
import { isIPv6, normalizeAddress } from "./address.ts";
import type { Local } from "./types.ts";

export interface UdpListenerOptions {
  host: string;
  port: number;
  onDatagram(bytes: Uint8Array, from: { address: string; port: number }): void;
  logger: Logger;
}

export class UdpListener {
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly local: Local,
  ) {}

  static bind(opts: UdpListenerOptions): Promise<UdpListener> {
    // node:dgram loaded here, not imported: the compiled binary loads every imported built-in at its start.
    const socket = process.getBuiltinModule("node:dgram").createSocket({ type: isIPv6(opts.host) ? "udp6" : "udp4" });
    return new Promise((resolve, reject) => {
      let bound = false;
      socket.on("error", (err: Error) => {
        if (!bound) {
          socket.close();
          reject(err);
          return;
        }
        opts.logger.warn("sip transport: udp socket error", { error: err.message });
      });
      socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
        try {
          opts.onDatagram(msg, { address: normalizeAddress(rinfo.address), port: rinfo.port });
        } catch (err) {
          opts.logger.error("sip transport: datagram handler threw", { error: String(err) });
        }
      });
      socket.bind(opts.port, opts.host, () => {
        bound = true;
        const a = socket.address();
        resolve(new UdpListener(socket, { transport: "udp", address: normalizeAddress(a.address), port: a.port }));
      });
    });
  }

  get family(): "IPv4" | "IPv6" {
    return isIPv6(this.local.address) ? "IPv6" : "IPv4";
  }

  send(bytes: Uint8Array, address: string, port: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error("udp listener is closed"));
    return new Promise((resolve, reject) => {
      try {
        this.socket.send(bytes, port, address, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err);
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** token characters (RFC 3261 §25.1) that may start a Request-Line or "SIP/2.0". */
function isTokenStart(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x21 || // !
    b === 0x25 || // %
    b === 0x2a || // *
    b === 0x5f || // _
    b === 0x2b || // +
    b === 0x60 || // `
    b === 0x27 || // '
    b === 0x7e // ~
  );
}

export type DatagramVerdict = "message" | "keepalive" | "oversized" | "framing";

/**
 * Size and shape only: over the limit → oversized; only CR/LF → a keep-alive (ignored on UDP);
 * empty or starting (after CRLFs, RFC 3261 §7.5) with a non-token byte — STUN, binary garbage →
 * framing. Everything else goes up to the parser.
 */
export function classifyDatagram(bytes: Uint8Array, maxBytes: number): DatagramVerdict {
  if (bytes.length > maxBytes) return "oversized";
  let i = 0;
  while (i < bytes.length && (bytes[i] === 13 || bytes[i] === 10)) i++;
  if (i === bytes.length) return bytes.length > 0 ? "keepalive" : "framing";
  return isTokenStart(bytes[i] as number) ? "message" : "framing";
}
