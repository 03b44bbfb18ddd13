/**
 * @module sim/snom/model
 * The simulated SNOM desk phone's records and options (specs/voispeed-24u.md §2.8–2.9, pbx-apis.md
 * §4.1). Written from the spec on purpose, without src/pbx/snom: the driver and the CTI server are
 * tested against a peer that does not share their reading. Where the spec is silent the choice is
 * marked "(ours)" here or in the module that makes it.
 */

export type AuthScheme = "basic" | "digest";

/**
 * A call's state. `calling` (ours) is an outgoing call the far end has not answered yet: the spec's
 * four states (idle, ringing, talking, held) leave it out, and OFFHOOK must not "answer" it.
 */
export type CallState = "ringing" | "calling" | "talking" | "held" | "ended";

/** What a line (call appearance) shows: idle, or its call's state. */
export type LineState = "idle" | Exclude<CallState, "ended">;

export type EndReason =
  | "hangup" // the phone's user (ONHOOK, CANCEL, DISCONNECT, hangup())
  | "remote-hangup"
  | "rejected" // CANCEL on a ringing call
  | "busy" // the far end was busy
  | "dnd" // refused at once: DND on
  | "unavailable" // refused at once: no identity registered
  | "no-line" // refused at once: every line taken
  | "transferred"
  | "released" // command.htm?RELEASE_ALL_CALLS
  | "reboot"; // dropped without any action URL

export interface SnomCall {
  /** 1, 2, … per phone; also `$csta_id`. */
  id: number;
  /** The SIP Call-ID (`$call-id`). */
  callId: string;
  /** Line (call appearance) 1…lines; its function key is `P<line>` (`$active_key`). */
  line: number;
  direction: "in" | "out";
  /** The other party's number (or URI, as given). */
  remote: string;
  /** The other party's display name, "" when unknown. */
  remoteName: string;
  state: CallState;
  /** Every state the call went through, in order. */
  history: CallState[];
  /** TRANSFER was pressed: the call is held until a target is dialled or CANCEL. */
  transferPending: boolean;
  /** DTMF sent while talking (digit keys, key_dtmf). */
  dtmf: string;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: EndReason | null;
  /** The number a blind transfer sent the call to, or the other call's party for an attended one. */
  transferredTo: string | null;
  /** `$cancel_reason`: the Reason the far end gave when it cancelled, "" otherwise. */
  cancelReason: string;
}

/** The events that fire action URLs, and the settings holding their URLs. */
export const ACTION_SETTINGS = {
  setup: ["action_setup_url"],
  log_on: ["action_log_on_url"],
  log_off: ["action_log_off_url"],
  reg_failed: ["action_reg_failed"],
  incoming: ["action_incoming_url"],
  outgoing: ["action_outgoing_url"],
  connected: ["action_connected_url"],
  disconnected: ["action_disconnected_url"],
  missed: ["action_missed_url"],
  offhook: ["action_offhook_url"],
  onhook: ["action_onhook_url"],
  dnd_on: ["action_dnd_on_url"],
  dnd_off: ["action_dnd_off_url"],
  // pbx-apis.md §4.1 names these without `_url` [3rd]; the `_url` forms are accepted too (ours), since
  // the names are unverified and the other action settings all end in `_url`. Both fire when both are set.
  hold: ["action_hold", "action_hold_url"],
  unhold: ["action_unhold", "action_unhold_url"],
  transfer: ["action_transfer", "action_transfer_url"],
  blind_transfer: ["action_blind_transfer", "action_blind_transfer_url"],
  attended_transfer: ["action_attended_transfer", "action_attended_transfer_url"],
} as const satisfies Record<string, readonly string[]>;

export type ActionEvent = keyof typeof ACTION_SETTINGS;

export interface FiredAction {
  seq: number;
  at: number;
  event: ActionEvent;
  setting: string;
  /** The setting's value as stored. */
  template: string;
  /** The URL after `$variable` expansion, as requested. */
  url: string;
  /** `$names` that are neither a runtime variable nor a setting: left in the URL as written. */
  unknownVariables: string[];
  /** The call it is about, if any. */
  call: number | null;
  /** HTTP status; null when it failed (network, timeout). */
  status: number | null;
  error?: string;
  /** When the GET went out (after the ones before it were answered) and when it was answered or failed. */
  sentAt?: number;
  doneAt?: number;
}

/** What the phone can be told to do wrong, per request. `timeout` is an alias of `hang`. */
export type FaultKind = "hang" | "slow" | "401" | "500" | "drop";

export interface Fault {
  kind: FaultKind;
  /** slow: the delay before the normal answer. */
  ms?: number;
  /** Only requests to this path (e.g. "/command.htm"). */
  path?: string;
}

export type AuthOutcome = "none" | "ok" | "missing" | "wrong" | "stale" | "scheme";

/** One HTTP request the phone received, as logged. */
export interface SnomRequest {
  seq: number;
  at: number;
  /** 1-based phone number within a simulator, and its address. */
  phone: number;
  ip: string;
  method: string;
  path: string;
  /** The raw query string (without `?`). */
  query: string;
  params: Record<string, string>;
  auth: AuthOutcome;
  /** 0 when no answer was sent (hang, drop). */
  status: number;
  fault?: FaultKind;
  /** What the request did, in words ("key OFFHOOK: call 1 talking", "saved dnd_mode=on"). */
  effects: string[];
  /** Key names not in SNOM's list (recorded and ignored, §2.9). */
  unknownKeys: string[];
}

export interface SnomPhoneOptions {
  /** HTTP user; null or "" = no authentication (SNOM's default). Default: null. */
  user?: string | null;
  password?: string;
  /** basic (default) or digest (SNOM's "Authentication Scheme" = http_scheme on). */
  auth?: AuthScheme;
  /** Realm of the 401 challenge. Default "snom" (ours: the real one is unknown). */
  realm?: string;
  /** Digest nonces older than this are answered stale=true. Default 300 s. */
  nonceSeconds?: number;
  /** The first identity's user (user_name1, `$active_user`). Default "101". */
  extension?: string;
  /** Registrar host (user_host1, `$active_host`). Default "pbx.hotel.test". */
  domain?: string;
  /** 12 hex digits, SNOM's OUI 000413 by default ("000413000001"). */
  mac?: string;
  /** `$phone_ip`; default the address the phone listens on (127.0.0.1 for a wildcard). */
  phoneIp?: string;
  /** Call appearances. Default 4. */
  lines?: number;
  /** Identities (SIP accounts) 1…n, n ≤ 12. Default 1. */
  identities?: number;
  /** Settings the phone starts with, over the defaults (e.g. action URLs). */
  settings?: Record<string, string>;
  /** Action URL GET time-out. Default 5000 ms. */
  actionTimeoutMs?: number;
  /** Minibrowser fetch time-out. Default 5000 ms. */
  fetchTimeoutMs?: number;
  /** How long a reboot keeps the listener closed. Default 200 ms. */
  rebootMs?: number;
  /** An outgoing call is answered by the far end after this long; null = only by remoteAnswer(). */
  remoteAnswerMs?: number | null;
  /** Fire action_setup_url and action_log_on_url once listening (as a phone that boots). Default true. */
  announce?: boolean;
  /** `$remote`/`$local` as SIP URIs (sip:N@domain, default) or bare numbers (ours: SNOM sends URIs). */
  uriVariables?: boolean;
  /** A reboot forgets settings saved without store_settings=save. Default false (ours). */
  volatileUnstored?: boolean;
  /** Serve /sim/… (JSON control for installers). Default true. */
  control?: boolean;
  now?: () => number;
}
