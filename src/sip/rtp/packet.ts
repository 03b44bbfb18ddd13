/**
 * @module packet
 * RTP fixed header (RFC 3550 §5.1) build and parse. Parsing never throws: malformed input comes back
 * as `{ ok: false, reason }`. A header extension (§5.3.1) is skipped; padding (§5.1) is removed.
 */

export const RTP_HEADER_SIZE = 12;

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** 32-bit timestamp. */
  timestamp: number;
  /** 32-bit synchronisation source. */
  ssrc: number;
  csrcs: readonly number[];
}

export interface RtpPacket extends RtpHeader {
  version: 2;
  /** Whether the packet carried padding (already stripped from `payload`). */
  padding: boolean;
  /** Whether the packet carried a header extension (skipped). */
  extension: boolean;
  payload: Uint8Array;
}

export type RtpParseFailure =
  | "too-short"
  | "bad-version"
  | "csrc-overflow"
  | "extension-overflow"
  | "bad-padding"
  | "rtcp";

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: RtpParseFailure; detail: string };

export interface RtpBuildInput {
  marker?: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  /** Header extension to emit: `data.length` must be a multiple of 4. */
  extension?: { profile: number; data: Uint8Array };
  /** Padding bytes to append (1–255), the last of which holds the count. */
  padding?: number;
}

/** Serialises an RTP packet (version 2). Throws on out-of-range fields: a programming error. */
export function buildRtp(h: RtpBuildInput, payload: Uint8Array): Uint8Array {
  const csrcs = h.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError("RTP: at most 15 CSRCs");
  if (!Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 127) {
    throw new RangeError(`RTP: payload type ${h.payloadType} out of range`);
  }
  const pad = h.padding ?? 0;
  if (!Number.isInteger(pad) || pad < 0 || pad > 255) throw new RangeError("RTP: padding must be 0–255");
  const ext = h.extension;
  if (ext && ext.data.length % 4 !== 0) throw new RangeError("RTP: extension data must be a multiple of 4 bytes");
  const extSize = ext ? 4 + ext.data.length : 0;
  const headerSize = RTP_HEADER_SIZE + 4 * csrcs.length + extSize;
  const out = new Uint8Array(headerSize + payload.length + pad);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  out[1] = (h.marker ? 0x80 : 0) | h.payloadType;
  view.setUint16(2, h.sequence & 0xffff);
  view.setUint32(4, h.timestamp >>> 0);
  view.setUint32(8, h.ssrc >>> 0);
  let at = RTP_HEADER_SIZE;
  for (const c of csrcs) {
    view.setUint32(at, c >>> 0);
    at += 4;
  }
  if (ext) {
    view.setUint16(at, ext.profile & 0xffff);
    view.setUint16(at + 2, ext.data.length / 4);
    out.set(ext.data, at + 4);
    at += extSize;
  }
  out.set(payload, at);
  if (pad > 0) out[out.length - 1] = pad;
  return out;
}

/** The CSRC list of the usual packet, shared. */
const NO_CSRCS: readonly number[] = Object.freeze([]);

function u32(p: Uint8Array, at: number): number {
  return (
    (((p[at] as number) << 24) |
      ((p[at + 1] as number) << 16) |
      ((p[at + 2] as number) << 8) |
      (p[at + 3] as number)) >>>
    0
  );
}

function fail(reason: RtpParseFailure, detail: string): RtpParseResult {
  return { ok: false, reason, detail };
}

/** Parses an RTP packet; the payload is a view into `bytes` (no copy). */
export function parseRtp(bytes: Uint8Array): RtpParseResult {
  if (!(bytes instanceof Uint8Array)) return fail("too-short", "not a byte array");
  const len = bytes.length;
  if (len < RTP_HEADER_SIZE) return fail("too-short", `${len} bytes, the fixed header needs 12`);
  const b0 = bytes[0];
  const version = b0 >> 6;
  if (version !== 2) return fail("bad-version", `version ${version}`);
  const b1 = bytes[1];
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return fail("rtcp", `packet type ${b1} is RTCP (RFC 5761)`);
  // Byte reads, not a DataView: every packet that arrives goes through here, and a view (on Bun,
  // with the typed array's buffer it makes) is garbage for each.
  const cc = b0 & 0x0f;
  let at = RTP_HEADER_SIZE + 4 * cc;
  if (at > len) return fail("csrc-overflow", `${cc} CSRCs need ${at} bytes, packet has ${len}`);
  let csrcs: readonly number[] = NO_CSRCS;
  if (cc > 0) {
    const list: number[] = [];
    for (let i = 0; i < cc; i++) list.push(u32(bytes, RTP_HEADER_SIZE + 4 * i));
    csrcs = list;
  }
  const extension = (b0 & 0x10) !== 0;
  if (extension) {
    if (at + 4 > len) return fail("extension-overflow", "extension header cut off");
    const words = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    at += 4 + 4 * words;
    if (at > len) return fail("extension-overflow", `extension of ${words} words runs past the packet`);
  }
  const padding = (b0 & 0x20) !== 0;
  let end = len;
  if (padding) {
    const pad = bytes[len - 1];
    if (pad === 0 || pad > len - at) {
      return fail("bad-padding", `padding count ${pad} with ${len - at} bytes after the header`);
    }
    end = len - pad;
  }
  return {
    ok: true,
    packet: {
      version: 2,
      padding,
      extension,
      marker: (b1 & 0x80) !== 0,
      payloadType,
      sequence: ((bytes[2] as number) << 8) | (bytes[3] as number),
      timestamp: u32(bytes, 4),
      ssrc: u32(bytes, 8),
      csrcs,
      payload: bytes.subarray(at, end),
    },
  };
}
