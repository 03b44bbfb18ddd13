/**
 * @module pbx/snom/wire
 * Every SNOM URL, query key, setting name and XML tag the appliance uses, in one place, to be
 * corrected here when a real phone disagrees (specs/voispeed-24u.md §2.8, pbx-apis.md §4.1).
 *
 * Sources and what is not verified on a real phone:
 * - `command.htm?key=K[,ms[,pause]][;K…]`, `?number=N&outgoing_uri=U`, `?RELEASE_ALL_CALLS`,
 *   `?key_dtmf=N`: SNOM's wiki "Can I control my snom phone remotely" [official].
 * - `dummy.htm?settings=save&name=value…` (or `settings.htm`), `&store_settings=save` to persist:
 *   [3rd] provisioning code. A phone answers 200 with an HTML page, which is ignored.
 * - `dnd_mode` on/off [official wiki]; since firmware 8.7.3 DND is per identity and whether the
 *   global name still works is UNVERIFIED (spec §3 question 4).
 * - `user_idle_text1` (idle-screen text of identity 1) [3rd]; `keyboard_lock` on/off [3rd code]:
 *   check on the model which numbers a locked keypad still dials (emergency).
 * - `minibrowser.htm?url=<URL-encoded absolute URL>`: the phone fetches the URL and shows the XML
 *   (push since fw 8.2.7; ≥ 8.4.32 needs the scheme and URL-encoding) [official wiki].
 * - `SnomIPPhoneText` with `Title`, `Text`, `SoftKeyItem{Name, Label, URL}`: docs.snom.io XML
 *   minibrowser [official]; `Label` and `snom://mb_exit` as an exit softkey are UNVERIFIED.
 * - Action URL setting names [3rd, snom provisioning code]: note `action_hold` / `action_unhold`
 *   without `_url`, unlike the others.
 * - Keys: CANCEL ENTER OFFHOOK ONHOOK UP DOWN LEFT RIGHT REDIAL DND REC F1..F4 SPEAKER HEADSET
 *   TRANSFER F_HOLD 0-9 * # P1..Pn [official wiki]; models have more (F_CONFERENCE…), so any
 *   upper-case key name is let through, and `#`/`*` are percent-encoded.
 *
 * Values are percent-encoded as UTF-8 (`encodeURIComponent`, plus `*` → %2A as the wiki asks and
 * `!'()` for good measure); `;` and `,` between key events stay literal, as in the wiki's examples.
 */

/** Request paths on the phone. */
export const paths = {
  command: "/command.htm",
  /** Settings are saved through any page that takes `settings=save`; dummy.htm renders least. */
  settings: "/dummy.htm",
  /** The alternative some firmware wants. */
  settingsAlt: "/settings.htm",
  minibrowser: "/minibrowser.htm",
} as const;

/** Query keys. */
export const query = {
  key: "key",
  number: "number",
  outgoingUri: "outgoing_uri",
  keyDtmf: "key_dtmf",
  releaseAllCalls: "RELEASE_ALL_CALLS",
  settings: "settings",
  /** `settings=save`: the other query parameters are settings to set. */
  save: "save",
  /** `store_settings=save`: write them to flash as well (they survive a reboot). */
  storeSettings: "store_settings",
  minibrowserUrl: "url",
} as const;

/** Setting names. */
export const settingNames = {
  dnd: "dnd_mode",
  keyboardLock: "keyboard_lock",
  /** Idle-screen text of an identity (1-based). */
  idleText: (identity = 1) => `user_idle_text${identity}`,
  /** Display name sent to called parties (the PBX may override it). */
  realName: (identity = 1) => `user_realname${identity}`,
} as const;

export const ON = "on";
export const OFF = "off";
export const onOff = (on: boolean) => (on ? ON : OFF);

/** The phone events whose action URLs the appliance (and the CTI server) may set. */
export const actionEvents = [
  "setup",
  "logOn",
  "logOff",
  "registrationFailed",
  "incoming",
  "outgoing",
  "connected",
  "disconnected",
  "missed",
  "offhook",
  "onhook",
  "hold",
  "unhold",
  "dndOn",
  "dndOff",
  "transfer",
] as const;
export type SnomActionEvent = (typeof actionEvents)[number];

/** Event → the setting holding its action URL. */
export const actionUrlSettings: Readonly<Record<SnomActionEvent, string>> = {
  setup: "action_setup_url",
  logOn: "action_log_on_url",
  logOff: "action_log_off_url",
  /** No `_url` suffix. */
  registrationFailed: "action_reg_failed",
  incoming: "action_incoming_url",
  outgoing: "action_outgoing_url",
  connected: "action_connected_url",
  disconnected: "action_disconnected_url",
  missed: "action_missed_url",
  offhook: "action_offhook_url",
  onhook: "action_onhook_url",
  /** No `_url` suffix. */
  hold: "action_hold",
  /** No `_url` suffix. */
  unhold: "action_unhold",
  dndOn: "action_dnd_on_url",
  dndOff: "action_dnd_off_url",
  transfer: "action_transfer",
};

/** Variables the phone substitutes in action URLs (wiki "Action URL"); passwords expand empty. */
export const actionUrlVariables = [
  "$mac",
  "$phone_ip",
  "$local",
  "$remote",
  "$active_url",
  "$active_user",
  "$active_host",
  "$csta_id",
  "$call-id",
  "$display_local",
  "$display_remote",
  "$active_key",
  "$nr_ongoing_calls",
  "$context_url",
  "$cancel_reason",
] as const;

/** The documented keys; `isSnomKey` accepts these and any other upper-case key name. */
export const snomKeys: readonly string[] = [
  "CANCEL",
  "ENTER",
  "OFFHOOK",
  "ONHOOK",
  "UP",
  "DOWN",
  "LEFT",
  "RIGHT",
  "REDIAL",
  "DND",
  "REC",
  "F1",
  "F2",
  "F3",
  "F4",
  "SPEAKER",
  "HEADSET",
  "TRANSFER",
  "F_HOLD",
  ..."0123456789*#",
];

/**
 * One key event: a key (`OFFHOOK`, `P3`, `5`, `#`), optionally `,ms` held and `,ms` pause after.
 * Anything else (a `;`, `&`, a space) is refused so a caller cannot smuggle another request in.
 */
export function isSnomKey(event: string): boolean {
  return /^(?:[0-9*#]|[A-Z][A-Z0-9_]{0,31})(?:,\d{1,5}(?:,\d{1,5})?)?$/.test(event);
}

/** A query value as SNOM's wiki encodes it: UTF-8 percent-encoding, `*` as %2A. */
export function encodeValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `name=value&…` from ordered pairs; a pair with value null is a bare name (`?RELEASE_ALL_CALLS`). */
export function queryString(pairs: readonly (readonly [string, string | null])[]): string {
  return pairs.map(([k, val]) => (val === null ? encodeValue(k) : `${encodeValue(k)}=${encodeValue(val)}`)).join("&");
}

/** `/command.htm?key=…`: key events joined by `;` (each percent-encoded, the separators not). */
export function keyRequest(events: readonly string[]): string {
  return `${paths.command}?${query.key}=${events.map((e) => e.split(",").map(encodeValue).join(",")).join(";")}`;
}

/** `/command.htm?number=N[&outgoing_uri=U]`: the phone dials N. */
export function dialRequest(number: string, outgoingUri?: string): string {
  const pairs: [string, string][] = [[query.number, number]];
  if (outgoingUri) pairs.push([query.outgoingUri, outgoingUri]);
  return `${paths.command}?${queryString(pairs)}`;
}

/** `/command.htm?RELEASE_ALL_CALLS`. */
export function releaseAllCallsRequest(): string {
  return `${paths.command}?${queryString([[query.releaseAllCalls, null]])}`;
}

/** `/command.htm?key_dtmf=N`: DTMF into the call in progress. */
export function dtmfRequest(digits: string): string {
  return `${paths.command}?${queryString([[query.keyDtmf, digits]])}`;
}

/** `/dummy.htm?settings=save&name=value…[&store_settings=save]`. */
export function settingsRequest(
  settings: Readonly<Record<string, string>>,
  opts: { store?: boolean; path?: string } = {},
): string {
  const pairs: [string, string][] = [[query.settings, query.save]];
  for (const [k, val] of Object.entries(settings)) pairs.push([k, val]);
  if (opts.store ?? true) pairs.push([query.storeSettings, query.save]);
  return `${opts.path ?? paths.settings}?${queryString(pairs)}`;
}

/** A setting name as SNOM spells them (letters, digits, `_`, an optional `[n]` index). */
export function isSettingName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]{0,63}(?:\[\d{1,3}\])?$/.test(name);
}

/** `/minibrowser.htm?url=<encoded URL>`: the phone fetches the URL and shows the XML page. */
export function minibrowserRequest(url: string): string {
  return `${paths.minibrowser}?${queryString([[query.minibrowserUrl, url]])}`;
}

// ---------------------------------------------------------------- XML minibrowser pages

export const XML_CONTENT_TYPE = "text/xml; charset=utf-8";

/** Closes the minibrowser (an exit softkey's URL). */
export const MB_EXIT = "snom://mb_exit";

export interface SoftKey {
  /** The key: F1…F4. */
  name: string;
  label: string;
  url: string;
}

export interface SnomText {
  title: string;
  text: string;
  softKeys?: readonly SoftKey[];
}

/** Text for an XML element: `& < > " '` escaped, control characters other than line breaks dropped. */
export function xmlEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 && ch !== "\n" && ch !== "\t") continue;
    if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    else if (ch === "'") out += "&apos;";
    else out += ch;
  }
  return out;
}

/** A `SnomIPPhoneText` page. */
export function snomTextXml(page: SnomText): string {
  const keys = (page.softKeys ?? [])
    .map(
      (k) =>
        `<SoftKeyItem><Name>${xmlEscape(k.name)}</Name><Label>${xmlEscape(k.label)}</Label><URL>${xmlEscape(k.url)}</URL></SoftKeyItem>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<SnomIPPhoneText><Title>${xmlEscape(page.title)}</Title><Text>${xmlEscape(page.text)}</Text>${keys}</SnomIPPhoneText>\n`;
}

/** The welcome page: its text and an OK softkey that closes it. */
export function welcomeXml(title: string, text: string): string {
  return snomTextXml({ title, text, softKeys: [{ name: "F1", label: "OK", url: MB_EXIT }] });
}

// ---------------------------------------------------------------- the appliance's own URL

/**
 * Where the phone fetches a room's welcome page on the appliance (served by
 * api/routes/phone-events-snom.ts, only to that room's phone).
 */
export const WELCOME_PATH = "/api/v1/snom/welcome";

export function welcomeUrl(applianceUrl: string, room: string): string {
  return `${applianceUrl.replace(/\/+$/, "")}${WELCOME_PATH}/${encodeURIComponent(room)}.xml`;
}
