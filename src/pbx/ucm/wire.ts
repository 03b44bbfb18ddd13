/**
 * @module pbx/ucm/wire
 * Every action name, field name and status code the Grandstream UCM link puts on the wire, in one
 * place, shared by the driver and the simulator.
 *
 * UNVERIFIED: the session part (challenge → login with md5(challenge + password) → cookie in the JSON
 * body, the status codes) follows the published new HTTPS API v1.0 (specs/pbx-apis.md §2.1). The
 * `pmsapi` request below is NOT verified against a real UCM: Grandstream's PMS section of the API
 * guide was not available. Its fields are modelled on the documented old PMSAPI (`address`, `name`,
 * `extension`, `datein`, `dateout` as YYYYMMDD; specs §2.3) and on the DuVoice notes (guest category
 * 0/1, class of service 1–4, PMS user/password → an MD5 token). The PMS token formula
 * (`pmsToken`) is a guess too. Check this module against the UCM_API_Guide.pdf "PMS" section, or a
 * packet capture of a working integration, before the first site goes live; nothing else should need
 * to change.
 */
import { createHash } from "node:crypto";

export const API_VERSION = "1.0";

export const actions = {
  challenge: "challenge",
  login: "login",
  pms: "pmsapi",
} as const;

/** `pms_action` values inside a `pmsapi` request (unverified). */
export const pmsActions = { checkin: "checkin", checkout: "checkout", update: "update" } as const;
export type PmsAction = (typeof pmsActions)[keyof typeof pmsActions];

/** Fields of a `pmsapi` request (unverified names, see the module comment). */
export interface PmsFields {
  /** The room ("address" in the PMSAPI). */
  address: string;
  extension: string;
  name?: string;
  /** YYYYMMDD */
  datein?: string;
  /** YYYYMMDD */
  dateout?: string;
  /** Guest category code: 0 normal, 1 VIP. */
  guest_category?: 0 | 1;
  /** Class of service 1–4. */
  permission?: number;
}

export interface PmsRequest extends PmsFields {
  action: typeof actions.pms;
  cookie: string;
  pms_user: string;
  pms_token: string;
  pms_action: PmsAction;
}

export interface Envelope<T extends object = object> {
  request: T;
}

export interface UcmResponse {
  response?: Record<string, unknown>;
  status: number;
}

export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

/** API login token: md5(challenge + password), 32 lowercase hex (specs §2.1). */
export function loginToken(challenge: string, password: string): string {
  return md5Hex(challenge + password);
}

/** PMS token from the PMS user and password: md5(user + password), 32 UPPERCASE hex (unverified guess). */
export function pmsToken(user: string, password: string): string {
  return md5Hex(user + password).toUpperCase();
}

export function challengeRequest(user: string): Envelope {
  return { request: { action: actions.challenge, user, version: API_VERSION } };
}

export function loginRequest(user: string, token: string): Envelope {
  return { request: { action: actions.login, user, token } };
}

export function pmsRequest(
  cookie: string,
  auth: { user: string; token: string },
  pmsAction: PmsAction,
  fields: PmsFields,
): Envelope<PmsRequest> {
  return {
    request: {
      action: actions.pms,
      cookie,
      pms_user: auth.user,
      pms_token: auth.token,
      pms_action: pmsAction,
      ...fields,
    },
  };
}

/** ISO YYYY-MM-DD → the PMSAPI's YYYYMMDD. */
export function wireDate(iso: string): string {
  return iso.replaceAll("-", "");
}

export const WIRE_DATE = /^\d{8}$/;

/** Status codes of the new API (specs §2.1). */
export const status = {
  ok: 0,
  invalidParameters: -1,
  needAuthentication: -5,
  cookieError: -6,
  connectionClosed: -7,
  systemTimeout: -8,
  systemError: -9,
  invalidValue: -15,
  noSuchItem: -16,
  unsupported: -19,
  failedToOperate: -24,
  failedToUpdate: -25,
  failedToGet: -26,
  wrongAccountOrPassword: -37,
  dataModified: -43,
  alreadyAdded: -44,
  tooFrequent45: -45,
  tooFrequent46: -46,
  noPermission: -47,
  sensitiveCharacters: -50,
  anotherTaskRunning: -51,
  tooFrequent57: -57,
  loginRestriction: -68,
  conferenceInProgress: -69,
  loginForbidden: -70,
  noSuchUser: -71,
  conferenceBusy: -90,
  digitalCallsActive: -98,
} as const;

export const statusText: Record<number, string> = {
  0: "success",
  [-1]: "invalid parameters",
  [-5]: "need authentication",
  [-6]: "cookie error",
  [-7]: "connection closed",
  [-8]: "system timeout",
  [-9]: "abnormal system error",
  [-15]: "invalid value",
  [-16]: "no such item",
  [-19]: "unsupported",
  [-24]: "failed to operate",
  [-25]: "failed to update data",
  [-26]: "failed to get data",
  [-37]: "wrong account or password",
  [-43]: "data modified",
  [-44]: "item already added",
  [-45]: "too frequent",
  [-46]: "too frequent",
  [-47]: "no permission (caller IP not in the API permitted list)",
  [-50]: "sensitive characters",
  [-51]: "another task is running",
  [-57]: "too frequent",
  [-68]: "login restriction",
  [-69]: "conference in progress",
  [-70]: "login forbidden",
  [-71]: "username doesn't exist",
  [-90]: "conference busy",
  [-98]: "digital calls active",
};

export function describeStatus(code: number): string {
  return `status ${code} (${statusText[code] ?? "unknown"})`;
}
