/**
 * @module pbx/snom/config
 * Settings of a SNOM link (issue 14 §1): the appliance drives each room's SNOM desk phone over the
 * phone's own HTTP interface (specs/voispeed-24u.md §2.8), at the IP the appliance knows for the
 * room (phone events or PUT /api/v1/rooms). What the phones show (idle text, vacant text, lock,
 * welcome) is the `snom` section of the configuration (config/snom-schema.ts), shared by every SNOM
 * link; this file holds how to reach the phones.
 *
 * Trust: phones are reached by IP on the phone VLAN, and their certificates name a MAC or a model,
 * never that IP. `https` encrypts always; with `caFile` (the CA that signs the phones' certificates:
 * the hotel's provisioning CA or SNOM's device CA) the chain is verified, the host name is not.
 * Without `caFile` an https certificate is not checked (a warning at start): it still keeps the
 * password and guest names from passive listeners, which plain `http` does not. Over `http`, prefer
 * Digest on the phones ("Authentication Scheme"), so the password never crosses the VLAN in clear.
 *
 * Secrets: `password` is never returned by the API nor logged, and a config error about it never
 * repeats the value (config/load.ts masks keys named *password*).
 */
import * as v from "valibot";
import { linkCommon } from "../../config/link-common.ts";

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

export const snomLinkSchema = v.strictObject({
  type: v.literal("snom"),
  ...linkCommon,
  /** How the phones' web interface is reached. */
  scheme: v.optional(v.picklist(["http", "https"]), "http"),
  /** The phones' HTTP(S) port; null = 80 for http, 443 for https. */
  httpPort: v.optional(v.nullable(port), null),
  /** The phones' web user (Basic or Digest, as each phone asks); null = none configured. */
  username: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(128))), null),
  /** The phones' web password; never returned nor logged. */
  password: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(128))), null),
  /** Per request (connect and answer); a phone that does not answer is retried by the link's policy. */
  timeoutSeconds: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(60)), 5),
  /** https: the CA (PEM file) that signs the phones' certificates; null = not verified. */
  caFile: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
  /** Phones talked to at once (each room's ops stay in order): one dead phone does not hold up the others. */
  concurrency: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)), 8),
});

export type SnomLinkConfig = v.InferOutput<typeof snomLinkSchema>;
/** What callers may pass (defaults filled by `parseSnomLinkConfig`). */
export type SnomLinkInput = v.InferInput<typeof snomLinkSchema>;

export function parseSnomLinkConfig(input: SnomLinkInput): SnomLinkConfig {
  return v.parse(snomLinkSchema, input);
}

/** The phones' port: `httpPort`, else the scheme's default. */
export function snomHttpPort(c: Pick<SnomLinkConfig, "scheme" | "httpPort">): number {
  return c.httpPort ?? (c.scheme === "https" ? 443 : 80);
}
