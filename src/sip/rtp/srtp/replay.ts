/**
 * @module sip/rtp/srtp/replay
 * The replay list of RFC 3711 §3.3.2: the highest authenticated index and a bitmap of the `size`
 * indices at and below it. Index i lives at bit i mod size, so moving the top forward only clears
 * the bits it passes over (no shifting). `accepts` is asked before the tag is checked and `commit`
 * called only after it verified (§3.3: a forged packet must not move the window).
 */

export const DEFAULT_REPLAY_WINDOW = 128;

export class ReplayWindow {
  readonly size: number;
  /** Highest committed index; -1 before the first packet. */
  #top = -1;
  readonly #bits: Uint32Array;

  /** `size`: a multiple of 32, at least 64 (RFC 3711 §3.3.2's minimum). */
  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 64 || size % 32 !== 0) {
      throw new RangeError(`SRTP replay window ${size}: a multiple of 32, at least 64`);
    }
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  get top(): number {
    return this.#top;
  }

  /** Whether `index` is new: above the top, or inside the window and not yet seen. */
  accepts(index: number): boolean {
    if (index < 0) return false;
    if (index > this.#top) return true;
    if (this.#top - index >= this.size) return false;
    const bit = index % this.size;
    return (this.#bits[bit >>> 5] & (1 << (bit & 31))) === 0;
  }

  commit(index: number): void {
    if (index > this.#top) {
      const gap = index - this.#top;
      if (gap >= this.size || this.#top < 0) this.#bits.fill(0);
      else for (let i = this.#top + 1; i < index; i++) this.#clear(i % this.size);
      this.#top = index;
    }
    const bit = index % this.size;
    this.#bits[bit >>> 5] |= 1 << (bit & 31);
  }

  #clear(bit: number): void {
    this.#bits[bit >>> 5] &= ~(1 << (bit & 31));
  }
}
