/**
 * @module config/companion-schema
 * `companion`: the 24U Phone Companion compatible CTI server (issue 14 §2; README "24U Phone
 * Companion compatible CTI server"). Off unless `listen` is set. The protocol has no authentication,
 * so only `networks` may connect (loopback by default).
 */
import * as v from "valibot";
import { cidrProblem } from "../lib/networks.ts";

const hostPort = v.pipe(
  v.string(),
  v.check((s) => {
    const i = s.lastIndexOf(":");
    const digits = s.slice(i + 1);
    if (i <= 0 || digits.length === 0 || digits.length > 5) return false;
    for (const ch of digits) if (ch < "0" || ch > "9") return false;
    return Number(digits) <= 65535 && s.slice(0, i).trim() === s.slice(0, i);
  }, "expected HOST:PORT, e.g. 0.0.0.0:26535"),
);

const cidr = v.pipe(
  v.string(),
  v.check((s) => cidrProblem(s) === undefined, "expected an IP address or CIDR network, e.g. 10.20.0.0/16"),
);

const httpUrl = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.search === "" && u.hash === "";
    } catch {
      return false;
    }
  }, "expected the appliance's API as the phones reach it, e.g. http://192.0.2.10:8080"),
);

export const companionSchema = v.strictObject({
  /** Where the CTI server listens (24U's serverPort is 26535), e.g. "0.0.0.0:26535"; null = off. */
  listen: v.optional(v.nullable(hostPort), null),
  /** Who may open a channel; anyone else is closed at once and counted. */
  networks: v.optional(v.array(cidr), ["127.0.0.0/8", "::1/128"]),
  /**
   * A 24U server configuration file whose `phone=EXT@IP cfgfile [user password]` lines add phones
   * (before the rooms' own); re-read every 5 s. null = the rooms' phones only.
   */
  phonesFile: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
  /**
   * The staff API as the phones reach it, for the action URLs MonitorStart sets (e.g.
   * "http://192.0.2.10:8080"). null = `snom.applianceUrl`, else api.listen when it names an
   * address, else the appliance's address toward each phone.
   */
  callbackUrl: v.optional(v.nullable(httpUrl), null),
});

export type CompanionConfig = v.InferOutput<typeof companionSchema>;
