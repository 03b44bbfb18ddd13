/**
 * @module sip/rtp/session
 * The media of one call: a UDP socket on an even port of the appliance's RTP range, prompts sent as
 * one continuous RTP stream, and RFC 4733 key presses from the far end. The SIP call code opens a
 * session before it writes its SDP (it needs `local`), calls `setRemote` with the negotiated answer
 * (and `setSrtp` when the SDP keyed SRTP), and closes it with the call.
 *
 * SRTP (srtp-layer.ts): once keyed, every packet we send is protected and every datagram that
 * arrives must authenticate before anything else looks at it; what does not is dropped and counted
 * there. SRTCP sender reports then go out every 5 s (rtcp.ts) on the port above ours, or on ours
 * with rtcp-mux. A plain-RTP call sends and reads no RTCP, as before.
 *
 * The stream itself (SSRC, sequence numbers and timestamps across prompts): outbound.ts; its pacing,
 * shared by all sessions: pacer.ts and ticker.ts; the sockets: udp.ts.
 *
 * Which packets count (symmetric RTP, RFC 4961, with latching): a datagram must parse as RTP and carry
 * the negotiated audio or telephone-event payload type. The first such packet latches the session to
 * its source address and port, whatever they are: the far end may send from another port than the one
 * in its SDP, or sit behind NAT so its SDP holds a private address. From then on packets go to that
 * source and only packets from it are taken; until then they go to the SDP address. Everything else
 * (garbage, RTCP, other payload types, other sources after the latch, anything before `setRemote`) is
 * counted in `ignored`. With SRTP only an authenticated packet may latch: a forged first packet from
 * anywhere cannot take the call's media. A `setRemote` with another address or port (a re-INVITE moving the media)
 * drops the latch; one with the same address and port (a session refresh) keeps it.
 */
import net from "node:net";
import { type Clock, monotonicClock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { type DtmfPress, DtmfReceiver } from "./dtmf.ts";
import { RtpOutbound, type RtpPlayResult } from "./outbound.ts";
import type { G711Codec } from "./pacer.ts";
import { parseRtp, type RtpPacket } from "./packet.ts";
import { normalize, type RtpPortPool, RtpPortsExhaustedError } from "./ports.ts";
import { type SenderInfo, type Srtcp, startSrtcp } from "./rtcp.ts";
import { type SrtpKeying, SrtpLayer, type SrtpStats } from "./srtp-layer.ts";
import { bindUdp, type UdpSocket } from "./udp.ts";

export type { DtmfPress } from "./dtmf.ts";
export type { RtpPlayResult } from "./outbound.ts";
export { RtpPortPool, RtpPortsExhaustedError } from "./ports.ts";
export type { SrtpKeying, SrtpStats } from "./srtp-layer.ts";

/** The far end's media, from the negotiated SDP. */
export interface RtpRemote {
  address: string;
  /** 0 (a refused stream) or an unspecified address (0.0.0.0 or ::, the old way to hold) sends nothing. */
  port: number;
  codec: G711Codec;
  payloadType: number;
  /** The telephone-event payload type, or null when the far end offered none (keys are then not read). */
  dtmfPayloadType: number | null;
}

export interface RtpSessionOptions {
  /** Local address to bind: the VoIP NIC's, IPv4 or IPv6 (a wildcard `::` speaks IPv6 only). */
  bind: string;
  /** Shared by every session of the appliance. */
  ports: RtpPortPool;
  /** DTMF timeouts (a FakeClock in tests). */
  clock: Clock;
  /** Paces the frames; default `monotonicClock`, which wall-clock steps do not disturb. */
  pacingClock?: Clock;
  logger: Logger;
}

export interface RtpSessionStats {
  packetsOut: number;
  /** Accepted packets: the negotiated payload types, from the remote (or the latched source). */
  packetsIn: number;
  digits: number;
  /** Datagrams dropped: not RTP, another payload type, another source, before `setRemote`, or not authenticated (SRTP). */
  ignored: number;
  /** SRTP drops by reason, or null on a plain-RTP call. */
  srtp: SrtpStats | null;
}

type Endpoint = { address: string; port: number };

function isUnspecified(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "";
}

export class RtpSession {
  readonly local: Endpoint;
  /** RFC 4733 key presses from the far end, each reported once. */
  onDigit: ((press: DtmfPress) => void) | undefined;
  /**
   * Accepted audio packets as they arrive (no jitter buffer, no decoding): for answering-machine
   * detection or recording later, and for tests to check what the far end got.
   */
  onAudio: ((packet: RtpPacket) => void) | undefined;

  private readonly log: Logger;
  private readonly out: RtpOutbound;
  private remote: RtpRemote | null = null;
  /** The source of the first accepted packet: where packets go from then on. */
  private source: Endpoint | null = null;
  private receiver: DtmfReceiver | null = null;
  private sendErrors = 0;
  private closing: Promise<void> | null = null;
  private readonly counters: Omit<RtpSessionStats, "srtp"> = { packetsOut: 0, packetsIn: 0, digits: 0, ignored: 0 };
  private octetsOut = 0;
  private srtp: SrtpLayer | null = null;
  private rtcp: Srtcp | null = null;
  /** Bound once, not per packet. */
  private readonly afterSend = (err: Error) => this.sendFailed(err);

  private constructor(
    private readonly opts: RtpSessionOptions,
    private readonly socket: UdpSocket,
  ) {
    this.local = { address: normalize(socket.address), port: socket.port };
    this.out = new RtpOutbound(opts.pacingClock ?? monotonicClock, (bytes) => this.transmit(bytes));
    this.log = opts.logger.child({ rtpPort: socket.port });
    opts.ports.media.opened(this);
    socket.onError = (err) => this.log.warn("rtp: socket error", { error: err.message });
    socket.onMessage = (msg, address, port) => {
      try {
        this.receive(msg, normalize(address), port);
      } catch (err) {
        this.log.error("rtp: packet handler threw", { error: errorMessage(err) });
      }
    };
  }

  /**
   * Binds the next free port of the pool; a port another program holds (EADDRINUSE) is skipped.
   * Throws RtpPortsExhaustedError when none is left, or the bind error for anything else (an address
   * not on this host).
   */
  static async open(opts: RtpSessionOptions): Promise<RtpSession> {
    const type = net.isIPv6(opts.bind.split("%")[0] ?? opts.bind) ? "udp6" : "udp4";
    let busy = 0;
    for (let i = 0; i < opts.ports.capacity; i++) {
      const port = opts.ports.take();
      if (port === null) break;
      try {
        return new RtpSession(opts, await bindUdp(type, opts.bind, port, opts.ports.udp));
      } catch (err) {
        opts.ports.release(port);
        if ((err as { code?: unknown }).code !== "EADDRINUSE") throw err;
        busy++;
      }
    }
    const { first, last, inUse } = opts.ports;
    const why = busy > 0 ? `${inUse} held by calls, ${busy} taken by other programs` : `all ${inUse} held by calls`;
    throw new RtpPortsExhaustedError(`no free RTP port in ${first}–${last} on ${opts.bind}: ${why}`, {
      first,
      last,
      inUse,
      busy,
    });
  }

  /**
   * The negotiated far end (SDP answer, or a re-INVITE). Until the first call nothing is sent and
   * every packet is ignored. A new codec applies from the next `play`.
   */
  setRemote(r: RtpRemote): void {
    if (this.closing) return;
    const address = normalize(r.address);
    const bindV6 = this.socketFamily() === "IPv6";
    if ((net.isIPv4(address) && bindV6) || (net.isIPv6(address) && !bindV6)) {
      throw new RangeError(`RTP remote ${address} is not reachable from a session bound to ${this.local.address}`);
    }
    const prev = this.remote;
    if (!prev || prev.address !== address || prev.port !== r.port) this.source = null;
    this.remote = { ...r, address };
    if (!this.receiver || prev?.dtmfPayloadType !== r.dtmfPayloadType) {
      this.receiver?.dispose();
      this.receiver =
        r.dtmfPayloadType === null
          ? null
          : new DtmfReceiver({
              clock: this.opts.clock,
              payloadType: r.dtmfPayloadType,
              onDigit: (press) => this.digit(press),
            });
    }
  }

  /**
   * Keys SRTP from the offer/answer (null: plain RTP). Called again after a re-INVITE: ours stay,
   * a changed remote key gets a new receive context (SrtpLayer.rekey). From the first call on,
   * SRTCP sender reports go out; a failure to bind the RTCP port only costs the reports.
   */
  setSrtp(k: SrtpKeying | null): void {
    if (this.closing || !k) return;
    if (this.srtp) {
      this.srtp.rekey(k);
      return;
    }
    const srtp = new SrtpLayer(k);
    this.srtp = srtp;
    this.rtcp = startSrtcp({
      srtp,
      rtpSocket: this.socket,
      bind: this.opts.bind,
      rtpPort: this.local.port,
      udp: this.opts.ports.udp,
      clock: this.opts.pacingClock ?? monotonicClock,
      logger: this.log,
      destination: () => this.destination,
      senderInfo: () => this.senderInfo(),
    });
  }

  /** Where packets go now (the latched source or the SDP address); null before `setRemote` or on hold. */
  get destination(): Endpoint | null {
    const to = this.target();
    return to ? { address: to.address, port: to.port } : null;
  }

  /**
   * Plays 8 kHz μ-law (transcoded to A-law on a PCMA call) as 20 ms frames, the last one padded with
   * silence. A running prompt is stopped first. Resolves `stopped: true` if cut short; on a closed
   * session at once with no packets. Rejects before `setRemote`: there is no codec to play in yet.
   */
  async play(ulaw: Uint8Array): Promise<RtpPlayResult> {
    if (this.closing) return { stopped: true, packets: 0 };
    const remote = this.remote;
    if (!remote) throw new Error("RtpSession.play before setRemote: the codec is not negotiated yet");
    return this.out.play(ulaw, remote.codec, remote.payloadType);
  }

  /** Stops the running prompt, if any; its `play` resolves with `stopped: true`. */
  stopPlayback(): void {
    this.out.stopPlayback();
  }

  stats(): RtpSessionStats {
    return { ...this.counters, srtp: this.srtp?.stats() ?? null };
  }

  /** Whether the SDP gave the session a far end: a call with media, for the appliance's counters. */
  get hasMedia(): boolean {
    return this.remote !== null;
  }

  /** Stops playback, drops a half-received key press and frees the port; safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stopPlayback();
    this.receiver?.dispose();
    this.receiver = null;
    this.opts.ports.media.closed(this);
    this.closing = Promise.all([this.socket.close(), this.rtcp?.stop()]).then(() =>
      this.opts.ports.release(this.local.port),
    );
    return this.closing;
  }

  private socketFamily(): "IPv4" | "IPv6" {
    return net.isIPv6(this.local.address.split("%")[0] ?? "") ? "IPv6" : "IPv4";
  }

  /** `destination` without the copy: what the send path reads 50 times a second. */
  private target(): Endpoint | null {
    const r = this.remote;
    if (!r || r.port === 0 || isUnspecified(r.address)) return null;
    return this.source ?? r;
  }

  /** Each packet of the stream: must never throw, or the prompt's promise would reject mid-call. */
  private transmit(bytes: Uint8Array): void {
    const to = this.target();
    if (!to || this.closing) return;
    this.counters.packetsOut++;
    this.octetsOut += bytes.length - 12;
    try {
      const wire = this.srtp ? this.srtp.protectRtp(bytes) : bytes;
      this.socket.send(wire, to.port, to.address, this.afterSend);
    } catch (err) {
      this.sendFailed(err);
    }
  }

  /** Once at warn, then at debug: a dead route would otherwise log 50 lines a second. */
  private sendFailed(err: unknown): void {
    this.sendErrors++;
    const to = this.target();
    const fields = { error: errorMessage(err), to: to ? `${to.address}:${to.port}` : "none", errors: this.sendErrors };
    if (this.sendErrors === 1) this.log.warn("rtp: send failed", fields);
    else this.log.debug("rtp: send failed", fields);
  }

  /** `address` already normalized. No object per packet: the source is compared field by field. */
  private receive(datagram: Uint8Array, address: string, port: number): void {
    const r = this.remote;
    if (!r || this.closing) {
      this.counters.ignored++;
      return;
    }
    // Authentication first: nothing that fails it may latch, play out or press a key.
    const msg = this.srtp ? this.srtp.openRtp(datagram) : datagram;
    if (!msg) {
      this.counters.ignored++;
      return;
    }
    const parsed = parseRtp(msg);
    if (!parsed.ok) {
      this.counters.ignored++;
      return;
    }
    const pt = parsed.packet.payloadType;
    const isDtmf = r.dtmfPayloadType !== null && pt === r.dtmfPayloadType;
    if (pt !== r.payloadType && !isDtmf) {
      this.counters.ignored++;
      return;
    }
    const s = this.source;
    if (!s) this.latch(r, address, port);
    else if (s.address !== address || s.port !== port) {
      this.counters.ignored++;
      return;
    }
    this.counters.packetsIn++;
    if (isDtmf) this.receiver?.receive(parsed.packet);
    else if (this.onAudio) {
      try {
        this.onAudio(parsed.packet);
      } catch (err) {
        this.log.error("rtp: onAudio threw", { error: errorMessage(err) });
      }
    }
  }

  /** What the next sender report says: SSRC, where our RTP timestamp is now, what we sent. */
  private senderInfo(): SenderInfo {
    return {
      ssrc: this.out.ssrc,
      nowMs: Date.now(),
      rtpTimestamp: this.out.rtpTimestampNow(),
      packets: this.counters.packetsOut,
      octets: this.octetsOut,
      cname: `bellhop@${this.local.address}`,
    };
  }

  private latch(r: RtpRemote, address: string, port: number): void {
    this.source = { address, port };
    const fields = { source: `${address}:${port}`, sdp: `${r.address}:${r.port}` };
    if (address !== r.address) this.log.info("rtp: latched to a source other than the SDP address", fields);
    else this.log.debug("rtp: latched", fields);
  }

  private digit(press: DtmfPress): void {
    this.counters.digits++;
    try {
      this.onDigit?.(press);
    } catch (err) {
      this.log.error("rtp: onDigit threw", { error: errorMessage(err), digit: press.digit });
    }
  }
}
