/**
 * @module config/pms-mitel-schema
 * `pms.mitel`: the Mitel SX-200/SX-2000 PMS protocol (`pms.protocol: "mitel"`, over `pms.transport`
 * tcp with `pms.mode`/`host`/`port`, or serial with `pms.serial`). Timers are the spec's (shared notes
 * pms-protocols §1.2); change them only for a PMS that is known to differ.
 *
 * - `profile`: the site's layout (src/pms/mitel/profiles.ts): `sx2000` (SX-200/SX-2000/3300 fixed
 *   width, default), `mitel2` (room before a name of up to 40 characters), `phonesuite` (unpadded
 *   3–4 digit rooms).
 * - `roomWidth`: the room field's width for `sx2000`/`mitel2` (3300: 5–7 digit extensions); null =
 *   the profile's (5).
 * - `answerSeconds`: every answer (ACK/NAK) and the PMS's message after our ACK (3).
 * - `enqAttempts`: line bids (ENQ) per attempt before the PMS counts as down (21; older 3300
 *   releases 20); `messageAttempts`: attempts of one message, each from ENQ (6; older releases 5).
 * - `resyncIdleSeconds`: between GRS and END, this long without a message abandons the cycle (300).
 * - `requireEnq`: NAK a message that came without a line bid (strict reading; default off, some
 *   gateways skip the bid).
 * - `maidStatus`: housekeeping status (1–6 as in the API) → Mitel maid code 1–9 sent as STS; null =
 *   1→9, 2→7, 3→8, 4→6, 5→8, 6→6. Statuses left out are not sent.
 * - `moveWindowSeconds`: a check-out followed this soon by a check-in of the same guest name is a
 *   room move (domain/move-window.ts); 0 = off.
 */
import * as v from "valibot";

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

export const pmsMitelSchema = v.strictObject({
  profile: v.optional(v.picklist(["sx2000", "mitel2", "phonesuite"]), "sx2000"),
  roomWidth: v.optional(v.nullable(int(3, 7)), null),
  answerSeconds: v.optional(v.pipe(v.number(), v.minValue(0.5), v.maxValue(30)), 3),
  enqAttempts: v.optional(int(1, 100), 21),
  messageAttempts: v.optional(int(1, 20), 6),
  resyncIdleSeconds: v.optional(int(10, 3600), 300),
  requireEnq: v.optional(v.boolean(), false),
  maidStatus: v.optional(
    v.nullable(v.record(v.pipe(v.string(), v.regex(/^[0-9]{1,2}$/, "expected a housekeeping status 1–99")), int(1, 9))),
    null,
  ),
  moveWindowSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(120)), 10),
});

export type PmsMitelConfig = v.InferOutput<typeof pmsMitelSchema>;
