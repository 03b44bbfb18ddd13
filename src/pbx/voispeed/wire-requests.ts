/**
 * @module pbx/voispeed/wire-requests
 * The requests to VOIspeed's SERI endpoint: their query strings and the phonebook_import_sync body
 * (entry module: wire.ts).
 */
import { Buffer } from "node:buffer";
import { params, QUERY_SERVICE, QUERY_TOKEN, type ServiceName, type UserMode } from "./wire-codes.ts";

export type QueryParams = Record<string, string>;

/** The query of a GET (or of the import POST): service and token first, then the service's parameters. */
export function requestQuery(service: ServiceName, token: string, p: QueryParams = {}): URLSearchParams {
  const q = new URLSearchParams();
  q.set(QUERY_SERVICE, service);
  q.set(QUERY_TOKEN, token);
  for (const [k, v] of Object.entries(p)) q.set(k, v);
  return q;
}

export function setUserModeParams(ext: string, mode: UserMode): QueryParams {
  return { [params.ext]: ext, [params.mode]: String(mode) };
}

export function getEntitiesParams(type: number, ownerId?: string): QueryParams {
  return ownerId === undefined
    ? { [params.entityType]: String(type) }
    : { [params.entityType]: String(type), [params.ownerId]: ownerId };
}

/** Deletes a contact made by phonebook_import_sync, by its source application and external id. */
export function deleteSyncedContactParams(appName: string, externalId: string): QueryParams {
  return { [params.appName]: appName, [params.externalContactId]: externalId };
}

/** get_call_report for one communication (the filter's name is a guess; rows are matched by id). */
export function callReportParams(callId: string): QueryParams {
  return { [params.callId]: callId };
}

/** get_user_call_report of one extension, its latest rows. */
export function userCallReportParams(ext: string, limit = 20): QueryParams {
  return { [params.ext]: ext, [params.limit]: String(limit) };
}

/** Query parameters of phonebook_import_sync besides service and token (assumed: the query string). */
export function importSyncParams(): QueryParams {
  return { [params.verboseOutput]: "1" };
}

/**
 * A contact of phonebook_import_sync. Phone fields are sanitised by VOIspeed to digits with an
 * optional leading `+`. `ext_info` is left out: the guide shows it both as a string and as a nested
 * array of {caption, value}.
 */
export interface PhonebookContact {
  name: string;
  surname: string;
  company?: string;
  numoffice?: string;
  numhome?: string;
  nummobile?: string;
  numsms?: string;
  nummobil2?: string;
  numfax?: string;
  numother?: string;
  email?: string;
  /** The source application: the upsert key with `uc_external_id`. */
  uc_app_name: string;
  uc_external_id: string;
}

/** The multipart/form-data body of phonebook_import_sync: one field, `contacts`, a JSON array. */
export function importSyncBody(
  contacts: readonly PhonebookContact[],
  boundary: string,
): { contentType: string; body: Uint8Array } {
  const text =
    `--${boundary}\r\n` +
    `Content-Disposition: form-data; name="${params.contacts}"\r\n\r\n` +
    `${JSON.stringify(contacts)}\r\n` +
    `--${boundary}--\r\n`;
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(text, "utf8") };
}
