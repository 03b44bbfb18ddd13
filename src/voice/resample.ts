/**
 * @module voice/resample
 * Sample-rate conversion of uploaded prompts to the 8 kHz of a phone call: a Kaiser-windowed sinc
 * low-pass evaluated at each output instant. Plain decimation or linear interpolation would fold
 * everything above 4 kHz (sibilants, cymbals, hiss) back into the speech band as audible aliasing.
 */

/** Pass band up to 3.2 kHz (the telephone band ends at 3.4), stop band from 4.2 kHz. */
const CUTOFF_HZ = 3700;
const TRANSITION_HZ = 1000;
/** Stop-band attenuation; the Kaiser β and the kernel length follow from it (Kaiser's formulas). */
const ATTENUATION_DB = 70;
const KAISER_BETA = 0.1102 * (ATTENUATION_DB - 8.7);
/**
 * Kernel phases kept at most. Exact when the rate ratio is a simple fraction (44.1 kHz → 80 phases);
 * otherwise the nearest of these, 1/512 of an input sample off at worst, far below audibility.
 */
const MAX_PHASES = 512;

/**
 * Converts mono samples at `fromRate` (any scale) to `toRate` (≤ fromRate), band-limited. Works in
 * slices (`run`) so a caller can let the event loop breathe between them: a long recording takes a
 * few hundred milliseconds, and the calls' 20 ms RTP pacing must not stall meanwhile.
 */
export class Resampler {
  private readonly phases: number;
  private readonly taps: number;
  private readonly table: Float32Array;

  constructor(
    private readonly fromRate: number,
    private readonly toRate: number,
  ) {
    if (toRate > fromRate) throw new RangeError(`resample: upsampling ${fromRate} → ${toRate} Hz is not supported`);
    this.phases = Math.min(toRate / gcd(fromRate, toRate), MAX_PHASES);
    this.taps = fromRate === toRate ? 0 : kernelTaps(fromRate);
    this.table = fromRate === toRate ? new Float32Array(0) : kernelTable(fromRate, this.phases, this.taps);
  }

  /** Output samples for `inputLength` input samples. */
  outputLength(inputLength: number): number {
    return Math.floor((inputLength * this.toRate) / this.fromRate);
  }

  /** Computes output samples [start, end) into `out`. */
  run(input: Float32Array, out: Float32Array, start: number, end: number): void {
    const { fromRate, toRate, phases, taps, table } = this;
    if (fromRate === toRate) {
      out.set(input.subarray(start, end), start);
      return;
    }
    const half = taps / 2;
    for (let n = start; n < end; n++) {
      // Position n·from/to in input samples, split exactly into whole and fraction (integers only).
      const num = n * fromRate;
      let base = Math.floor(num / toRate);
      let p = Math.round(((num - base * toRate) * phases) / toRate);
      if (p === phases) {
        p = 0;
        base++;
      }
      const k0 = p * taps;
      const first = base - half + 1;
      let acc = 0;
      const lo = Math.max(0, -first);
      const hi = Math.min(taps, input.length - first);
      for (let k = lo; k < hi; k++) acc += table[k0 + k] * input[first + k];
      out[n] = acc;
    }
  }
}

/** An even kernel length long enough for the transition band at this input rate. */
function kernelTaps(rate: number): number {
  const m = Math.ceil((ATTENUATION_DB - 8) / (2.285 * 2 * Math.PI * (TRANSITION_HZ / rate)));
  return m + (m % 2);
}

/**
 * One row of `taps` coefficients per phase: row p weighs input samples base−taps/2+1 … base+taps/2
 * for an output instant p/phases of a sample after `base`. Each row sums to 1, so DC and low
 * frequencies keep their level whatever the phase.
 */
function kernelTable(rate: number, phases: number, taps: number): Float32Array {
  const half = taps / 2;
  const fc = CUTOFF_HZ / rate;
  const i0Beta = besselI0(KAISER_BETA);
  const table = new Float32Array(phases * taps);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const d = k - half + 1 - frac;
      const x = d / half;
      const w = Math.abs(x) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / i0Beta;
      const h = w * 2 * fc * sinc(2 * fc * d);
      table[p * taps + k] = h;
      sum += h;
    }
    for (let k = 0; k < taps; k++) table[p * taps + k] /= sum;
  }
  return table;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 10). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
