/**
 * @module sip/rtp/udp
 * The UDP sockets of a call's media: RTP, and RTCP on the port above. On Bun they sit straight on
 * `Bun.udpSocket`; elsewhere (Node, Deno) on node:dgram. Bun's node:dgram is itself a layer over
 * Bun.udpSocket which, for every datagram sent, resolves the address (an IP literal too, through
 * option objects and process.nextTick) and makes a request object, a closure, an argument array and
 * three Buffer views: about 750 bytes of garbage a packet, most of what 24 paced streams made, and
 * garbage is what sets off the collector pauses that delay every stream's frames at once (bench
 * (h)). Sent directly, a packet makes none.
 *
 * Both kinds behave alike where the calls can tell: a port taken fails the bind with EADDRINUSE, a
 * datagram the kernel cannot take yet waits in a queue for the socket to drain, a send to a host
 * name resolves it first, and a failed send reports to its own callback and never throws. And the
 * caller may reuse its buffer as soon as `send` returns: Bun's socket hands the bytes to the kernel
 * there and then, and whatever has to wait (the queue, a name being resolved, node:dgram, which
 * keeps the buffer until its callback) gets a copy. So a call builds every packet in one buffer.
 */
import dgram from "node:dgram";
import dns from "node:dns";
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

type Family = "udp4" | "udp6";

/**
 * Binds `address:port` (0: any free port). Rejects with the bind error (its `code`: EADDRINUSE …).
 * `native`: on Bun's own socket (the default there) or on node:dgram; the tests run both.
 */
export function bindUdp(type: Family, address: string, port: number, native = hasBunUdp()): Promise<UdpSocket> {
  return native ? BunUdp.bind(address, port) : DgramUdp.bind(type, address, port);
}

function hasBunUdp(): boolean {
  return typeof (globalThis as { Bun?: { udpSocket?: unknown } }).Bun?.udpSocket === "function";
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

  static async bind(address: string, port: number): Promise<UdpSocket> {
    let self: BunUdp | null = null;
    const socket = await (globalThis as unknown as { Bun: BunUdpApi }).Bun.udpSocket({
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
    dns.lookup(name, { family }, (err, address) => {
      if (err) failed(err);
      else this.send(copy, port, address, failed);
    });
  }
}

class DgramUdp implements UdpSocket {
  onMessage: UdpSocket["onMessage"] = ignore;
  onError: UdpSocket["onError"] = ignore;
  #closing: Promise<void> | null = null;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    socket.on("error", (err: Error) => this.onError(err));
  }

  static bind(type: Family, address: string, port: number): Promise<UdpSocket> {
    const socket = dgram.createSocket({ type, lookup: literalLookup as never });
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
  else dns.lookup(address, options as dns.LookupOptions, cb as never);
}
