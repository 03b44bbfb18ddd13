/**
 * @module fias/posting-link-records
 * The LR records that declare postings (PS out, PA in). A PMS that filters by the LR list drops a PS
 * it was not told about, so a site that posts charges adds these to `defaultLinkRecords()`. The PS
 * fields are every one the appliance may send (outgoing.ts); the PA ones those it reads (events.ts).
 */
import { linkRecord } from "./link-records.ts";
import type { FiasRecord } from "./record.ts";

export function postingLinkRecords(): FiasRecord[] {
  return [linkRecord("PS", "RNPTTAMPDUDDMAM#PCCTDATIP#"), linkRecord("PA", "RNASCTP#DATI")];
}
