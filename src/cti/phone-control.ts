/**
 * @module cti/phone-control
 * What the CTI server needs from a phone, as an interface: the SNOM HTTP client adapts to it
 * (cti/snom-control.ts), tests give a fake. Each method resolves once the phone accepted the request
 * (HTTP 2xx) and rejects otherwise (unreachable, timeout, 401, 5xx): that is the line between
 * `error_ind SUCCESS` and `error_ind ERROR`.
 */

/** A phone the CTI server may drive: from the phones file or a room's learned phone. */
export interface CtiPhone {
  extension: string;
  /** The phone's HTTP host: an IP address, `IP:port` or `[IPv6]:port`. */
  host: string;
  /** The IP alone (callbacks are accepted from it only). */
  ip: string;
  /** HTTP credentials from the phones file; absent = the SNOM link's (or none). */
  user?: string;
  password?: string;
  source: "phones-file" | "room";
}

/**
 * Keys the commands press (SNOM `command.htm?key=`; spec §2.5 and §2.8). HOLD toggles on SNOM, so
 * HoldCall and RetrieveCall press the same key. ClearConnection presses CANCEL, which ends a call in
 * progress and rejects a ringing one (ONHOOK does nothing to a ringing phone whose handset is down).
 */
export const CTI_KEYS = {
  AnswerCall: "OFFHOOK",
  ClearConnection: "CANCEL",
  HoldCall: "F_HOLD",
  RetrieveCall: "F_HOLD",
  TransferCall: "TRANSFER",
} as const;
export type CtiKey = (typeof CTI_KEYS)[keyof typeof CTI_KEYS];

/**
 * The phone events MonitorStart asks the phone to report (SNOM action URLs: action_incoming_url,
 * action_outgoing_url, action_connected_url, action_disconnected_url, action_missed_url, action_hold,
 * action_unhold, action_dnd_on_url, action_dnd_off_url).
 */
export const PHONE_EVENTS = [
  "incoming",
  "outgoing",
  "connected",
  "disconnected",
  "missed",
  "hold",
  "unhold",
  "dnd-on",
  "dnd-off",
] as const;
export type PhoneEvent = (typeof PHONE_EVENTS)[number];

/** The URL the phone calls for each event (with the phone's `$remote`, `$call-id` variables in it). */
export type ActionUrls = Record<PhoneEvent, string>;

export interface PhoneControl {
  /**
   * The phone dials `number` (click-to-dial). `transfer`: a TransferCall was pressed on it just
   * before, so the number completes the transfer (24U: TransferCall followed by MakeCall).
   */
  dial(phone: CtiPhone, number: string, opts?: { transfer?: boolean }): Promise<void>;
  pressKey(phone: CtiPhone, key: CtiKey): Promise<void>;
  /** Points the phone's action URLs at the appliance (saved on the phone). */
  setActionUrls(phone: CtiPhone, urls: ActionUrls): Promise<void>;
}

/** The control used when no SNOM client is wired: every request fails, so every command is ERROR. */
export const noPhoneControl: PhoneControl = {
  dial: () => Promise.reject(new Error("no phone control is configured")),
  pressKey: () => Promise.reject(new Error("no phone control is configured")),
  setActionUrls: () => Promise.reject(new Error("no phone control is configured")),
};
