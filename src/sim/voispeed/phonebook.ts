/**
 * @module sim/voispeed/phonebook
 * The central phonebook: add/update/delete/get_phonebook and the bulk phonebook_import_sync (§1.7),
 * an upsert keyed by (uc_app_name, uc_external_id).
 *
 * Decisions where the seed lists empty bullets: a sync contact is skipped when it is not an object,
 * lacks uc_app_name or uc_external_id (the upsert key), or has no name, surname or company; it is
 * imported with a warning when a phone number had characters removed, a scalar was not a string, a
 * field is unknown or not a scalar (ignored), or ext_info is neither a string nor a list of
 * {caption, value}. `errors` stays 0 (we have no server errors). The verbose report lists every
 * contact, skipped ones with `act` "skip". A delete of a contact that does not exist is outcome 1
 * "contact not found". add_phonebook takes get_phonebook's names (office, home, …) and the sync's
 * (numoffice, …).
 */
import { PHONE_FIELDS, ServiceError, type SimContact } from "./model.ts";
import type { XmlNode } from "./xml.ts";

/** Digits with an optional leading "+": every other character is deleted (§1.7). */
export function sanitizeNumber(raw: string): string {
  let out = "";
  for (const ch of raw.trim()) {
    if (ch >= "0" && ch <= "9") out += ch;
    else if (ch === "+" && out === "") out = "+";
  }
  return out;
}

const TEXT_FIELDS = ["name", "surname", "company", "email", "uc_app_name", "uc_external_id"] as const;
const SYNC_FIELDS = new Set<string>([...TEXT_FIELDS, ...PHONE_FIELDS, "ext_info"]);

/** get_phonebook's tag → the stored field. */
const LIST_FIELDS = [
  ["name", "name"],
  ["surname", "surname"],
  ["company", "company"],
  ["office", "numoffice"],
  ["home", "numhome"],
  ["mobile", "nummobile"],
  ["fax", "numfax"],
  ["other", "numother"],
  ["email", "email"],
  ["is_favourite", "is_favourite"],
] as const;

export interface SyncReport {
  processed: number;
  skipped: number;
  warnings: number;
  errors: number;
  contacts: { uc_external_id: string; id: number | ""; act: "insert" | "update" | "skip"; info: string }[];
}

function blank(id: number): SimContact {
  return {
    contactId: id,
    name: "",
    surname: "",
    company: "",
    numoffice: "",
    numhome: "",
    nummobile: "",
    numsms: "",
    nummobil2: "",
    numfax: "",
    numother: "",
    email: "",
    is_favourite: 0,
    uc_app_name: "",
    uc_external_id: "",
    ext_info: "",
  };
}

export class Phonebook {
  private nextId = 100;

  constructor(readonly contacts: Map<number, SimContact>) {}

  find(appName: string, externalId: string): SimContact | undefined {
    for (const c of this.contacts.values()) if (c.uc_app_name === appName && c.uc_external_id === externalId) return c;
    return undefined;
  }

  /** get_phonebook: `search` is a case-insensitive substring of the listed fields; none lists all. */
  search(q: string): SimContact[] {
    const needle = q.trim().toLowerCase();
    return [...this.contacts.values()].filter(
      (c) => !needle || LIST_FIELDS.some(([, f]) => f !== "is_favourite" && c[f].toLowerCase().includes(needle)),
    );
  }

  listXml(q: string): XmlNode[] {
    return this.search(q).map((c): XmlNode => ["contact", LIST_FIELDS.map(([tag, f]): XmlNode => [tag, c[f]])]);
  }

  /** add_phonebook / update_phonebook fields from a query string. */
  add(p: Record<string, string>): SimContact {
    const c = blank(++this.nextId);
    this.apply(c, p);
    if (!c.name && !c.surname && !c.company) {
      this.nextId--;
      throw new ServiceError("name, surname or company required");
    }
    this.contacts.set(c.contactId, c);
    return c;
  }

  update(id: number, p: Record<string, string>): void {
    const c = this.contacts.get(id);
    if (!c) throw new ServiceError("contact not found");
    this.apply(c, p);
  }

  delete(p: Record<string, string>): void {
    if (p.contact_id !== undefined) {
      if (!this.contacts.delete(Number(p.contact_id))) throw new ServiceError("contact not found");
      return;
    }
    if (p.app_name === undefined || p.external_contact_id === undefined) {
      throw new ServiceError("missing parameter: contact_id, or app_name and external_contact_id");
    }
    const c = this.find(p.app_name, p.external_contact_id);
    if (!c) throw new ServiceError("contact not found");
    this.contacts.delete(c.contactId);
  }

  private apply(c: SimContact, p: Record<string, string>): void {
    for (const [tag, f] of LIST_FIELDS) {
      const v = p[tag] ?? p[f];
      if (v === undefined) continue;
      if (f === "is_favourite") c.is_favourite = v === "1" ? 1 : 0;
      else if (f.startsWith("num")) c[f] = sanitizeNumber(v);
      else c[f] = v;
    }
    for (const f of ["numsms", "nummobil2"] as const) if (p[f] !== undefined) c[f] = sanitizeNumber(p[f]);
  }

  importSync(list: unknown[]): SyncReport {
    const r: SyncReport = { processed: 0, skipped: 0, warnings: 0, errors: 0, contacts: [] };
    for (const item of list) {
      const idOf = (o: unknown) =>
        typeof o === "object" && o !== null ? String((o as Record<string, unknown>).uc_external_id ?? "") : "";
      const skip = (info: string) => {
        r.skipped++;
        r.contacts.push({ uc_external_id: idOf(item), id: "", act: "skip", info });
      };
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        skip("not an object");
        continue;
      }
      const o = item as Record<string, unknown>;
      const warnings: string[] = [];
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(o)) {
        if (!SYNC_FIELDS.has(k)) warnings.push(`unknown field ${k} ignored`);
        else if (k === "ext_info") fields.ext_info = extInfo(v, warnings);
        else if (v === null || v === undefined) fields[k] = "";
        else if (typeof v === "object") warnings.push(`${k} is not a scalar: ignored`);
        else {
          if (typeof v !== "string") warnings.push(`${k} is not a string`);
          fields[k] = String(v);
        }
      }
      for (const f of PHONE_FIELDS) {
        if (fields[f] === undefined) continue;
        const clean = sanitizeNumber(fields[f]);
        if (clean !== fields[f]) warnings.push(`${f} sanitised`);
        fields[f] = clean;
      }
      const app = fields.uc_app_name ?? "";
      const ext = fields.uc_external_id ?? "";
      if (!app || !ext) {
        skip("uc_app_name and uc_external_id are required");
        continue;
      }
      if (!fields.name && !fields.surname && !fields.company) {
        skip("name, surname or company required");
        continue;
      }
      const existing = this.find(app, ext);
      // An update overwrites the whole contact (the seed: "overwritten"), so a field left out is cleared.
      const c = blank(existing?.contactId ?? ++this.nextId);
      Object.assign(c, fields, { is_favourite: existing?.is_favourite ?? 0 });
      this.contacts.set(c.contactId, c);
      r.processed++;
      if (warnings.length) r.warnings++;
      r.contacts.push({
        uc_external_id: ext,
        id: c.contactId,
        act: existing ? "update" : "insert",
        info: warnings.join("; "),
      });
    }
    return r;
  }
}

function extInfo(v: unknown, warnings: string[]): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const ok = v.every((e) => typeof e === "object" && e !== null && "caption" in e && "value" in e);
    if (!ok) warnings.push("ext_info entries need caption and value");
    return JSON.stringify(v);
  }
  if (v !== null && v !== undefined) warnings.push("ext_info is neither a string nor a list");
  return "";
}

export function syncReportXml(r: SyncReport, verbose: boolean): XmlNode[] {
  const out: XmlNode[] = [
    ["processed", r.processed],
    ["skipped", r.skipped],
    ["warnings", r.warnings],
    ["errors", r.errors],
  ];
  if (verbose) {
    out.push([
      "contacts",
      r.contacts.map(
        (c): XmlNode => [
          "contact",
          [
            ["uc_external_id", c.uc_external_id],
            ["id", c.id],
            ["act", c.act],
            ["info", c.info],
          ],
        ],
      ),
    ]);
  }
  return out;
}
