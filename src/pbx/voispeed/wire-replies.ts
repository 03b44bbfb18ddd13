/**
 * @module pbx/voispeed/wire-replies
 * What VOIspeed's replies say: outcome, error and request id, the rows of the entity and call
 * reports, the import result, and which reject texts a retry cannot fix (entry module: wire.ts).
 */
import { xml } from "./wire-codes.ts";
import { child, childNumber, childrenNamed, childText, parseXml, type XmlElement } from "./wire-xml.ts";

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
