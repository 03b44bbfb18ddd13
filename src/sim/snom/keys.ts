/**
 * @module sim/snom/keys
 * `command.htm?key=KEYEVENT[;KEYEVENT…]`, KEYEVENT = `Key[,TimeMs[,PauseMs]]` (SNOM "Can I control my
 * snom phone remotely" [official]). Key names are case-sensitive, "written exactly as shown … in
 * capital letters": `offhook` or `HOLD` are unknown keys, recorded and ignored (§2.9), so a client
 * that sends them is caught. Besides the documented list, the F_ names SNOM uses for function-key
 * "keyevent"s are accepted (F_REDIAL, F_TRANSFER, F_DND, F_MUTE, F_CONFERENCE) [3rd, unverified on
 * command.htm]. Times are validated and recorded, not waited for (ours).
 */

const DOCUMENTED = [
  "CANCEL",
  "ENTER",
  "OFFHOOK",
  "ONHOOK",
  "RIGHT",
  "LEFT",
  "UP",
  "DOWN",
  "VOLUME_UP",
  "VOLUME_DOWN",
  "MENU",
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
  "F_R", // the hold key before F_HOLD
  "DISCONNECT",
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
  "*",
  "#",
];
const KEYEVENT_NAMES = ["F_REDIAL", "F_TRANSFER", "F_DND", "F_MUTE", "F_CONFERENCE"];

const NAMED: ReadonlySet<string> = new Set([...DOCUMENTED, ...KEYEVENT_NAMES]);

/** P1…P99 (programmable keys) and EK0…EK99 (expansion module). */
function numberedKey(key: string): boolean {
  const m = /^(P|EK)(\d{1,2})$/.exec(key);
  if (!m) return false;
  const n = Number(m[2]);
  return m[1] === "P" ? n >= 1 : n >= 0;
}

export function isKnownKey(key: string): boolean {
  return NAMED.has(key) || numberedKey(key);
}

export interface KeyEvent {
  key: string;
  /** How long the key is held, ms. */
  ms: number | null;
  /** Pause before the next key, ms. */
  pauseMs: number | null;
  /** Is in SNOM's key list (and its times are whole numbers). */
  known: boolean;
  /** Why it is ignored, when not known. */
  problem?: string;
}

function time(v: string | undefined): number | null | undefined {
  if (v === undefined || v === "") return null;
  return /^\d{1,6}$/.test(v) ? Number(v) : undefined;
}

/** The events of a `key=` value (already URL-decoded), in order. Empty events are skipped. */
export function parseKeys(value: string): KeyEvent[] {
  const out: KeyEvent[] = [];
  for (const part of value.split(";")) {
    if (part === "") continue;
    const [key, msRaw, pauseRaw, ...extra] = part.split(",");
    const ms = time(msRaw);
    const pauseMs = time(pauseRaw);
    const ev: KeyEvent = { key, ms: ms ?? null, pauseMs: pauseMs ?? null, known: isKnownKey(key) };
    if (!ev.known) ev.problem = `unknown key "${key}"`;
    else if (ms === undefined || pauseMs === undefined || extra.length > 0) {
      ev.known = false;
      ev.problem = `malformed key event "${part}"`;
    }
    out.push(ev);
  }
  return out;
}

export const DIGIT_KEYS: ReadonlySet<string> = new Set(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]);
