/**
 * @module fias/link-records
 * The LR records a PBX interface sends after LD. The PMS only sends (and only accepts) the record
 * types and fields declared here, so a field missing from a list never arrives.
 */
import type { FiasRecord } from "./record.ts";

/** `LR|RI<recordId>|FL<fieldIds>|`; fieldIds is the concatenation of two-character field IDs. */
export function linkRecord(recordId: string, fieldIds: string): FiasRecord {
  return { type: "LR", fields: { RI: recordId, FL: fieldIds } };
}

const GUEST_FIELDS = "RNG#GNGFGTGLGVGGGSGAGDCSSF";

export interface LinkRecordOptions {
  /**
   * Declare the database swap (DR, DS, DE) and night audit (NS, NE) records too. The spec says they
   * need no LR, but we send DR and apply DS/DE/NS/NE, and PMSs that filter by the LR list drop what
   * is not declared; default true. Off for a PMS that refuses an LR for them.
   */
  syncRecords?: boolean;
}

/**
 * LR set for a PBX / voice-mail interface (IF=PB): guest data, room equipment, wake-up and message
 * records, and the sync records. Postings (PS/PA) are not included; a call-accounting site adds them.
 */
export function defaultLinkRecords(opts: LinkRecordOptions = {}): FiasRecord[] {
  const sync = opts.syncRecords ?? true;
  return [
    linkRecord("GI", GUEST_FIELDS),
    linkRecord("GO", "RNG#GSSF"),
    // RO = the old room of a room move.
    linkRecord("GC", `${GUEST_FIELDS}RO`),
    // VM = the guest voicemail counts we report after every change (`RE|RN101|VM0100|`).
    linkRecord("RE", "RNRSMLCSDNIDVM"),
    linkRecord("WR", "RNDATI"),
    linkRecord("WC", "RNDATI"),
    linkRecord("WA", "RNDATIAS"),
    linkRecord("XL", "RNG#MIMT"),
    linkRecord("XD", "RNG#MI"),
    ...(sync ? ["DR", "DS", "DE", "NS", "NE"].map((id) => linkRecord(id, "DATI")) : []),
  ];
}
