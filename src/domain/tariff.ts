/**
 * @module domain/tariff
 * What a guest's outside call costs: the pre-costed charge (FIAS PS `PTC` with `TA`) the appliance
 * computes from the hotel's tariff table, or the reason the call costs nothing.
 *
 * Rules (README "Call charges"):
 * - Only an answered, outgoing call that reached the outside is charged: incoming, internal,
 *   unanswered and zero-length calls are free, and so is a call over a trunk the site does not
 *   charge (`trunks`) or of unknown direction.
 * - Free prefixes (emergency, toll-free) win over every tariff line.
 * - Otherwise the line with the longest prefix of the dialled number rates it; no line = not charged
 *   (a hotel lists what it charges, so an unforeseen number never costs a guest money).
 * - Billed time: the talk time raised to the line's minimum, then rounded up to whole increments.
 *   Amount: setup fee + rate per minute × billed time, rounded up to a whole minor unit.
 *
 * Numbers are compared as the PBX reported them, minus layout (spaces, dashes, dots, brackets); a
 * leading `+` is a character like any other, so a site whose PBX writes `+39…` lists `+39` lines.
 */

/** One line of the tariff table; money in minor units (cents). */
export interface TariffLine {
  /** Leading characters of the dialled number this line rates (`00` international, `0039` Italy…). */
  prefix: string;
  /** Shown in the posting's text and kept with it (`International`, `Mobile`). */
  name: string;
  /** Charged once per answered call. */
  setupFee: number;
  ratePerMinute: number;
  /** The billed time is a whole number of these (60 = per started minute, 1 = per second). */
  incrementSeconds: number;
  /** Shortest billed time of an answered call. */
  minimumSeconds: number;
  /** The call class the PMS knows (FIAS PC: I, N, L), when the site sends one. */
  callType?: string | null;
}

export interface Tariff {
  lines: readonly TariffLine[];
  /** Calls to numbers starting with one of these are never charged. */
  freePrefixes: readonly string[];
  /** The trunks (gateways) whose calls are charged; null = any trunk, or none reported. */
  trunks?: readonly string[] | null;
}

/** A completed call, from the calling room's side. */
export interface RatedCall {
  /** What the room dialled. */
  number: string | null;
  direction: "in" | "out" | null;
  /** A call between extensions. */
  internal: boolean;
  answered: boolean;
  /** Talk time (from the answer to the end), not ring time. */
  durationSeconds: number;
  /** The trunk the call used, when the PBX says. */
  trunk?: string | null;
}

export type FreeReason =
  | "incoming"
  | "unknown-direction"
  | "internal"
  | "unanswered"
  | "no-duration"
  | "no-number"
  | "free-prefix"
  | "trunk-not-charged"
  | "no-tariff-line";

export type CallCharge =
  | {
      free: false;
      /** Minor units. */
      amount: number;
      line: TariffLine;
      billedSeconds: number;
      /** The number as matched (layout removed). */
      number: string;
    }
  | { free: true; reason: FreeReason; number?: string };

/** The dialled number without layout characters, for prefix matching and the PMS (`DD`). */
export function normalizeDialled(raw: string): string {
  let out = "";
  for (const ch of raw.trim()) {
    if (ch === " " || ch === "-" || ch === "." || ch === "(" || ch === ")" || ch === "/") continue;
    out += ch;
  }
  return out;
}

/** The line with the longest prefix of `number`; undefined when none matches. */
export function matchLine(lines: readonly TariffLine[], number: string): TariffLine | undefined {
  let best: TariffLine | undefined;
  for (const line of lines) {
    if (line.prefix !== "" && number.startsWith(line.prefix) && line.prefix.length > (best?.prefix.length ?? -1)) {
      best = line;
    }
  }
  return best;
}

/** Seconds billed for `talk` seconds on `line`: the minimum, then whole increments; 0 for no talk. */
export function billedSeconds(line: Pick<TariffLine, "incrementSeconds" | "minimumSeconds">, talk: number): number {
  if (!(talk > 0)) return 0;
  const step = Math.max(1, Math.floor(line.incrementSeconds));
  const t = Math.max(Math.ceil(talk), Math.ceil(line.minimumSeconds));
  return Math.ceil(t / step) * step;
}

/** Setup fee + rate × billed time, rounded up to a whole minor unit (integer arithmetic throughout). */
export function amountFor(line: Pick<TariffLine, "setupFee" | "ratePerMinute">, billed: number): number {
  return line.setupFee + Math.floor((line.ratePerMinute * billed + 59) / 60);
}

/** The charge for a call, or why it is free. */
export function rateCall(tariff: Tariff, call: RatedCall): CallCharge {
  if (call.direction === "in") return { free: true, reason: "incoming" };
  if (call.direction !== "out") return { free: true, reason: "unknown-direction" };
  if (call.internal) return { free: true, reason: "internal" };
  if (!call.answered) return { free: true, reason: "unanswered" };
  if (!(call.durationSeconds > 0)) return { free: true, reason: "no-duration" };
  const number = normalizeDialled(call.number ?? "");
  if (number === "") return { free: true, reason: "no-number" };
  if (tariff.freePrefixes.some((p) => p !== "" && number.startsWith(normalizeDialled(p)))) {
    return { free: true, reason: "free-prefix", number };
  }
  if (tariff.trunks && !(call.trunk && tariff.trunks.includes(call.trunk))) {
    return { free: true, reason: "trunk-not-charged", number };
  }
  const line = matchLine(tariff.lines, number);
  if (!line) return { free: true, reason: "no-tariff-line", number };
  const billed = billedSeconds(line, call.durationSeconds);
  return { free: false, amount: amountFor(line, billed), line, billedSeconds: billed, number };
}

/** An amount in major units (`12.5`, 2 digits) as whole minor units (1250). */
export function toMinorUnits(major: number, currencyDigits: number): number {
  return Math.round(major * 10 ** currencyDigits);
}

/** Whether `major` has no more decimals than the currency has (0.25 with 2 digits: yes; 0.255: no). */
export function fitsMinorUnits(major: number, currencyDigits: number): boolean {
  const scaled = major * 10 ** currencyDigits;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}
