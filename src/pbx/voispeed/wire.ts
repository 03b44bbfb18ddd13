/**
 * @module pbx/voispeed/wire
 * Everything the VOIspeed link puts on or reads from the wire, in one place, to be corrected here when
 * a real PBX disagrees: service and parameter names of the SERI endpoint, the XML elements of its
 * replies, the code tables (user modes, entity types, statuses, call outcomes, user and extended
 * events), the parameters of the event and IVR-script calls VOIspeed makes to us, and the reject
 * texts we read as permanent.
 *
 * Source: the VOIspeed Integration Guide (specs/voispeed-24u.md §1). Its "Parameters" tables are all
 * empty, so every parameter name below comes from its examples, descriptions and result XML.
 * UNVERIFIED, to be checked on a real VOIspeed before the first site goes live:
 * - `set_user_mode` modes other than 2 (DND): normal 1, away 3, divert 4 follow the order of the
 *   guide's list "normal, do not disturb, away and divert";
 * - where `service`/`token` go in the `phonebook_import_sync` POST (the query string, as for every
 *   GET) and `verbose_output=1`;
 * - `delete_phonebook`'s `app_name` + `external_contact_id` (the guide names them in the text only);
 * - the call reports' filters: `call_id` for get_call_report and `limit` for get_user_call_report
 *   are guesses (rows are matched by id on our side anyway);
 * - the `cmd_failed` event's error text parameter (third-party webhooks read `error_msg` and
 *   `error_code`), and that it carries `request_id` (the guide says so);
 * - error texts: free-form; the guide shows one ("connection not found").
 *
 * XML is read by a small scanner (no XML library: the replies are flat, attribute-free and, in the
 * guide, often not well-formed). It is deliberately tolerant, and every tolerance exists because the
 * guide's own examples need it:
 * - values are trimmed (`<request_id> 56732980 </request_id>`), entities and CDATA decoded;
 * - a close tag may lack its `>` (`</calling_id` + newline) or have a space before an underscore
 *   (`</connected _id>`: read as `connected_id`);
 * - a close tag that matches nothing open is ignored (`<call_ref_if>…</call_ref_id>`);
 * - an element holding text is closed by the next open tag (`<id> autoincrement` + newline +
 *   `<callid>`: the call report written without close tags);
 * - an open tag of the innermost open element's own name closes a text-only element
 *   (`<id> ID ivr N <id>`) and starts a sibling after one with children (`<node>…<node>`, and the
 *   stray `<call>` at the end of a report, which yields an empty call that readers drop);
 * - `<outcome1</outcome>` (the call report's failure example) reads as outcome 1;
 * - a data reply without `<outcome>` (the guide's voicemail and park-line examples) counts as
 *   success when it holds the expected container element.
 */
import { Buffer } from "node:buffer";

// ---------------------------------------------------------------------------------------------------
// Requests to the SERI endpoint (HTTP GET with a query string; phonebook_import_sync is a POST).

/** Every request carries these two query parameters. */
export const QUERY_SERVICE = "service";
export const QUERY_TOKEN = "token";

/** Service names (S1 "User services", "Extended services", "Synchronisation of Contacts Directory"). */
export const services = {
  // user level: one extension at a time
  callRequest: "call_request",
  callAction: "call_action",
  setUserMode: "set_user_mode",
  getUserCallReport: "get_user_call_report",
  // extended level (SSN): enabled separately in the integration module
  getEntities: "get_entities",
  getCallReport: "get_call_report",
  getCurrentCalls: "get_current_calls",
  addPhonebook: "add_phonebook",
  updatePhonebook: "update_phonebook",
  deletePhonebook: "delete_phonebook",
  getPhonebook: "get_phonebook",
  callRequestExt: "call_request_ext",
  callTransferExt: "call_transfer_ext",
  callDivertExt: "call_divert_ext",
  callRecordingExt: "call_recording_ext",
  callTerminate: "call_terminate",
  phonebookImportSync: "phonebook_import_sync",
} as const;
export type ServiceName = (typeof services)[keyof typeof services];

/** Request parameter names (from the guide's examples and descriptions). */
export const params = {
  ext: "ext",
  number: "number",
  device: "device",
  callId: "call_id",
  action: "action",
  note: "note",
  mode: "mode",
  entityType: "entity_type",
  entityId: "entity_id",
  ownerId: "owner_id",
  contactId: "contact_id",
  appName: "app_name",
  externalContactId: "external_contact_id",
  search: "search",
  /** Rows of a call report at most (a third-party CRM sends `limit=1` to get_user_call_report). */
  limit: "limit",
  verboseOutput: "verbose_output",
  /** The one multipart field of phonebook_import_sync: a JSON array of contacts. */
  contacts: "contacts",
} as const;

/** `set_user_mode` modes. Only DND = 2 is confirmed by the guide; the rest follow its list's order. */
export const userModes = { normal: 1, dnd: 2, away: 3, divert: 4 } as const;
export type UserMode = (typeof userModes)[keyof typeof userModes];

/** T1: entity types. */
export const entityTypes = {
  user: 0,
  ringGroup: 1,
  gateway: 2,
  ivr: 3,
  terminal: 7,
  companyVoicemail: 8,
  meetingRoom: 10,
  parkedLines: 11,
  department: 13,
} as const;

/** T2: audio/video (and chat) status of a user. */
export const avStatus = {
  unknown: 0,
  unavailable: 1,
  available: 2,
  ringing: 3,
  busy: 4,
  dnd: 5,
  reserved: 6,
  absent: 7,
  inDiversion: 8,
} as const;

/** T8: call outcomes (call reports, `call_response`, `call_terminated`). */
export const callOutcomes: Readonly<Record<number, string>> = {
  0: "unknown",
  1: "ok",
  2: "called busy",
  3: "rejected by called",
  4: "called unavailable",
  5: "called no answer",
  6: "no lines to called",
  7: "called in DND",
  8: "called absent",
  9: "calling no answer",
  10: "calling busy",
  11: "rejected by calling",
  // The guide repeats "number called unavailable"; by its neighbours it is the calling side's.
  12: "calling unavailable",
  13: "no lines to calling",
};

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

// ---------------------------------------------------------------------------------------------------
// Replies: `<?xml …?><result><outcome>0|1</outcome>…</result>`.

/** XML element names of the replies. */
export const xml = {
  result: "result",
  outcome: "outcome",
  error: "error",
  requestId: "request_id",
  users: "users",
  user: "user",
  call: "call",
  contactId: "contact_id",
  processed: "processed",
  skipped: "skipped",
  warnings: "warnings",
  errors: "errors",
  contacts: "contacts",
  contact: "contact",
} as const;

/** `<outcome>` values. 0 = validated (for asynchronous services: "will run later", not "done"). */
export const OUTCOME_OK = 0;
export const OUTCOME_REJECTED = 1;

export interface XmlElement {
  name: string;
  /** Text directly inside, untrimmed (entities decoded). */
  text: string;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** The tag's name: its first word, joined with words that start with `_` (`connected _id`). */
function tagName(inner: string): string {
  const words = inner.trim().split(/\s+/);
  let name = words[0] ?? "";
  for (let i = 1; i < words.length && words[i].startsWith("_"); i++) name += words[i];
  return name;
}

/** Fixes the guide's `<outcome1</outcome>` before scanning. */
function fixKnownTypos(src: string): string {
  return src.replace(/<outcome\s*(\d+)\s*<\/outcome\s*>/g, "<outcome>$1</outcome>");
}

/** Scans XML into elements (see the module comment for the tolerances). Never throws. */
export function parseXml(text: string): XmlElement {
  const src = fixKnownTypos(text);
  const doc: XmlElement = { name: "#document", text: "", children: [] };
  const stack: XmlElement[] = [doc];
  const top = () => stack[stack.length - 1] as XmlElement;
  const addText = (s: string) => {
    if (stack.length > 1) top().text += s;
  };
  const open = (name: string) => {
    for (;;) {
      const t = top();
      if (t === doc) break;
      if (t.name === name) {
        stack.pop();
        // `<id> x <id>`: the second tag was meant to close the first.
        if (t.children.length === 0) return false;
        break; // `<node>…<node>`: a sibling begins
      }
      if (t.children.length === 0 && t.text.trim() !== "") {
        stack.pop(); // a value whose close tag was left out
        continue;
      }
      break;
    }
    const el: XmlElement = { name, text: "", children: [] };
    top().children.push(el);
    stack.push(el);
    return true;
  };
  const close = (name: string) => {
    for (let i = stack.length - 1; i > 0; i--) {
      if (stack[i]?.name === name) {
        stack.length = i;
        return;
      }
    }
  };
  let i = 0;
  const n = src.length;
  while (i < n) {
    const lt = src.indexOf("<", i);
    if (lt < 0) {
      addText(decodeEntities(src.slice(i)));
      break;
    }
    if (lt > i) addText(decodeEntities(src.slice(i, lt)));
    if (src.startsWith("<!--", lt)) {
      const end = src.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (src.startsWith("<![CDATA[", lt)) {
      const end = src.indexOf("]]>", lt + 9);
      addText(src.slice(lt + 9, end < 0 ? n : end));
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (src[lt + 1] === "?" || src[lt + 1] === "!") {
      const end = src.indexOf(">", lt);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (!/[A-Za-z_/]/.test(src[lt + 1] ?? "")) {
      addText("<"); // a lone "<" in text
      i = lt + 1;
      continue;
    }
    let j = lt + 1;
    while (j < n && src[j] !== ">" && src[j] !== "<") j++;
    const inner = src.slice(lt + 1, j);
    i = j < n && src[j] === ">" ? j + 1 : j;
    if (inner.startsWith("/")) {
      const name = tagName(inner.slice(1));
      if (name) close(name);
      continue;
    }
    const selfClosing = inner.endsWith("/");
    const name = tagName(selfClosing ? inner.slice(0, -1) : inner);
    if (!name) continue;
    if (open(name) && selfClosing) stack.pop();
  }
  return doc;
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** A child's trimmed text, or undefined when there is no such child. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}

function childNumber(el: XmlElement, name: string): number | undefined {
  const t = childText(el, name);
  if (t === undefined || t === "" || !/^-?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

export interface SeriReply {
  /** `<outcome>` as a number; undefined when missing or not a number. */
  outcome: number | undefined;
  /** `<error>` of a rejected request, trimmed. */
  error: string | undefined;
  /** `<request_id>` of an accepted asynchronous request, trimmed. */
  requestId: string | undefined;
  /** The `<result>` element (or the document, for a reply without one). */
  result: XmlElement;
  /** Whether the body held any element at all (an HTML error page or plain text does not count). */
  isXml: boolean;
}

export function parseReply(text: string): SeriReply {
  const doc = parseXml(text);
  const result = child(doc, xml.result) ?? doc;
  const o = childText(result, xml.outcome);
  const outcome = o !== undefined && /^\d+$/.test(o) ? Number(o) : undefined;
  const error = childText(result, xml.error);
  const requestId = childText(result, xml.requestId) || undefined;
  // A reply without <result> (the guide's get_phonebook example) is still XML; a web page is not.
  const isXml = result !== doc || (doc.children.length > 0 && !doc.children.some((c) => /^html$/i.test(c.name)));
  return { outcome, error, requestId, result, isXml };
}

/** A user of `get_entities` type 0. */
export interface VoispeedUser {
  id: string;
  extension: string;
  name: string;
  surname: string;
  email: string;
  /** T2 */
  avStatus: number | undefined;
  chatStatus: number | undefined;
  phrase: string;
}

/** The users of a `get_entities&entity_type=0` reply (entries without id or extension are dropped). */
export function readUsers(reply: SeriReply): VoispeedUser[] {
  const out: VoispeedUser[] = [];
  for (const list of childrenNamed(reply.result, xml.users)) {
    for (const u of childrenNamed(list, xml.user)) {
      const id = childText(u, "id") ?? "";
      const extension = childText(u, "extension") ?? "";
      if (!id || !extension) continue;
      out.push({
        id,
        extension,
        name: childText(u, "name") ?? "",
        surname: childText(u, "surname") ?? "",
        email: childText(u, "email") ?? "",
        avStatus: childNumber(u, "av_status"),
        chatStatus: childNumber(u, "chat_status"),
        phrase: childText(u, "phrase") ?? "",
      });
    }
  }
  return out;
}

/** A row of `get_call_report` (all calls through the PBX). Times are VOIspeed's text, as sent. */
export interface CallReportRow {
  id: string;
  startTime: string;
  /** Seconds. */
  duration: number | undefined;
  /** T8 */
  outcome: number | undefined;
  callingId: string;
  callingType: number | undefined;
  callingNumber: string;
  calledId: string;
  calledType: number | undefined;
  calledNumber: string;
  connectedId: string;
  connectedType: number | undefined;
  connectedNumber: string;
  ringTime: number | undefined;
  holdTime: number | undefined;
  ivrTime: number | undefined;
  talkTime: number | undefined;
  queueTime: number | undefined;
  /** Call id of the transferred call (the guide spells the open tag `call_ref_if`). */
  callRefId: string;
  /** The `extid` of call_request_ext. */
  externalId: string;
  /** The guide's descriptions of these two look swapped; they are passed on as named. */
  gatewayIn: string;
  gatewayOut: string;
  /** "call between extensions" (1/0). */
  internal: boolean | undefined;
}

function calls(reply: SeriReply): XmlElement[] {
  return childrenNamed(reply.result, xml.call).filter((c) => c.children.length > 0);
}

function flag(el: XmlElement, name: string): boolean | undefined {
  const n = childNumber(el, name);
  return n === undefined ? undefined : n !== 0;
}

export function readCallReport(reply: SeriReply): CallReportRow[] {
  return calls(reply).map((c) => ({
    id: childText(c, "id") ?? "",
    startTime: childText(c, "start_time") ?? "",
    duration: childNumber(c, "duration"),
    outcome: childNumber(c, "outcome"),
    callingId: childText(c, "calling_id") ?? "",
    callingType: childNumber(c, "calling_type"),
    callingNumber: childText(c, "calling_number") ?? "",
    calledId: childText(c, "called_id") ?? "",
    calledType: childNumber(c, "called_type"),
    calledNumber: childText(c, "called_number") ?? "",
    connectedId: childText(c, "connected_id") ?? "",
    connectedType: childNumber(c, "connected_type"),
    connectedNumber: childText(c, "connected_number") ?? "",
    ringTime: childNumber(c, "ring_time"),
    holdTime: childNumber(c, "hold_time"),
    ivrTime: childNumber(c, "ivr_time"),
    talkTime: childNumber(c, "talk_time"),
    queueTime: childNumber(c, "queue_time"),
    callRefId: childText(c, "call_ref_id") ?? childText(c, "call_ref_if") ?? "",
    externalId: childText(c, "external_id") ?? "",
    gatewayIn: childText(c, "gateway_in") ?? "",
    gatewayOut: childText(c, "gateway_out") ?? "",
    internal: flag(c, "internal"),
  }));
}

/** A row of `get_user_call_report` (one user's calls). */
export interface UserCallReportRow {
  id: string;
  /** The communication's id (the extended events' `call_id`). */
  callId: string;
  startTime: string;
  answerTime: string;
  duration: number | undefined;
  outcome: number | undefined;
  direction: string;
  myNumber: string;
  remoteNumber: string;
  /** entity_call_id */
  localId: string;
  groupName: string;
  company: string;
  surname: string;
  name: string;
  remoteCompany: string;
  remoteSurname: string;
  remoteName: string;
}

export function readUserCallReport(reply: SeriReply): UserCallReportRow[] {
  return calls(reply).map((c) => ({
    id: childText(c, "id") ?? "",
    callId: childText(c, "callid") ?? "",
    startTime: childText(c, "start_time") ?? "",
    answerTime: childText(c, "answer_time") ?? "",
    duration: childNumber(c, "duration"),
    outcome: childNumber(c, "outcome"),
    direction: childText(c, "direction") ?? "",
    myNumber: childText(c, "my_number") ?? "",
    remoteNumber: childText(c, "remote_number") ?? "",
    localId: childText(c, "local_id") ?? "",
    groupName: childText(c, "group_name") ?? "",
    company: childText(c, "company") ?? "",
    surname: childText(c, "surname") ?? "",
    name: childText(c, "name") ?? "",
    remoteCompany: childText(c, "remote_company") ?? "",
    remoteSurname: childText(c, "remote_surname") ?? "",
    remoteName: childText(c, "remote_name") ?? "",
  }));
}

/** The result of phonebook_import_sync; counts are undefined when the reply leaves them out. */
export interface ImportResult {
  processed: number | undefined;
  skipped: number | undefined;
  warnings: number | undefined;
  errors: number | undefined;
  /** The verbose report. */
  contacts: { externalId: string; id: string; act: string; info: string }[];
}

export function readImportResult(reply: SeriReply): ImportResult {
  const r = reply.result;
  return {
    processed: childNumber(r, xml.processed),
    skipped: childNumber(r, xml.skipped),
    warnings: childNumber(r, xml.warnings),
    errors: childNumber(r, xml.errors),
    contacts: childrenNamed(child(r, xml.contacts), xml.contact).map((c) => ({
      externalId: childText(c, "uc_external_id") ?? "",
      id: childText(c, "id") ?? "",
      act: childText(c, "act") ?? "",
      info: childText(c, "info") ?? "",
    })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Reject texts. VOIspeed words its `<error>` freely; these decide what a retry can fix.

/** A text that says the PBX is busy or failing for now: always retried. */
const TRANSIENT_TEXT =
  /temporar|time.?out|timed out|busy|occupat|try again|riprova|unavailable|non disponibile|overload|too many|troppe|internal error|errore interno|database|db error/i;
/** A text that names something wrong with the request or its credentials: a retry cannot help. */
const PERMANENT_TEXT =
  /token|param|invalid|not valid|non valid|missing|mancant|required|obbligatori|unknown|sconosciut|not found|non trovat|inesistent|does not exist|not exist|non esiste|not enabled|non abilitat|not allowed|non consentit|not authori[sz]ed|non autorizzat|denied|negat|wrong|errat|malformed|bad request/i;
/** Our own parameter names, as whole words: a text naming one is about a bad value of it. */
const PARAMETER_NAME =
  /(^|[^a-z_])(ext|mode|app_name|external_contact_id|contact_id|entity_type|entity_id|owner_id|contacts|verbose_output|call_id)([^a-z_]|$)/i;

/**
 * Whether a rejection (`outcome 1`) names a bad parameter or credential, so a retry cannot fix it.
 * Texts that sound transient win; anything unrecognised is retried.
 */
export function isPermanentReject(text: string): boolean {
  if (TRANSIENT_TEXT.test(text)) return false;
  return PERMANENT_TEXT.test(text) || PARAMETER_NAME.test(text);
}

/** Whether a rejection says the thing to delete is not there (a delete that finds nothing is done). */
export function isNotFoundReject(text: string): boolean {
  return /not found|non trovat|inesistent|does not exist|not exist|non esiste|no such|no contact|nessun contatto/i.test(
    text,
  );
}

// ---------------------------------------------------------------------------------------------------
// Events: VOIspeed GETs the module's notification URL with a query string.

/** Common event parameters. */
export const eventParams = {
  eventType: "event_type",
  event: "event",
  eventName: "event_name",
  ext: "ext",
  number: "number",
  requestId: "request_id",
  /** cmd_failed's reason: unverified names (third-party webhooks read these). */
  errorMsg: "error_msg",
  errorCode: "error_code",
  /** Extended events */
  callId: "call_id",
  outcome: "outcome",
  extid: "extid",
} as const;

/** `event_type` of the user events (the extended events' type is not documented). */
export const USER_EVENT_TYPE = "2";

/** T6: user events (S1 "User events"). */
export const userEvents = {
  cmd_failed: 1,
  incoming_call: 8,
  outgoing_call: 9,
  new_voicemail: 10,
  lost_call: 12,
  call_answered: 14,
  call_rejected: 15,
  call_disconnect_out: 16,
  call_disconnect_in: 17,
  /** Not implemented by VOIspeed (the guide says so). */
  call_transfer: 18,
} as const;
export type UserEventName = keyof typeof userEvents;

/** Extended (SSN) events: the PBX's point of view (`call_in` = entity → PBX). Codes overlap the user events. */
export const ssnEvents = {
  call_in: 1,
  call_progress: 2,
  call_out: 3,
  call_response: 4,
  disconnect_in: 5,
  /** The guide's section header says 5; its table says 6. */
  disconnect_out: 6,
  call_transfer: 7,
  /** Obsolete. */
  dtmf_out: 8,
  call_divert: 9,
  call_terminated: 10,
  call_held: 11,
  call_retrieved: 12,
} as const;
export type SsnEventName = keyof typeof ssnEvents;

export type VoispeedEvent =
  | { family: "user"; name: UserEventName; code: number; params: QueryParams }
  | { family: "ssn"; name: SsnEventName; code: number; params: QueryParams }
  | { family: "unknown"; name: string; code: number | undefined; params: QueryParams };

function paramsOf(q: URLSearchParams | QueryParams): QueryParams {
  const out: QueryParams = {};
  if (q instanceof URLSearchParams) for (const [k, v] of q) out[k] = v.trim();
  else for (const [k, v] of Object.entries(q)) out[k] = String(v).trim();
  return out;
}

/**
 * Which event a notification is. Dispatch is on `event_name` (the two families' codes overlap);
 * `call_transfer` is in both and is told apart by `event_type` 2 (user) or the code (18 user, 7
 * extended). Without a name, a user event is read from its code; anything else is unknown.
 */
export function readEvent(query: URLSearchParams | QueryParams): VoispeedEvent {
  const p = paramsOf(query);
  const name = p[eventParams.eventName] ?? "";
  const rawCode = p[eventParams.event];
  const code = rawCode !== undefined && /^\d+$/.test(rawCode) ? Number(rawCode) : undefined;
  const isUserType = p[eventParams.eventType] === USER_EVENT_TYPE;
  const inUser = Object.hasOwn(userEvents, name);
  const inSsn = Object.hasOwn(ssnEvents, name);
  if (inUser && (!inSsn || isUserType || code === userEvents.call_transfer)) {
    const n = name as UserEventName;
    return { family: "user", name: n, code: userEvents[n], params: p };
  }
  if (inSsn) {
    const n = name as SsnEventName;
    return { family: "ssn", name: n, code: ssnEvents[n], params: p };
  }
  if (!name && isUserType && code !== undefined) {
    const found = (Object.keys(userEvents) as UserEventName[]).find((k) => userEvents[k] === code);
    if (found) return { family: "user", name: found, code, params: p };
  }
  return { family: "unknown", name, code, params: p };
}

/** What a `cmd_failed` event says: the extension, the accepted request it concerns, and why. */
export function readCmdFailed(event: VoispeedEvent): { ext: string; requestId: string; error: string } | undefined {
  if (event.family !== "user" || event.name !== "cmd_failed") return undefined;
  const p = event.params;
  const msg = p[eventParams.errorMsg] || p.error || p.error_description || p.message || "";
  const code = p[eventParams.errorCode] || "";
  const error = msg && code ? `${msg} (code ${code})` : msg || (code ? `error code ${code}` : "no reason given");
  return { ext: p[eventParams.ext] ?? "", requestId: p[eventParams.requestId] ?? "", error };
}

// ---------------------------------------------------------------------------------------------------
// IVR script: an IVR node with "Follow script" GETs our URL and obeys the reply's commands.

/** Parameters of the IVR script call (S1 "IVR event logger"). */
export const ivrParams = {
  licenseId: "license_id",
  domain: "domain",
  ivrId: "ivrid",
  nodeId: "nodeid",
  callId: "callid",
  calling: "calling",
  called: "called",
  input: "input",
  /** Our own marker; -1 = unset. */
  tag: "tag",
} as const;

/** The key of an IVR node in the link's `ivrNodes`. */
export function ivrNodeKey(ivrId: string, nodeId: string): string {
  return `${ivrId.trim()}/${nodeId.trim()}`;
}

/** T15 (+ 4, described in the text): the first line of a script reply, `command=<code>`. */
export const ivrCommands = {
  endCall: 0,
  goToChild: 1,
  transferToNumber: 2,
  transferToEntity: 3,
  updateNode: 4,
} as const;

/** Reply lines are `key=value` separated by CR LF (values unquoted). */
export const IVR_REPLY_EOL = "\r\n";

// ---------------------------------------------------------------------------------------------------
// Rendering replies (for tests and peers that play VOIspeed).

export type XmlValue = string | number | XmlValue[] | { [name: string]: XmlValue };

function escapeXml(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

function renderValue(name: string, v: XmlValue): string {
  if (Array.isArray(v)) return v.map((x) => renderValue(name, x)).join("");
  if (typeof v === "object") {
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => renderValue(k, x))
      .join("")}</${name}>`;
  }
  return `<${name}>${escapeXml(String(v))}</${name}>`;
}

/** `<?xml …?><result>…</result>` with these children, in order; an array repeats its element. */
export function renderResult(body: Record<string, XmlValue>): string {
  const inner = Object.entries(body)
    .map(([k, v]) => renderValue(k, v))
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8" ?>\n<result>\n${inner}\n</result>`;
}
