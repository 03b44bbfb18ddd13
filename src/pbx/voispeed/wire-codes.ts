/**
 * @module pbx/voispeed/wire-codes
 * The VOIspeed wire's names and code tables (entry module: wire.ts, which lists what is unverified):
 * service and parameter names of the SERI endpoint, the XML element names of its replies, user
 * modes, entity types, statuses, call outcomes, the user and extended events, and the parameters and
 * commands of the IVR-script call.
 */

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
