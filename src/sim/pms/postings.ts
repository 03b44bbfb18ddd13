/**
 * @module sim/pms/postings
 * How the simulated PMS answers postings (PS): with `PA|…|ASOK|` echoing RN, P#, DA and TI (the
 * default once answering is on), with a refusal for chosen rooms (`NG`, "INVALID ROOM", as the spec's
 * example), with any answer a test picks per record, or not at all (the appliance's PA time-out).
 * It keeps every PS with what it answered, for tests and the installer's screen.
 */
import type { FiasRecord } from "../../pms/fias/record.ts";

/** What to answer one PS: accept it, stay silent, or a PA with this AS code (NG, RY, NA, …) and text. */
export type PostingDecision = "accept" | "silent" | { code: string; text?: string };

export interface SimPostingOptions {
  /** Answer PS at all. */
  answer?: boolean;
  /** Rooms whose postings are refused with NG "INVALID ROOM" (`--reject-postings`). */
  rejectRooms?: Iterable<string>;
  /** Never answer (`--silent-postings`). */
  silent?: boolean;
  /** Per PS; undefined falls back to the rules above. */
  decide?: (ps: FiasRecord) => PostingDecision | undefined;
}

export interface PostingExchange {
  ps: FiasRecord;
  /** The PA sent, or null when the simulator stayed silent. */
  pa: FiasRecord | null;
}

/** PA echoing the posting's RN, P#, DA and TI, with the answer status (AS) and text (CT). */
export function postingAnswer(ps: FiasRecord, code = "OK", text?: string): FiasRecord {
  const fields: Record<string, string> = { RN: ps.fields.RN ?? "", AS: code };
  for (const id of ["P#", "DA", "TI"]) if (ps.fields[id] !== undefined) fields[id] = ps.fields[id];
  if (text) fields.CT = text;
  return { type: "PA", fields };
}

export class SimPostings {
  answer: boolean;
  silent: boolean;
  readonly rejectRooms: Set<string>;
  decide: SimPostingOptions["decide"];
  /** Every PS received while linked, in order, with the answer. */
  readonly exchanges: PostingExchange[] = [];

  constructor(opts: SimPostingOptions = {}) {
    this.answer = opts.answer ?? false;
    this.silent = opts.silent ?? false;
    this.rejectRooms = new Set(opts.rejectRooms ?? []);
    this.decide = opts.decide;
  }

  /** Refuse (NG) the postings of these rooms from now on. */
  reject(...rooms: string[]): void {
    for (const r of rooms) this.rejectRooms.add(r);
  }

  /** The PA for this PS, or undefined to stay silent. */
  reply(ps: FiasRecord): FiasRecord | undefined {
    const decision = this.decision(ps);
    const pa =
      decision === "silent"
        ? undefined
        : decision === "accept"
          ? postingAnswer(ps)
          : postingAnswer(ps, decision.code, decision.text);
    this.exchanges.push({ ps, pa: pa ?? null });
    return pa;
  }

  private decision(ps: FiasRecord): PostingDecision {
    const picked = this.decide?.(ps);
    if (picked) return picked;
    if (!this.answer || this.silent) return "silent";
    if (this.rejectRooms.has(ps.fields.RN ?? "")) return { code: "NG", text: "INVALID ROOM" };
    return "accept";
  }
}
