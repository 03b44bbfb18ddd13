/**
 * @module sip/rtp/rtcp
 * SRTCP sender reports for an SRTP call: every 5 s a compound SR + SDES CNAME (RFC 3550 §6.1),
 * protected, on the RTP port + 1 — or on the RTP port itself when the offer asked for rtcp-mux.
 * Some SBCs end calls whose RTCP stays silent. What arrives on the RTCP port is only authenticated
 * and counted (the SRTP layer's counters); nothing in it changes the call.
 */
import net from "node:net";
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { SrtpLayer } from "./srtp-layer.ts";
import { bindUdp, type UdpFactory, type UdpSocket } from "./udp.ts";

export const RTCP_INTERVAL_MS = 5000;

/** Seconds from 1900 to 1970 (NTP epoch to Unix epoch). */
const NTP_OFFSET = 2_208_988_800;

export interface SenderInfo {
  ssrc: number;
  /** Wall-clock milliseconds since the Unix epoch. */
  nowMs: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
  cname: string;
}

/** SR (PT 200, no report blocks: we take no statistics of what we receive) followed by SDES CNAME. */
export function senderReport(s: SenderInfo): Uint8Array {
  const cname = new TextEncoder().encode(s.cname.slice(0, 255));
  // SDES chunk: SSRC, CNAME item (type 1, length, text), a zero octet ending the items, padded to 32 bits.
  const chunk = 4 + 2 + cname.length + 1;
  const sdesLen = 4 + Math.ceil(chunk / 4) * 4;
  const out = new Uint8Array(28 + sdesLen);
  const v = new DataView(out.buffer);
  v.setUint8(0, 0x80);
  v.setUint8(1, 200);
  v.setUint16(2, 28 / 4 - 1);
  v.setUint32(4, s.ssrc >>> 0);
  const secs = Math.floor(s.nowMs / 1000) + NTP_OFFSET;
  v.setUint32(8, secs >>> 0);
  v.setUint32(12, Math.floor(((s.nowMs % 1000) / 1000) * 2 ** 32) >>> 0);
  v.setUint32(16, s.rtpTimestamp >>> 0);
  v.setUint32(20, s.packets >>> 0);
  v.setUint32(24, s.octets >>> 0);
  v.setUint8(28, 0x81); // one chunk
  v.setUint8(29, 202);
  v.setUint16(30, sdesLen / 4 - 1);
  v.setUint32(32, s.ssrc >>> 0);
  v.setUint8(36, 1);
  v.setUint8(37, cname.length);
  out.set(cname, 38);
  return out;
}

export interface RtcpSenderOptions {
  clock: Clock;
  /** The report to send now, already protected; null when there is nowhere to send (hold, no remote). */
  report: () => Uint8Array | null;
  socket: UdpSocket;
  /** Where RTCP goes now. */
  destination: () => { address: string; port: number } | null;
  onError: (err: unknown) => void;
}

/** Sends a report every `RTCP_INTERVAL_MS` until stopped; the first one an interval after start. */
export class RtcpSender {
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(private readonly o: RtcpSenderOptions) {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.o.clock.clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.o.clock.setTimeout(() => {
      this.#send();
      this.#schedule();
    }, RTCP_INTERVAL_MS);
  }

  #send(): void {
    const to = this.o.destination();
    if (!to) return;
    try {
      const bytes = this.o.report();
      if (!bytes) return;
      this.o.socket.send(bytes, to.port, to.address, this.o.onError);
    } catch (err) {
      this.o.onError(err);
    }
  }
}

export interface SrtcpOptions {
  srtp: SrtpLayer;
  /** The call's RTP socket: RTCP rides on it with rtcp-mux. */
  rtpSocket: UdpSocket;
  bind: string;
  rtpPort: number;
  /** Opens the RTCP socket; undefined: the process's default (udp.ts). */
  udp?: UdpFactory | undefined;
  clock: Clock;
  logger: Logger;
  /** Where RTP goes now (latched source or SDP address); RTCP goes to its port + 1 unless muxed. */
  destination: () => { address: string; port: number } | null;
  senderInfo: () => SenderInfo;
}

/** A call's SRTCP: the reports it sends and, without rtcp-mux, the socket on RTP + 1 it reads. */
export interface Srtcp {
  stop(): Promise<void>;
}

/**
 * Starts SRTCP for a keyed call. Without rtcp-mux the port above the RTP port is bound in the
 * background; if another program holds it the call goes on without reports (logged once).
 */
export function startSrtcp(o: SrtcpOptions): Srtcp {
  let sender: RtcpSender | null = null;
  let socket: UdpSocket | null = null;
  let stopped = false;
  const start = (s: UdpSocket, mux: boolean) => {
    sender = new RtcpSender({
      clock: o.clock,
      socket: s,
      destination: () => {
        const to = o.destination();
        return to && !mux ? { address: to.address, port: to.port + 1 } : to;
      },
      report: () => o.srtp.protectRtcp(senderReport(o.senderInfo())),
      onError: (err) => o.logger.debug("rtcp: send failed", { error: errorMessage(err) }),
    });
  };
  if (o.srtp.rtcpMux) start(o.rtpSocket, true);
  else {
    const type = net.isIPv6(o.bind.split("%")[0] ?? o.bind) ? "udp6" : "udp4";
    bindUdp(type, o.bind, o.rtpPort + 1, o.udp).then(
      (s) => {
        if (stopped) return void s.close();
        socket = s;
        s.onError = (err) => o.logger.warn("rtcp: socket error", { error: err.message });
        // Read only to authenticate and count: a report changes nothing in the call.
        s.onMessage = (msg) => o.srtp.openRtcp(msg);
        start(s, false);
      },
      (err) =>
        o.logger.warn("rtcp: port not bound, no SRTCP reports on this call", {
          port: o.rtpPort + 1,
          error: errorMessage(err),
        }),
    );
  }
  return {
    async stop() {
      stopped = true;
      (sender as RtcpSender | null)?.stop();
      if (socket) await (socket as UdpSocket).close();
    },
  };
}
