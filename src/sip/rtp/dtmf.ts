/**
 * @module dtmf
 * RFC 4733 telephone-events (DTMF): the 4-byte event payload, a receiver that turns a stream of
 * event packets into key presses exactly once each, and a builder of the packets of one press.
 *
 * One press is every packet with the same SSRC and RTP timestamp: the non-end packets sent while the
 * key is held and the (usually three) redundant end packets. A press is reported when its first end
 * packet arrives; if all its end packets were lost, when a packet with a new timestamp arrives or
 * when nothing more of it arrived for `timeoutMs`.
 */

import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { buildRtp, type RtpPacket } from "./packet.ts";

/** Event codes 0–15 in order (RFC 4733 §3.2). */
export const DTMF_DIGITS = "0123456789*#ABCD";

export type DtmfDigit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "*" | "#" | "A" | "B" | "C" | "D";

export interface TelephoneEvent {
  /** Event code 0–255. */
  event: number;
  /** The DTMF key for codes 0–15, else null (other tones). */
  digit: DtmfDigit | null;
  end: boolean;
  /** Power level in −dBm0, 0–63. */
  volume: number;
  /** Duration so far, in timestamp units. */
  duration: number;
}

export type TelephoneEventParse = { ok: true; event: TelephoneEvent } | { ok: false; reason: string };

export function digitOfEvent(event: number): DtmfDigit | null {
  return event >= 0 && event < 16 ? (DTMF_DIGITS[event] as DtmfDigit) : null;
}

export function eventOfDigit(digit: string): number | null {
  if (digit.length !== 1) return null;
  const i = DTMF_DIGITS.indexOf(digit.toUpperCase());
  return i < 0 ? null : i;
}

/** Parses the first event block of a telephone-event payload; never throws. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventParse {
  if (payload.length < 4) return { ok: false, reason: `payload of ${payload.length} bytes, an event needs 4` };
  const event = payload[0];
  return {
    ok: true,
    event: {
      event,
      digit: digitOfEvent(event),
      end: (payload[1] & 0x80) !== 0,
      volume: payload[1] & 0x3f,
      duration: (payload[2] << 8) | payload[3],
    },
  };
}

export function buildTelephoneEvent(e: { event: number; end: boolean; volume: number; duration: number }): Uint8Array {
  return Uint8Array.of(
    e.event & 0xff,
    (e.end ? 0x80 : 0) | (e.volume & 0x3f),
    (e.duration >> 8) & 0xff,
    e.duration & 0xff,
  );
}

export interface DtmfPress {
  digit: DtmfDigit;
  event: number;
  ssrc: number;
  timestamp: number;
  /** Longest duration seen, in milliseconds. */
  durationMs: number;
  volume: number;
  /** How the press was closed: its end packet, a newer press, the timeout, or `flush()`. */
  closedBy: "end" | "next" | "timeout" | "flush";
}

export interface DtmfReceiverOptions {
  clock: Clock;
  onDigit: (press: DtmfPress) => void;
  /** Only packets of this payload type are looked at (the negotiated telephone-event PT). */
  payloadType?: number;
  /** A press with no end packet is closed this long after its last packet. Default 1000 ms. */
  timeoutMs?: number;
  /** Timestamp clock rate. Default 8000. */
  clockRate?: number;
}

interface Current {
  ssrc: number;
  timestamp: number;
  event: number;
  duration: number;
  volume: number;
  timer: TimerHandle | undefined;
}

const REMEMBERED = 16;

export class DtmfReceiver {
  private current: Current | null = null;
  /** Presses already reported, `ssrc:timestamp`, so late redundant packets are ignored. */
  private finished: string[] = [];
  private readonly timeoutMs: number;
  private readonly clockRate: number;

  constructor(private readonly opts: DtmfReceiverOptions) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.clockRate = opts.clockRate ?? 8000;
  }

  /** Feeds one received RTP packet; packets of another payload type or not DTMF are ignored. */
  receive(packet: RtpPacket): void {
    if (this.opts.payloadType !== undefined && packet.payloadType !== this.opts.payloadType) return;
    const parsed = parseTelephoneEvent(packet.payload);
    if (!parsed.ok) return;
    this.receiveEvent(parsed.event, packet.timestamp, packet.ssrc);
  }

  /** Feeds one parsed event with its packet's RTP timestamp and SSRC. */
  receiveEvent(ev: TelephoneEvent, timestamp: number, ssrc = 0): void {
    if (ev.digit === null) return;
    const key = `${ssrc >>> 0}:${timestamp >>> 0}`;
    if (this.finished.includes(key)) return;
    let cur = this.current;
    if (cur && (cur.ssrc !== ssrc >>> 0 || cur.timestamp !== timestamp >>> 0)) {
      this.close("next");
      cur = null;
    }
    if (!cur) {
      cur = {
        ssrc: ssrc >>> 0,
        timestamp: timestamp >>> 0,
        event: ev.event,
        duration: 0,
        volume: ev.volume,
        timer: undefined,
      };
      this.current = cur;
    }
    if (ev.duration > cur.duration) cur.duration = ev.duration;
    if (ev.end) {
      this.close("end");
      return;
    }
    this.opts.clock.clearTimeout(cur.timer);
    cur.timer = this.opts.clock.setTimeout(() => {
      if (this.current === cur) this.close("timeout");
    }, this.timeoutMs);
  }

  /** Reports a press still open (no end packet yet), e.g. when the call ends. */
  flush(): void {
    this.close("flush");
  }

  /** Drops any open press without reporting it and cancels its timer. */
  dispose(): void {
    if (this.current) this.opts.clock.clearTimeout(this.current.timer);
    this.current = null;
  }

  private close(closedBy: DtmfPress["closedBy"]): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    this.opts.clock.clearTimeout(cur.timer);
    this.finished.push(`${cur.ssrc}:${cur.timestamp}`);
    if (this.finished.length > REMEMBERED) this.finished.shift();
    this.opts.onDigit({
      digit: digitOfEvent(cur.event) as DtmfDigit,
      event: cur.event,
      ssrc: cur.ssrc,
      timestamp: cur.timestamp,
      durationMs: Math.round((cur.duration * 1000) / this.clockRate),
      volume: cur.volume,
      closedBy,
    });
  }
}

export interface DtmfBuildOptions {
  pt: number;
  ssrc: number;
  /** Sequence number of the first packet; each packet takes the next. */
  seq: number;
  /** RTP timestamp shared by every packet of the press. */
  timestamp: number;
  durationMs: number;
  /** Spacing of the non-end packets. Default 50 ms. */
  intervalMs?: number;
  /** Redundant end packets. Default 3. */
  endPackets?: number;
  /** −dBm0. Default 10. */
  volume?: number;
  clockRate?: number;
}

/**
 * The RTP packets of one key press: a non-end packet every `intervalMs` while held (the first with
 * the marker bit), then `endPackets` end packets carrying the full duration.
 */
export function buildDtmfPackets(digit: string, o: DtmfBuildOptions): Uint8Array[] {
  const event = eventOfDigit(digit);
  if (event === null) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const interval = o.intervalMs ?? 50;
  const ends = o.endPackets ?? 3;
  const volume = o.volume ?? 10;
  const perMs = (o.clockRate ?? 8000) / 1000;
  const total = Math.min(0xffff, Math.round(o.durationMs * perMs));
  const events: { end: boolean; duration: number }[] = [];
  for (let ms = interval; ms < o.durationMs; ms += interval) events.push({ end: false, duration: ms * perMs });
  for (let i = 0; i < ends; i++) events.push({ end: true, duration: total });
  return events.map((e, i) =>
    buildRtp(
      { marker: i === 0, payloadType: o.pt, sequence: (o.seq + i) & 0xffff, timestamp: o.timestamp, ssrc: o.ssrc },
      buildTelephoneEvent({ event, end: e.end, volume, duration: Math.min(0xffff, Math.round(e.duration)) }),
    ),
  );
}
