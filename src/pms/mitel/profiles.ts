/**
 * @module mitel/profiles
 * Site profiles of the Mitel PMS protocol (`pms.mitel.profile`): the same messages, laid out
 * differently by the PBXs and PMSs that speak it (shared notes pms-protocols §1.1, §1.3).
 *
 * - `sx2000` (default): SX-200/SX-2000/3300 fixed width. FUNCTION(3) STATUS(2) ROOM(5), the room
 *   space-padded (never zeros): we send it right-padded (`STS2 101  `), the PMS may pad either side.
 *   Names: `NAM` op `␠` NAME(21, "SURNAME,FIRST" left-justified) ROOM(5) = 31 bytes.
 * - `mitel2`: as sx2000, but the room comes first and a name of up to 40 characters after it
 *   (`NAM2  101 LAST,FIRST`), so a long name does not move the room; a check-in may carry the name
 *   too (`CHK1  101 LAST,FIRST`).
 * - `phonesuite`: PhoneSuite/Voiceware "Mitel-compatible": 3–4 digit rooms, unpadded, after one
 *   space (`CHK1 101`, `WKP0630 101`); names room first (`NAM1 101 LAST,FIRST`, our choice: a
 *   variable-width room cannot follow a name that may hold spaces; layout UNCONFIRMED).
 *
 * Receiving is lenient about padding in every profile: the room is the field with its spaces trimmed.
 */

export const mitelProfiles = ["sx2000", "mitel2", "phonesuite"] as const;
export type MitelProfileName = (typeof mitelProfiles)[number];

export interface MitelProfile {
  readonly name: MitelProfileName;
  /** Width of the room field we send (right-padded); 0 = unpadded, after one space. */
  readonly roomWidth: number;
  /** `name-room`: NAME(nameWidth) then the room (sx2000); `room-name`: the room, a space, the name. */
  readonly nameLayout: "name-room" | "room-name";
  /** Longest name; sx2000 pads names to it (20 characters and a blank = 21). */
  readonly nameWidth: number;
  /** A check-in may carry the guest's name after the room (Mitel 2). */
  readonly checkInName: boolean;
}

export const MITEL_PROFILES: Record<MitelProfileName, MitelProfile> = {
  sx2000: { name: "sx2000", roomWidth: 5, nameLayout: "name-room", nameWidth: 21, checkInName: false },
  mitel2: { name: "mitel2", roomWidth: 5, nameLayout: "room-name", nameWidth: 40, checkInName: true },
  phonesuite: { name: "phonesuite", roomWidth: 0, nameLayout: "room-name", nameWidth: 40, checkInName: false },
};

export function isMitelProfile(s: string): s is MitelProfileName {
  return (mitelProfiles as readonly string[]).includes(s);
}

/**
 * A profile with the site's room width (3300: 5–7 digit extensions; the rule beyond 5 is
 * UNCONFIRMED, so a wider field is the installer's call). Rooms longer than the field are sent whole.
 */
export function mitelProfile(name: MitelProfileName = "sx2000", roomWidth?: number | null): MitelProfile {
  const p = MITEL_PROFILES[name];
  if (roomWidth === undefined || roomWidth === null || p.roomWidth === 0) return p;
  return { ...p, roomWidth };
}
