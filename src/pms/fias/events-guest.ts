/**
 * @module fias/events-guest
 * FIAS guest and room fields (GI/GC/GO, RE) to PMS event values, read as liberally as PMSs in the
 * field send them: yes/no as Y/N, 1/0 or T/F, VIP "not VIP" as 0 or N, names as "Last, First" in GN.
 */
import type { PmsGuest } from "../../domain/pms-events.ts";
import { vipLevel } from "../../domain/vip.ts";
import type { FieldMap } from "./record.ts";

/** FIAS D fields are YYMMDD; the model keeps ISO dates. */
export function fiasDateToIso(d: string | undefined): string | null | undefined {
  if (d === undefined) return undefined;
  if (d.length !== 6) return null;
  return `20${d.slice(0, 2)}-${d.slice(2, 4)}-${d.slice(4, 6)}`;
}

export function isoToFiasDate(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

export interface GuestFieldOptions {
  /** Split a GN of "Last, First" when GF is absent (config `pms.splitGuestName`). */
  splitGuestName: boolean;
}

/** Only fields present in the record appear in the patch (GC and resync records change only those). */
export function guestPatchFromFields(f: FieldMap, opts: GuestFieldOptions = { splitGuestName: true }): PmsGuest {
  const p: PmsGuest = { reservation: (f["G#"] ?? "").trim() };
  // An empty GF carries no first name: GN may still hold "Last, First", and its first name stands.
  const gf = f.GF?.trim();
  if (f.GN !== undefined) Object.assign(p, guestName(f.GN, !gf && opts.splitGuestName));
  if (gf !== undefined && (gf !== "" || p.firstName === undefined)) p.firstName = gf;
  if (f.GT !== undefined) p.title = f.GT.trim();
  if (f.GL !== undefined) p.language = f.GL.trim();
  if (f.GV !== undefined) p.vip = vipLevel(f.GV);
  if (f.GG !== undefined) p.group = f.GG.trim();
  // An empty GS says nothing about sharing: the guest is not a sharer.
  if (f.GS !== undefined) p.sharer = parseYesNo(f.GS, "GS") ?? false;
  const a = fiasDateToIso(f.GA);
  if (a !== undefined) p.arrival = a;
  const d = fiasDateToIso(f.GD);
  if (d !== undefined) p.departure = d;
  return p;
}

/**
 * Salutations PMSs put after the comma of GN (`GNGuest, Mr.`), lower case, without the final dot.
 * Short on purpose: a first name must never be mistaken for one.
 */
const SALUTATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "miss",
  "mx",
  "dr",
  "prof",
  "herr",
  "frau",
  "sig",
  "sig.ra",
  "sig.na",
  "mme",
  "m",
  "mlle",
  "sr",
  "sra",
  "srta",
]);

export function isSalutation(s: string): boolean {
  let t = s.trim().toLowerCase();
  if (t.endsWith(".")) t = t.slice(0, -1);
  return SALUTATIONS.has(t);
}

/**
 * GN as last name, or, split at its first comma, "Last, First": the whole name is in GN then, so the
 * first name is what follows the comma ("" when that is a salutation, which is offered as the title;
 * a GT in the same record wins over it).
 */
function guestName(gn: string, split: boolean): Omit<PmsGuest, "reservation"> {
  const name = gn.trim();
  const comma = split ? name.indexOf(",") : -1;
  const last = comma > 0 ? name.slice(0, comma).trim() : "";
  if (!last) return { lastName: name, fullName: name };
  const rest = name.slice(comma + 1).trim();
  if (isSalutation(rest)) return { lastName: last, firstName: "", title: rest, fullName: last };
  return { lastName: last, firstName: rest, fullName: rest ? `${rest} ${last}` : last };
}

export function parseClassOfService(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 3) throw new Error(`class of service ${JSON.stringify(v)} is not 0..3`);
  return n;
}

const YES = new Set(["Y", "YES", "1", "T", "TRUE"]);
const NO = new Set(["N", "NO", "0", "F", "FALSE"]);

/**
 * A FIAS yes/no field: Y/N as Oracle specifies, and the 1/0, T/F (YES/NO, TRUE/FALSE) other PMSs
 * send, in any case. Absent or empty: no value, undefined (the status is left as it is).
 */
export function parseYesNo(v: string | undefined, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  const u = v.trim().toUpperCase();
  if (u === "") return undefined;
  if (YES.has(u)) return true;
  if (NO.has(u)) return false;
  throw new Error(`${field} ${JSON.stringify(v)} is not a yes/no value (Y/N, 1/0 or T/F)`);
}
