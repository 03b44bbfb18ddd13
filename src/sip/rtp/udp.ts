/**
 * @module sip/rtp/udp
 * The UDP sockets of a call's media: RTP, and RTCP on the port above. The SIP core opens them on
 * node:dgram; a runtime with a cheaper socket supplies its own opener (`UdpFactory`), per port pool
 * or for the whole process (`setDefaultUdpFactory`): under Bun, main.ts installs runtime/udp.ts, which
 * sits straight on Bun's own UDP socket, because Bun's node:dgram makes ~750 bytes of garbage a datagram
 * and garbage is what sets off the collector pauses that delay every stream's frames at once (bench
 * (h)).
 *
 * Every opener must behave alike where the calls can tell: a port taken fails the bind with
 * EADDRINUSE, a datagram the kernel cannot take yet waits in a queue for the socket to drain, a send
 * to a host name resolves it first, and a failed send reports to its own callback and never throws.
 * And the caller may reuse its buffer as soon as `send` returns: whatever has to wait (a queue, a
 * name being resolved, node:dgram, which keeps the buffer until its callback) gets a copy. So a call
 * builds every packet in one buffer.
 */
import type dgram from "node:dgram";
import type dns from "node:dns";
import net from "node:net";

export interface UdpSocket {
  /** The bound address, as the socket reports it. */
  readonly address: string;
  readonly port: number;
  /** Each datagram and its source. */
  onMessage: (msg: Uint8Array, address: string, port: number) => void;
  /** A socket error (not a failed send: that goes to the send's own callback). */
  onError: (err: Error) => void;
  /**
   * Sends one datagram; a failure, now or later, goes to `failed`. Never throws. `bytes` is read
   * before this returns (or copied): the caller may overwrite it at once.
   */
  send(bytes: Uint8Array, port: number, address: string, failed: (err: Error) => void): void;
  /** Closes the socket; nothing is delivered after. Safe to call twice. */
  close(): Promise<void>;
}

export type UdpFamily = "udp4" | "udp6";

/**
 * Binds `address:port` (0: any free port). Rejects with the bind error (its `code`: EADDRINUSE …).
 */
export type UdpFactory = (type: UdpFamily, address: string, port: number) => Promise<UdpSocket>;

/** node:dgram: the opener on every runtime unless one is installed. */
export const dgramUdp: UdpFactory = (type, address, port) => DgramUdp.bind(type, address, port);

let defaultFactory: UdpFactory = dgramUdp;

/** The opener used where none is given (the composition root installs the runtime's, once). */
export function setDefaultUdpFactory(factory: UdpFactory): void {
  defaultFactory = factory;
}

/** Binds with `factory`, or the process's default opener. */
export function bindUdp(type: UdpFamily, address: string, port: number, factory?: UdpFactory): Promise<UdpSocket> {
  return (factory ?? defaultFactory)(type, address, port);
}

const ignore = () => {};

class DgramUdp implements UdpSocket {
  onMessage: UdpSocket["onMessage"] = ignore;
  onError: UdpSocket["onError"] = ignore;
  #closing: Promise<void> | null = null;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    socket.on("error", (err: Error) => this.onError(err));
  }

  static bind(type: UdpFamily, address: string, port: number): Promise<UdpSocket> {
    // node:dgram loaded here, not imported: the compiled binary loads every imported built-in at its
    // start (Bun's media sockets do without it).
    const socket = process.getBuiltinModule("node:dgram").createSocket({ type, lookup: literalLookup as never });
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => {
        try {
          socket.close();
        } catch {
          // Never bound: nothing to close.
        }
        reject(err);
      };
      socket.once("error", failed);
      socket.bind(port, address, () => {
        socket.off("error", failed);
        resolve(new DgramUdp(socket));
      });
    });
  }

  get address(): string {
    return this.socket.address().address;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Uint8Array, port: number, address: string, failed: (err: Error) => void): void {
    try {
      this.socket.send(bytes.slice(), port, address, (err) => {
        if (err) failed(err);
      });
    } catch (err) {
      failed(err as Error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closing;
  }
}

/**
 * dgram resolves the destination of every datagram, and the default resolver answers even an IP
 * literal through option objects and process.nextTick. Media goes to literals (SDP addresses,
 * latched sources): answered here at once; a name still goes to the resolver.
 */
function literalLookup(
  address: string,
  options: number | dns.LookupOptions,
  cb: (err: Error | null, address: string, family: number) => void,
): void {
  const family = net.isIP(address);
  if (family !== 0) cb(null, address, family);
  else process.getBuiltinModule("node:dns").lookup(address, options as dns.LookupOptions, cb as never);
}
