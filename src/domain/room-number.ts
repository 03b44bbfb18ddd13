/**
 * @module domain/room-number
 * The one rule for a room number, whatever brings it: an API path or body, a PMS record (RN, RO of a
 * move), a room created on first sight. 1-20 letters, digits, `.`, `_` or `-`, starting with a
 * letter or digit. Room numbers go into FIAS records (`RN101|`), SIP and API paths, so `|`, `$`,
 * spaces and control characters never get in, and every room that exists can be addressed by the API.
 */

export const ROOM_NUMBER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/;

export const ROOM_NUMBER_RULE = "a room number is 1-20 letters, digits, '.', '_' or '-'";

export function isRoomNumber(s: string): boolean {
  return ROOM_NUMBER_PATTERN.test(s);
}

/** Longest piece of a refused number repeated in a message (a PMS once sent 1,900 digits). */
const SHOWN = 24;

/**
 * Why `value` is not a room number (`what` names where it came from: "RN", "room"), or undefined
 * when it is one. The value is quoted as JSON, cut short when long, so the message stays one line.
 */
export function roomNumberProblem(value: string, what = "room"): string | undefined {
  if (isRoomNumber(value)) return undefined;
  const shown =
    value.length > SHOWN
      ? `${JSON.stringify(value.slice(0, SHOWN)).slice(0, -1)}…" (${value.length} characters)`
      : JSON.stringify(value);
  return `${what} ${shown} is not a room number (${ROOM_NUMBER_RULE})`;
}
