/**
 * @module sim/voispeed/model
 * The simulated VOIspeed PBX's entities, options and records. Entity records use the wire's tag
 * names (specs/voispeed-24u.md §1.4) so the XML is a field list away; fields only the simulator
 * needs (mode, divert target, module membership) are camelCase. Written from the spec on purpose,
 * without src/pbx/voispeed: the driver is tested against a peer that does not share its reading.
 */

/** T1: entity types. */
export const ENTITY = {
  user: 0,
  group: 1,
  gateway: 2,
  ivr: 3,
  device: 7,
  voicemail: 8,
  meetingRoom: 10,
  parkLine: 11,
  department: 13,
} as const;

/** T8: call outcomes, by the name the simulator's scripts use. */
export const OUTCOME = {
  unknown: 0,
  ok: 1,
  busy: 2,
  rejected: 3,
  unavailable: 4,
  noAnswer: 5,
  noLines: 6,
  dnd: 7,
  absent: 8,
  callingNoAnswer: 9,
  callingBusy: 10,
  rejectedByCalling: 11,
  callingUnavailable: 12,
  callingNoLines: 13,
} as const;

/** User modes of set_user_mode: only 2 is confirmed by the seed, the rest follow its list's order. */
export type UserMode = 1 | 2 | 3 | 4;

/** Effect of a mode on av_status (T2), the spec's choice: normal 2 available, DND 5, away 7 absent, divert 8. */
export const MODE_AV_STATUS: Record<UserMode, number> = { 1: 2, 2: 5, 3: 7, 4: 8 };

export interface SimUser {
  id: number;
  name: string;
  surname: string;
  extension: string;
  email: string;
  chat_status: number;
  numoffice: string;
  numhome: string;
  nummobile: string;
  numfax: string;
  phrase: string;
  mode: UserMode;
  /** Target of mode 4; the seed names no parameter for it (we read `number`). */
  divertTo: string | null;
  /** Covered by the integration module: user services and user events only for these. */
  inModule: boolean;
}

export interface SimGroup {
  id: number;
  name: string;
  /** The number routed to the group (routing rules are not modelled otherwise). */
  number: string;
  is_broadcast: number;
  visible: number;
  member_login: number;
  pick_disabled: number;
  ring_mode: number;
  /** Member user ids. */
  members: number[];
}

export interface SimGateway {
  id: number;
  name: string;
  type: number;
  enabled: number;
  link_status: number;
  lines: number;
  host_port: string;
}

export interface SimIvrNode {
  node_id: number;
  parent_id: number;
  description: string;
  select_key: string;
  go_back_key: string;
  audio_type: number;
  audio_message: string;
  audio_loop: number;
  input_type: number;
  input_length: number;
  term_char: string;
  timeout_last_digit: number;
  waiting_input_time: number;
  /** T12: 0 none, 1 next node (the caller's key picks a child), 2 make call, 3 run the script. */
  action: number;
  called_type: number | null;
  called_id: number | null;
  called_external_number: string;
  script: string;
}

export interface SimIvr {
  id: number;
  name: string;
  description: string;
  /** The number routed to this IVR. */
  number: string;
  nodes: SimIvrNode[];
}

export interface SimDevice {
  id: number;
  ownerId: number;
  user_agent: string;
  device_type: number;
  host_port: string;
  registered: number;
}

export interface SimVoicemail {
  id: number;
  vmid: number;
  vmname: string;
  vmcode: string;
  vmtobelisten: number;
  rectobelisten: number;
}

export interface SimParkLine {
  id: number;
  linecode: string;
  number: string;
  name: string;
  parktime: string;
  status: number;
  note: string;
  user_id: string;
}

/** A phonebook contact: the sync's field names; get_phonebook shows them as office/home/… */
export interface SimContact {
  contactId: number;
  name: string;
  surname: string;
  company: string;
  numoffice: string;
  numhome: string;
  nummobile: string;
  numsms: string;
  nummobil2: string;
  numfax: string;
  numother: string;
  email: string;
  is_favourite: number;
  /** "" for contacts made by add_phonebook. */
  uc_app_name: string;
  uc_external_id: string;
  /** As received: a JSON array text, or the string the client sent. */
  ext_info: string;
}

export const PHONE_FIELDS = ["numoffice", "numhome", "nummobile", "numsms", "nummobil2", "numfax", "numother"] as const;

/** One row of get_call_report (§1.4), as it is written. */
export interface CallReportRow {
  id: number;
  start_time: string;
  duration: number;
  outcome: number;
  calling_id: number;
  calling_type: number;
  calling_number: string;
  called_id: number;
  called_type: number;
  called_number: string;
  connected_id: number | "";
  connected_type: number | "";
  connected_number: string;
  ring_time: number;
  hold_time: number;
  ivr_time: number;
  talk_time: number;
  queue_time: number;
  call_ref_id: number | "";
  external_id: string;
  gateway_in: number | "";
  gateway_out: number | "";
  internal: number;
}

/** One row of get_user_call_report (§1.2). */
export interface UserCallReportRow {
  id: number;
  callid: number;
  start_time: string;
  answer_time: string;
  /** Talk seconds (0 when unanswered): what a call charge is made from. */
  duration: number;
  outcome: number;
  /** "in" or "out": the seed names the field, not its values. */
  direction: "in" | "out";
  my_number: string;
  remote_number: string;
  local_id: number;
  group_name: string;
  company: string;
  surname: string;
  name: string;
  remote_company: string;
  remote_surname: string;
  remote_name: string;
}

export interface VoispeedSimOptions {
  /** The module token (`token=`). Default "sim-token". */
  token?: string;
  /** The SERI endpoint path. Default "/PBX/seri_endpoint.php". */
  path?: string;
  /** Users with extensions from `firstExtension` (default 10 from 101). */
  users?: number;
  firstExtension?: number;
  /** Where events go (GET with a query string appended); null: recorded only. */
  notifyUrl?: string | null;
  /** Script URL of the seeded "Hotel services" IVR's root node (action 3). */
  ivrUrl?: string | null;
  /** `license_id` and `domain` sent to IVR scripts (the seed's example values by default). */
  licenseId?: string;
  domain?: string;
  /** Delay before an accepted asynchronous request runs. Default 50 ms. */
  asyncDelayMs?: number;
  /** `event_type` of the extended (SSN) events: unknown in the seed; ours is 3. User events are 2. */
  ssnEventType?: string;
  /** The module's event switches. Both default true. */
  userEvents?: boolean;
  extendedEvents?: boolean;
  /** Pad values with spaces as the seed's examples do (`<request_id> 1 </request_id>`). Default true. */
  padValues?: boolean;
  /** "seed": entity types 8 and 11 come without `<outcome>` as in the seed's examples (default). */
  entityOutcome?: "seed" | "always";
  /** Zone of the PBX's "YYYY-MM-DD hh:mm:ss" times. Default Europe/Rome. */
  timeZone?: string;
  /** Per event GET and per IVR script GET. Defaults 5000 ms. */
  eventTimeoutMs?: number;
  ivrTimeoutMs?: number;
  now?: () => number;
}

/** One request the simulator answered (or dropped), in arrival order. */
export interface VoispeedSimRequest {
  at: number;
  method: string;
  path: string;
  service: string;
  /** The query string (and, for a POST, the form fields other than `contacts`), secrets included. */
  params: Record<string, string>;
  /** Contacts in a phonebook_import_sync body, when it parsed. */
  contacts?: number;
  /** HTTP status; 0 when a fault dropped or hung the request. */
  status: number;
  outcome: "0" | "1" | null;
  error?: string;
  requestId?: string;
  /** The injected fault that answered instead, if any. */
  fault?: string;
  /** The reply body. */
  body: string;
}

/** A reply fault for the next matching requests. */
export type ReplyFault =
  | { kind: "http"; status: number; body?: string }
  /** outcome 1 with this error text, before any check. */
  | { kind: "reject"; error: string }
  /** A body that is not the envelope (HTML, truncated XML, …). */
  | { kind: "garbage"; body: string }
  /** The right answer, late. */
  | { kind: "delay"; ms: number }
  /** No answer at all (the socket stays open until close()). */
  | { kind: "hang" }
  /**
   * The connection is destroyed without a reply. A client may retry a GET on a new connection when a
   * reused keep-alive one is dropped (Bun's fetch does): give such a client count 2.
   */
  | { kind: "drop" };

/** An accepted request that fails when it runs: a cmd_failed event with this text. */
export class SimFailure extends Error {}

/** A request the PBX refuses at once: outcome 1 with this text. */
export class ServiceError extends Error {}
