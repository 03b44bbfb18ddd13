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
 * The tag is HMAC-SHA1 in plain JS from precomputed pad states (`HmacSha1` below), making no garbage.
 * node:crypto offers no cheaper way: `Hmac` has no `copy()` on Bun, Node or Deno, and cloning SHA-1
 * states keyed with the RFC 2104 pads (`Hash.copy()`) makes two hash objects and two digests per
 * packet, more than `createHmac`'s one of each.
 */
import { type Cipheriv, createCipheriv } from "node:crypto";
import { cmIvInto, type SessionKeys } from "./kdf.ts";

const BLOCK = 16;

export class AesCmHmac {
  readonly #ecb: Cipheriv;
  readonly #hmac: HmacSha1;
  readonly #salt: Uint8Array;
  /** Counter blocks for the packet at hand; grown to the largest packet seen. */
  #blocks = new Uint8Array(BLOCK * 16);
  /** `#blocks` trimmed to the last packet's block count (RTP frames are all one size). */
  #view = this.#blocks.subarray(0, 0);

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
    const blocks = Math.ceil(n / BLOCK);
    // The IV's last two octets are zero (the salt is shifted by 16 bits), and a datagram is under
    // 2^16 blocks, so IV + j only ever sets those two octets: no carry.
    if (this.#blocks.length < blocks * BLOCK) {
      this.#blocks = new Uint8Array(blocks * BLOCK);
      this.#view = this.#blocks.subarray(0, 0);
    }
    const b = this.#blocks;
    cmIvInto(b, this.#salt, ssrc, index);
    for (let j = 1; j < blocks; j++) {
      const o = j * BLOCK;
      b.copyWithin(o, 0, BLOCK - 2);
      b[o + 14] = j >>> 8;
      b[o + 15] = j & 0xff;
    }
    if (this.#view.length !== blocks * BLOCK) {
      this.#view = b.subarray(0, blocks * BLOCK);
    }
    const ks = this.#ecb.update(this.#view);
    for (let i = 0; i < n; i++) buf[start + i] ^= ks[i];
  }

  /**
   * HMAC-SHA1 over `data` ‖ ROC (RTP) or `data` alone (RTCP: the index is inside it), 20 octets in a
   * buffer the next call reuses: read it before then.
   */
  tag(data: Uint8Array, roc: number | null): Uint8Array {
    return this.#hmac.mac(data, roc);
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

  /** HMAC over `data` ‖ (ROC as 4 octets BE, if not null). */
  mac(data: Uint8Array, roc: number | null): Uint8Array {
    const h = this.#h;
    h.set(this.#inner);
    const n = data.length;
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
