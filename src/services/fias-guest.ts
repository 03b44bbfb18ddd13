/** @module services/fias-guest: FIAS guest fields (GI/GC/GO) to domain values. */
import type { GuestPatch } from "../domain/room.ts";
import type { FieldMap } from "../pms/fias/record.ts";

/** FIAS D fields are YYMMDD; the model keeps ISO dates. */
export function fiasDateToIso(d: string | undefined): string | null | undefined {
  if (d === undefined) return undefined;
  if (d.length !== 6) return null;
  return `20${d.slice(0, 2)}-${d.slice(2, 4)}-${d.slice(4, 6)}`;
}

export function isoToFiasDate(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

/** Only fields present in the record appear in the patch (GC and resync records change only those). */
export function guestPatchFromFields(f: FieldMap): GuestPatch & { reservation: string } {
  const p: GuestPatch & { reservation: string } = { reservation: (f["G#"] ?? "").trim() };
  if (f.GN !== undefined) {
    p.fullName = f.GN.trim();
    p.lastName = f.GN.trim();
  }
  if (f.GF !== undefined) p.firstName = f.GF.trim();
  if (f.GT !== undefined) p.title = f.GT.trim();
  if (f.GL !== undefined) p.language = f.GL.trim();
  if (f.GV !== undefined) p.vip = f.GV.trim();
  if (f.GG !== undefined) p.group = f.GG.trim();
  if (f.GS !== undefined) p.sharer = f.GS.trim().toUpperCase() === "Y";
  const a = fiasDateToIso(f.GA);
  if (a !== undefined) p.arrival = a;
  const d = fiasDateToIso(f.GD);
  if (d !== undefined) p.departure = d;
  return p;
}

export function parseClassOfService(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 3) throw new Error(`class of service ${JSON.stringify(v)} is not 0..3`);
  return n;
}

export function parseYesNo(v: string | undefined, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  const u = v.trim().toUpperCase();
  if (u === "Y") return true;
  if (u === "N") return false;
  throw new Error(`${field} ${JSON.stringify(v)} is not Y or N`);
}
