/**
 * @module runtime/udp
 * Media sockets straight on `Bun.udpSocket`, for the SIP core's RTP (sip/rtp/udp.ts keeps node:dgram
 * as its default; main.ts installs this one under Bun). Bun's node:dgram is itself a layer over
 * Bun.udpSocket which, for every datagram sent, resolves the address (an IP literal too, through
 * option objects and process.nextTick) and makes a request object, a closure, an argument array and
 * three Buffer views: about 750 bytes of garbage a packet, most of what 24 paced streams made, and
 * garbage is what sets off the collector pauses that delay every stream's frames at once (bench
 * (h)). Sent directly, a packet makes none.
 *
 * It keeps the contract of sip/rtp/udp.ts: Bun's socket hands the bytes to the kernel within `send`,
 * so the caller may reuse its buffer at once; what has to wait (the drain queue, a host name being
 * resolved) is copied.
 */
import net from "node:net";
import { dgramUdp, type UdpFactory, type UdpSocket } from "../sip/rtp/udp.ts";

/** The opener on Bun, or null on a runtime without `Bun.udpSocket`. */
export function bunUdp(): UdpFactory | null {
  const bun = (globalThis as { Bun?: Partial<BunUdpApi> }).Bun;
  if (typeof bun?.udpSocket !== "function") return null;
  const api = bun as BunUdpApi;
  return (_type, address, port) => BunUdp.bind(api, address, port);
}

/** The best media socket opener of the runtime we run on: Bun's own, else node:dgram. */
export function mediaUdp(): UdpFactory {
  return bunUdp() ?? dgramUdp;
}

const ignore = () => {};

type IoError = Error & { syscall?: string; errqueue?: boolean };

interface Queued {
  bytes: Uint8Array;
  port: number;
  address: string;
  failed: (err: Error) => void;
}

type BunSocket = {
  readonly port: number;
  readonly address: { address: string };
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
};

type BunUdpApi = {
  udpSocket(o: {
    hostname: string;
    port: number;
    socket: {
      data(s: unknown, data: Uint8Array, port: number, address: string): void;
      drain(s: unknown): void;
      error(...args: unknown[]): void;
    };
  }): Promise<BunSocket>;
};

class BunUdp implements UdpSocket {
  onMessage: UdpSocket["onMessage"] = ignore;
  onError: UdpSocket["onError"] = ignore;
  /** Datagrams the kernel did not take (send buffer full), sent on `drain` in order. */
  #queue: Queued[] = [];
  #closed = false;
  /** The last destination found to be an IP literal. */
  #literal = "";

  private constructor(private readonly socket: BunSocket) {}

  static async bind(bun: BunUdpApi, address: string, port: number): Promise<UdpSocket> {
    let self: BunUdp | null = null;
    const socket = await bun.udpSocket({
      hostname: address,
      port,
      socket: {
        data: (_s, data, fromPort, fromAddress) => {
          if (self && !self.#closed) self.onMessage(data, fromAddress, fromPort);
        },
        drain: () => {
          if (self) self.#drain();
        },
        error: (...args) => {
          // Bun passes the error alone, whatever its typings say; take whichever argument it is.
          const err = args.find((a) => a instanceof Error) as IoError | undefined;
          // An ICMP error queued for an earlier send (the far end's port closed): node:dgram drops
          // these on an unconnected socket, and so does this.
          if (!err || (err.syscall === "recv" && err.errqueue === true)) return;
          if (self && !self.#closed) self.onError(err);
        },
      },
    });
    self = new BunUdp(socket);
    return self;
  }

  get address(): string {
    return this.socket.address.address;
  }

  get port(): number {
    return this.socket.port;
  }

  send(bytes: Uint8Array, port: number, address: string, failed: (err: Error) => void): void {
    if (this.#closed) {
      failed(new Error("send on a closed socket"));
      return;
    }
    if (address !== this.#literal) {
      if (net.isIP(address) === 0) {
        this.#resolveThenSend(bytes, port, address, failed);
        return;
      }
      // A call sends to one address 50 times a second: the check runs when it changes.
      this.#literal = address;
    }
    if (this.#queue.length > 0) {
      this.#queue.push({ bytes: bytes.slice(), port, address, failed });
      return;
    }
    try {
      if (!this.socket.send(bytes, port, address)) this.#queue.push({ bytes: bytes.slice(), port, address, failed });
    } catch (err) {
      failed(err as Error);
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      const dropped = this.#queue;
      this.#queue = [];
      this.socket.close();
      for (const q of dropped) q.failed(new Error("socket closed before the datagram was sent"));
    }
    return Promise.resolve();
  }

  #drain(): void {
    const q = this.#queue;
    let i = 0;
    for (; i < q.length && !this.#closed; i++) {
      const { bytes, port, address, failed } = q[i] as Queued;
      try {
        if (!this.socket.send(bytes, port, address)) break;
      } catch (err) {
        failed(err as Error);
      }
    }
    q.splice(0, i);
  }

  /** Bun's socket takes literals only; node:dgram resolved names for every datagram, and so does this. */
  #resolveThenSend(bytes: Uint8Array, port: number, name: string, failed: (err: Error) => void): void {
    const family = net.isIPv6(this.address.split("%")[0] ?? "") ? 6 : 4;
    const copy = bytes.slice();
    // node:dns loaded here, not imported: the compiled binary loads every imported built-in at its start.
    process.getBuiltinModule("node:dns").lookup(name, { family }, (err, address) => {
      if (err) failed(err);
      else this.send(copy, port, address, failed);
    });
  }
}
