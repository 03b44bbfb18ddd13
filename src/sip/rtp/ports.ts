/**
 * @module sip/rtp/ports
 * The appliance's RTP port range, shared by every call.
 */
import net from "node:net";
import { AppError } from "../../lib/errors.ts";
import { MediaTally } from "./media-tally.ts";
import type { UdpFactory } from "./udp.ts";

/** No port of the range could be bound: all taken by live sessions or by other programs. */
export class RtpPortsExhaustedError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super("UNAVAILABLE", message, details);
    this.name = "RtpPortsExhaustedError";
  }
}

/**
 * The even ports of `min…max`, handed out round-robin rather than lowest-free, so a port just freed
 * is the last to be reused and stray packets of a finished call do not land in the next one.
 */
export class RtpPortPool {
  readonly first: number;
  readonly last: number;
  /** The media counters of every session on this range: the pool is the one thing they all share. */
  readonly media = new MediaTally();
  /** Opens the sessions' sockets; undefined: the process's default (udp.ts). */
  readonly udp: UdpFactory | undefined;
  private readonly taken = new Set<number>();
  private cursor = 0;

  /** `udp`: how the sessions on this range open their sockets (default: udp.ts's default opener). */
  constructor(min: number, max: number, options: { udp?: UdpFactory } = {}) {
    this.udp = options.udp;
    for (const [name, p] of [
      ["min", min],
      ["max", max],
    ] as const) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`RTP port ${name} ${p} is not a port`);
    }
    this.first = min + (min % 2);
    this.last = max - (max % 2);
    if (this.first > this.last) throw new RangeError(`RTP port range ${min}–${max} holds no even port`);
  }

  /** How many ports the range holds. */
  get capacity(): number {
    return (this.last - this.first) / 2 + 1;
  }

  /** Ports held by live sessions. */
  get inUse(): number {
    return this.taken.size;
  }

  /** Reserves the next free port after the last one handed out; null when every port is held. For RtpSession. */
  take(): number | null {
    const n = this.capacity;
    for (let i = 0; i < n; i++) {
      const k = (this.cursor + i) % n;
      const port = this.first + 2 * k;
      if (this.taken.has(port)) continue;
      this.cursor = (k + 1) % n;
      this.taken.add(port);
      return port;
    }
    return null;
  }

  /** Gives a port back. For RtpSession. */
  release(port: number): void {
    this.taken.delete(port);
  }
}

/** "::ffff:10.0.0.1" → "10.0.0.1", IPv6 lower-cased, so the SDP and the socket spell addresses alike. */
export function normalize(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith("::ffff:") && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}
