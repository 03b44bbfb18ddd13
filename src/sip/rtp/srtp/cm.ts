/**
 * @module sip/rtp/srtp/cm
 * AES-CM encryption (RFC 3711 §4.1.1) and HMAC-SHA1 tags (§4.2.1) for one set of session keys,
 * built to make little garbage per packet: 24 streams paced together all feel the GC pauses that
 * per-packet cipher objects, IVs and intermediate buffers cause (bench (h)).
 *
 * The keystream comes from one `aes-*-ecb` cipher kept for the context's life: the counter blocks
 * IV, IV+1, … are written into a reused scratch buffer and encrypted in one `update`, which is what
 * AES-CTR computes (a CTR cipher object cannot be reused: its IV is fixed at creation). ECB without
 * padding keeps no state between whole blocks, so every call stands alone.
 *
 * `update` returns a new Buffer each call (~475 octets of garbage for one RTP frame on Bun). Once
 * a stream is seen going in sequence — what we send always does, what arrives mostly — one
 * `update` computes the keystream of the next `AHEAD` packets too, and they take their share from
 * it. The keystream depends on SSRC and index only, so a packet out of order or of another size
 * just computes its own. Keystream is only computed for a packet that authenticated or that we
 * protect, as before; the few packets' worth held ahead are as secret as the keys next to them.
 *
 * The tag is HMAC-SHA1 in plain JS from precomputed pad states (`HmacSha1` below), making no garbage.
 * node:crypto offers no cheaper way: `Hmac` has no `copy()` on Bun, Node or Deno, and cloning SHA-1
 * states keyed with the RFC 2104 pads (`Hash.copy()`) makes two hash objects and two digests per
 * packet, more than `createHmac`'s one of each.
 */
import { type Cipheriv, createCipheriv } from "node:crypto";
import { cmIvInto, type SessionKeys } from "./kdf.ts";

const BLOCK = 16;
/** Packets whose keystream one `update` computes for a stream going in sequence. */
const AHEAD = 8;

export class AesCmHmac {
  readonly #ecb: Cipheriv;
  readonly #hmac: HmacSha1;
  readonly #salt: Uint8Array;
  readonly #iv = new Uint8Array(BLOCK);
  /** Counter blocks for the packets at hand; grown to the largest batch seen. */
  #blocks = new Uint8Array(BLOCK * 16);
  /** `#blocks` trimmed to the last batch's length (RTP frames are all one size). */
  #view = this.#blocks.subarray(0, 0);
  /** Keystream of packets (`#aheadSsrc`, `#aheadIndex` + k), k < `#aheadCount`, `#stride` octets each. */
  #ahead: Uint8Array | null = null;
  #aheadSsrc = 0;
  #aheadIndex = 0;
  #aheadCount = 0;
  #stride = 0;
  /** The previous packet, to see a stream going in sequence. */
  #lastSsrc = -1;
  #lastIndex = -1;

  constructor(keys: SessionKeys) {
    this.#ecb = createCipheriv(`aes-${keys.key.length * 8}-ecb`, keys.key, null);
    this.#ecb.setAutoPadding(false);
    this.#salt = keys.salt;
    this.#hmac = new HmacSha1(keys.auth);
  }

  /** XORs `buf[start, end)` with the keystream of (SSRC, index), in place: encrypts and decrypts alike. */
  xor(ssrc: number, index: number, buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    const size = Math.ceil(n / BLOCK) * BLOCK;
    const inSequence = ssrc === this.#lastSsrc && index === this.#lastIndex + 1;
    this.#lastSsrc = ssrc;
    this.#lastIndex = index;
    const k = index - this.#aheadIndex;
    let ks: Uint8Array;
    let at = 0;
    if (this.#ahead && ssrc === this.#aheadSsrc && k >= 0 && k < this.#aheadCount && size <= this.#stride) {
      ks = this.#ahead;
      at = k * this.#stride;
    } else {
      const count = inSequence ? AHEAD : 1;
      ks = this.#keystream(ssrc, index, size, count);
      this.#ahead = count > 1 ? ks : null;
      this.#aheadSsrc = ssrc;
      this.#aheadIndex = index;
      this.#aheadCount = count;
      this.#stride = size;
    }
    for (let i = 0; i < n; i++) buf[start + i] ^= ks[at + i] as number;
  }

  /** The keystream of packets (ssrc, index + p), p < count, `size` octets each, in one `update`. */
  #keystream(ssrc: number, index: number, size: number, count: number): Uint8Array {
    const total = size * count;
    if (this.#blocks.length < total) {
      this.#blocks = new Uint8Array(total);
      this.#view = this.#blocks.subarray(0, 0);
    }
    const b = this.#blocks;
    const iv = this.#iv;
    for (let p = 0; p < count; p++) {
      const o = p * size;
      // The IV's last two octets are zero (the salt is shifted by 16 bits), and a datagram is under
      // 2^16 blocks, so IV + j only ever sets those two octets: no carry.
      cmIvInto(iv, this.#salt, ssrc, index + p);
      b.set(iv, o);
      for (let j = 1; j < size / BLOCK; j++) {
        const q = o + j * BLOCK;
        b.copyWithin(q, o, o + BLOCK - 2);
        b[q + 14] = j >>> 8;
        b[q + 15] = j & 0xff;
      }
    }
    if (this.#view.length !== total) this.#view = b.subarray(0, total);
    return this.#ecb.update(this.#view);
  }

  /**
   * HMAC-SHA1 over `data[0, n)` ‖ ROC (RTP) or that alone (RTCP: the index is inside it), 20 octets
   * in a buffer the next call reuses: read it before then. A length rather than a subarray: no view
   * object per packet.
   */
  tag(data: Uint8Array, n: number, roc: number | null): Uint8Array {
    return this.#hmac.mac(data, n, roc);
  }
}

/**
 * HMAC-SHA1 (RFC 2104, FIPS 180-4) for one key, in plain JS over reused state: node:crypto's
 * `createHmac` costs about a kilobyte of garbage per call on Bun, the largest share of a packet's.
 * The hash states after the key ⊕ ipad and key ⊕ opad blocks are computed once. The 20-octet result
 * is written into a buffer that the next call overwrites.
 */
class HmacSha1 {
  readonly #inner = new Int32Array(5);
  readonly #outer = new Int32Array(5);
  readonly #h = new Int32Array(5);
  readonly #w = new Int32Array(80);
  /** The message's last partial block, ROC and padding: at most two blocks. */
  readonly #tail = new Uint8Array(128);
  readonly #digest = new Uint8Array(20);

  /** `key`: at most 64 octets (SRTP's is 20). */
  constructor(key: Uint8Array) {
    const pad = new Uint8Array(64);
    for (const [state, byte] of [
      [this.#inner, 0x36],
      [this.#outer, 0x5c],
    ] as const) {
      pad.fill(byte);
      for (let i = 0; i < key.length; i++) pad[i] = key[i] ^ byte;
      state.set(SHA1_INIT);
      this.#block(state, pad, 0);
    }
    pad.fill(0);
  }

  /** HMAC over `data[0, n)` ‖ (ROC as 4 octets BE, if not null). */
  mac(data: Uint8Array, n: number, roc: number | null): Uint8Array {
    const h = this.#h;
    h.set(this.#inner);
    const full = n - (n % 64);
    for (let at = 0; at < full; at += 64) this.#block(h, data, at);
    const t = this.#tail;
    let k = 0;
    for (let i = full; i < n; i++) t[k++] = data[i];
    if (roc !== null) {
      t[k++] = roc >>> 24;
      t[k++] = roc >>> 16;
      t[k++] = roc >>> 8;
      t[k++] = roc;
    }
    this.#finish(h, 64 + n + (roc === null ? 0 : 4), k);
    // Outer hash: the inner digest, one block with its padding.
    const d = this.#digest;
    words(h, d);
    h.set(this.#outer);
    t.set(d);
    this.#finish(h, 64 + 20, 20);
    words(h, d);
    return d;
  }

  /** Pads `#tail[0, k)`, the end of a `total`-octet message, and hashes it into `h`. */
  #finish(h: Int32Array, total: number, k: number): void {
    const t = this.#tail;
    t[k++] = 0x80;
    const end = k <= 56 ? 64 : 128;
    t.fill(0, k, end - 4);
    const bits = total * 8; // a datagram: far below 2^32
    t[end - 4] = bits >>> 24;
    t[end - 3] = bits >>> 16;
    t[end - 2] = bits >>> 8;
    t[end - 1] = bits;
    this.#block(h, t, 0);
    if (end === 128) this.#block(h, t, 64);
  }

  #block(h: Int32Array, p: Uint8Array, at: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = at + 4 * i;
      w[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    for (let i = 0; i < 80; i++) {
      let f: number;
      if (i < 20) f = ((b & c) | (~b & d)) + 0x5a827999;
      else if (i < 40) f = (b ^ c ^ d) + 0x6ed9eba1;
      else if (i < 60) f = ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc;
      else f = (b ^ c ^ d) + 0xca62c1d6;
      const tmp = (((a << 5) | (a >>> 27)) + f + e + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
}

const SHA1_INIT = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

/** The five state words, big-endian, into `out`. */
function words(h: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 5; i++) {
    out[4 * i] = h[i] >>> 24;
    out[4 * i + 1] = h[i] >>> 16;
    out[4 * i + 2] = h[i] >>> 8;
    out[4 * i + 3] = h[i];
  }
}
