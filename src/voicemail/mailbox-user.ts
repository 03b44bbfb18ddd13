/**
 * @module voicemail/mailbox-user
 * User parts and display names as mailbox candidates. Rooms are configured as plain extensions
 * ("101"), while PBXs write users as E.164 ("+15555551002"), with escapes or user parameters, or
 * carry the extension only inside a display name (Zoom: "Room 101 Smith").
 */
import { normalizeUser } from "../ivr/route.ts";

/**
 * The forms of a user part to look up as a room, best first: as normalized by the IVR (escapes
 * decoded, `;params` dropped), then without a leading "+" (a PBX that writes extensions as
 * "+101"). A stray scheme or host ("sip:101@pbx", from a hand-written `target`) is cut away.
 * Empty when nothing is left.
 */
export function userForms(raw: string | undefined): string[] {
  let user = normalizeUser(raw);
  if (user === undefined) return [];
  const colon = user.indexOf(":");
  if (colon >= 0) {
    const scheme = user.slice(0, colon).toLowerCase();
    if (scheme === "sip" || scheme === "sips" || scheme === "tel") user = user.slice(colon + 1);
  }
  const at = user.indexOf("@");
  if (at >= 0) user = user.slice(0, at);
  if (user === "") return [];
  if (user.charCodeAt(0) === 43 && user.length > 1) return [user, user.slice(1)];
  return [user];
}

/** The runs of ASCII digits in a display name, in order: "Room 101 Smith" → ["101"]. */
export function digitRuns(text: string | undefined): string[] {
  const runs: string[] = [];
  if (!text) return runs;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    const digit = c >= 48 && c <= 57;
    if (digit && start < 0) start = i;
    else if (!digit && start >= 0) {
      runs.push(text.slice(start, i));
      start = -1;
    }
  }
  return runs;
}

/** True when any form of `raw` is one of `numbers` (access numbers, the port's extension). */
export function userIn(raw: string | undefined, numbers: readonly string[]): boolean {
  for (const form of userForms(raw)) if (numbers.includes(form)) return true;
  return false;
}
