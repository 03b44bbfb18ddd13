/**
 * @module config/snom-schema
 * `snom`: what SNOM room phones show, for every `snom` PBX link (issue 14 §1). How each link reaches
 * the phones (scheme, port, credentials) is the link's (pbx/snom/config.ts).
 *
 * - `idleTemplate`: the guest's name on the idle screen (`user_idle_text1`), rendered like the other
 *   name templates (domain/template.ts) with `room extension mailbox title first last vip language
 *   group arrival departure`.
 * - `vacantText`: the idle text of a vacant room, a template of the same variables (guest ones
 *   empty); "" hands the idle screen back to the phone's own text.
 * - `lockWhenBarred`: class of service 0 locks the keypad (`keyboard_lock`); off, and for CS 1–3,
 *   every class-of-service op unlocks it.
 * - `welcome`: a text shown once at check-in through the phone's XML minibrowser, per language
 *   (`{"en": {"title": "Welcome", "text": "Welcome ${title} ${last}"}, "de": …}`); the guest's FIAS
 *   GL picks the entry (as sent, else its ISO code: EA→en, GE→de, FR→fr, SP→es, IT→it), else `en`,
 *   else the first. null = off. The phone fetches the page from the appliance, so it needs
 *   `applianceUrl`.
 * - `applianceUrl`: where the phones reach the appliance's API (`http://10.20.0.2:8080`): the base of
 *   the welcome page the minibrowser fetches. null = no welcome.
 */
import * as v from "valibot";

const text = v.pipe(
  v.string(),
  v.maxLength(500),
  v.check(
    (s) => [...s].every((ch) => (ch.codePointAt(0) ?? 0) >= 0x20 || ch === "\n"),
    "must not contain control characters other than line breaks",
  ),
);

const welcomeEntry = v.strictObject({
  title: v.optional(text, ""),
  text: v.pipe(text, v.minLength(1)),
});

const applianceUrl = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.search === "" && u.hash === "";
    } catch {
      return false;
    }
  }, "expected the appliance's API as the phones reach it, e.g. http://10.20.0.2:8080"),
);

export const snomSchema = v.pipe(
  v.strictObject({
    /** The occupied room's idle text (`user_idle_text1`). */
    idleTemplate: v.optional(text, "${first} ${last}"),
    /** The vacant room's idle text; "" = the phone's own. */
    vacantText: v.optional(text, ""),
    /** Class of service 0 locks the keypad (`keyboard_lock`). */
    lockWhenBarred: v.optional(v.boolean(), false),
    /** Language (FIAS GL or ISO code) → the check-in welcome; null = none. */
    welcome: v.optional(
      v.nullable(
        v.pipe(
          v.record(
            v.pipe(v.string(), v.regex(/^[A-Za-z]{2,3}$/, "expected a language code such as en or EA")),
            welcomeEntry,
          ),
          v.check((m) => Object.keys(m).length > 0, "needs at least one language (or null for no welcome)"),
        ),
      ),
      null,
    ),
    /** Base URL the phones reach the appliance's API at; the welcome page is under it. */
    applianceUrl: v.optional(v.nullable(applianceUrl), null),
  }),
  v.forward(
    v.check(
      (s) => s.welcome === null || s.applianceUrl !== null,
      "is needed for snom.welcome: the phones fetch the welcome page from it (e.g. http://10.20.0.2:8080)",
    ),
    ["applianceUrl"],
  ),
);

export type SnomConfig = v.InferOutput<typeof snomSchema>;
export type SnomWelcome = NonNullable<SnomConfig["welcome"]>[string];
