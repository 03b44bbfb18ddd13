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
 * The stream: one random SSRC per session; sequence numbers continue across prompts; the timestamp of
 * a prompt's first packet is the previous packet's plus the real time between them, and carries the
 * marker bit (a new talkspurt, RFC 3551 §4.1), so the far end's jitter buffer sees silence, not loss.
 * A prompt never starts within 20 ms of the previous packet: the cadence stays one frame every 20 ms
 * across prompt boundaries.
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
import type dgram from "node:dgram";
import net from "node:net";
import { type Clock, monotonicClock, type TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { type DtmfPress, DtmfReceiver } from "./dtmf.ts";
import { ulawToAlaw } from "./g711.ts";
import { FRAME_MS, FRAME_SAMPLES, type G711Codec, RtpSender } from "./pacer.ts";
import { parseRtp, type RtpPacket } from "./packet.ts";
import { bindSocket, closeSocket, normalize, type RtpPortPool, RtpPortsExhaustedError } from "./ports.ts";
import { type SenderInfo, type Srtcp, startSrtcp } from "./rtcp.ts";
import { type SrtpKeying, SrtpLayer, type SrtpStats } from "./srtp-layer.ts";

export type { DtmfPress } from "./dtmf.ts";
export { RtpPortPool, RtpPortsExhaustedError } from "./ports.ts";
export type { SrtpKeying, SrtpStats } from "./srtp-layer.ts";

const SAMPLES_PER_MS = FRAME_SAMPLES / FRAME_MS;

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

export interface RtpPlayResult {
  /** True when the prompt was cut short: `stopPlayback`, another `play`, or `close`. */
  stopped: boolean;
  packets: number;
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

interface Playback {
  sender: RtpSender | null;
  timer: TimerHandle | undefined;
  wake: (() => void) | null;
  stopped: boolean;
}

function isUnspecified(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "";
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
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

  private readonly pacing: Clock;
  private readonly log: Logger;
  private readonly ssrc = randomUint32();
  private remote: RtpRemote | null = null;
  /** The source of the first accepted packet: where packets go from then on. */
  private source: Endpoint | null = null;
  private receiver: DtmfReceiver | null = null;
  private playback: Playback | null = null;
  private nextSequence = randomUint32() & 0xffff;
  private lastTimestamp = randomUint32();
  /** Pacing-clock time of the last packet sent; null before the first. */
  private lastSentAt: number | null = null;
  private sendErrors = 0;
  private closing: Promise<void> | null = null;
  private readonly counters: Omit<RtpSessionStats, "srtp"> = { packetsOut: 0, packetsIn: 0, digits: 0, ignored: 0 };
  private octetsOut = 0;
  private srtp: SrtpLayer | null = null;
  private rtcp: Srtcp | null = null;

  private constructor(
    private readonly opts: RtpSessionOptions,
    private readonly socket: dgram.Socket,
  ) {
    const a = socket.address();
    this.local = { address: normalize(a.address), port: a.port };
    this.pacing = opts.pacingClock ?? monotonicClock;
    this.log = opts.logger.child({ rtpPort: a.port });
    opts.ports.media.opened(this);
    socket.on("error", (err: Error) => this.log.warn("rtp: socket error", { error: err.message }));
    socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      try {
        this.receive(msg, { address: normalize(rinfo.address), port: rinfo.port });
      } catch (err) {
        this.log.error("rtp: packet handler threw", { error: errorMessage(err) });
      }
    });
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
        return new RtpSession(opts, await bindSocket(type, opts.bind, port));
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
      clock: this.pacing,
      logger: this.log,
      destination: () => this.destination,
      senderInfo: () => this.senderInfo(),
    });
  }

  /** Where packets go now (the latched source or the SDP address); null before `setRemote` or on hold. */
  get destination(): Endpoint | null {
    const r = this.remote;
    if (!r || r.port === 0 || isUnspecified(r.address)) return null;
    return this.source ? { ...this.source } : { address: r.address, port: r.port };
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
    this.stopPlayback();
    const p: Playback = { sender: null, timer: undefined, wake: null, stopped: false };
    this.playback = p;
    const gap = this.lastSentAt === null ? 0 : this.lastSentAt + FRAME_MS - this.pacing.now();
    if (gap > 0) {
      await new Promise<void>((resolve) => {
        p.wake = resolve;
        p.timer = this.pacing.setTimeout(resolve, gap);
      });
      p.wake = null;
      p.timer = undefined;
      if (p.stopped) return { stopped: true, packets: 0 };
    }
    const now = this.pacing.now();
    const timestamp =
      this.lastSentAt === null
        ? this.lastTimestamp
        : this.lastTimestamp + Math.max(FRAME_SAMPLES, Math.round((now - this.lastSentAt) * SAMPLES_PER_MS));
    const sender = new RtpSender({
      clock: this.pacing,
      send: (bytes) => this.transmit(bytes),
      samples: remote.codec === "PCMA" ? ulawToAlaw(ulaw) : ulaw,
      codec: remote.codec,
      payloadType: remote.payloadType,
      ssrc: this.ssrc,
      sequence: this.nextSequence,
      timestamp: timestamp >>> 0,
      marker: true,
    });
    p.sender = sender;
    try {
      return await sender.start();
    } finally {
      if (this.playback === p) this.playback = null;
    }
  }

  /** Stops the running prompt, if any; its `play` resolves with `stopped: true`. */
  stopPlayback(): void {
    const p = this.playback;
    if (!p) return;
    this.playback = null;
    p.stopped = true;
    this.pacing.clearTimeout(p.timer);
    p.wake?.();
    p.sender?.stop();
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
    this.closing = Promise.all([closeSocket(this.socket), this.rtcp?.stop()]).then(() =>
      this.opts.ports.release(this.local.port),
    );
    return this.closing;
  }

  private socketFamily(): "IPv4" | "IPv6" {
    return net.isIPv6(this.local.address.split("%")[0] ?? "") ? "IPv6" : "IPv4";
  }

  /** The pacer's `send`: must never throw, or the prompt's promise would reject mid-call. */
  private transmit(bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.nextSequence = (view.getUint16(2) + 1) & 0xffff;
    this.lastTimestamp = view.getUint32(4);
    this.lastSentAt = this.pacing.now();
    const to = this.destination;
    if (!to || this.closing) return;
    this.counters.packetsOut++;
    this.octetsOut += bytes.length - 12;
    try {
      const wire = this.srtp ? this.srtp.protectRtp(bytes) : bytes;
      this.socket.send(wire, to.port, to.address, (err) => {
        if (err) this.sendFailed(err, to);
      });
    } catch (err) {
      this.sendFailed(err, to);
    }
  }

  /** Once at warn, then at debug: a dead route would otherwise log 50 lines a second. */
  private sendFailed(err: unknown, to: Endpoint): void {
    this.sendErrors++;
    const fields = { error: errorMessage(err), to: `${to.address}:${to.port}`, errors: this.sendErrors };
    if (this.sendErrors === 1) this.log.warn("rtp: send failed", fields);
    else this.log.debug("rtp: send failed", fields);
  }

  private receive(datagram: Uint8Array, from: Endpoint): void {
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
    if (!s) this.latch(r, from);
    else if (s.address !== from.address || s.port !== from.port) {
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
    const elapsed = this.lastSentAt === null ? 0 : this.pacing.now() - this.lastSentAt;
    return {
      ssrc: this.ssrc,
      nowMs: Date.now(),
      rtpTimestamp: this.lastTimestamp + Math.round(elapsed * SAMPLES_PER_MS),
      packets: this.counters.packetsOut,
      octets: this.octetsOut,
      cname: `bellhop@${this.local.address}`,
    };
  }

  private latch(r: RtpRemote, from: Endpoint): void {
    this.source = { ...from };
    const fields = { source: `${from.address}:${from.port}`, sdp: `${r.address}:${r.port}` };
    if (from.address !== r.address) this.log.info("rtp: latched to a source other than the SDP address", fields);
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
