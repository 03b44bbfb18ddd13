/**
 * @module pbx/voispeed/config
 * Settings of a VOIspeed link (the integration module's SERI endpoint; specs/voispeed-24u.md §1).
 *
 * Trust, as for the UCM link: an `https://` URL needs `certificateSha256` (hex SHA-256 of the PBX
 * certificate's DER encoding, colons allowed) or `caFile` (PEM; chain and host name verified); an
 * `http://` URL is accepted only for a loopback host (a simulator): the module token travels in every
 * query string. `voispeedLinkSchema` is a plain strict object so it fits `v.variant("type", […])`;
 * the cross-field rule is `voispeedLinkProblem`, applied by config/schema.ts and `createVoispeedDriver`.
 *
 * Secrets: `token` (the module's, in every request) and `notifyKey` (ours: VOIspeed puts it as
 * `key=` in the notification and IVR-script URLs configured on the PBX) are never returned by the API
 * nor logged, and a config error about them never repeats the value.
 *
 * `callbackNetworks`: who may call the event and IVR-script URLs. `null` (the default) = the address
 * of the host in `url`, looked up when the link starts if it is a name (`callbackNetworksOf`). Set it
 * when VOIspeed's notifications come from elsewhere than its SERI host (the hosted UCloud).
 */
import * as v from "valibot";
import { linkCommon } from "../../config/link-common.ts";
import { cidrProblem } from "../../lib/networks.ts";
import { LOOPBACK_HOST, normalizeFingerprint } from "../http.ts";

/** Services an IVR node ("Follow script") can be mapped to. */
export const voispeedIvrServices = ["housekeeping", "minibar", "wakeup"] as const;
export type VoispeedIvrService = (typeof voispeedIvrServices)[number];

const NO_SECRET_SHOWN = "(value not shown: a secret)";

/** A URL-safe secret of at least 16 characters, so it can be pasted into a URL as it is. */
const notifyKey = v.pipe(
  v.string(`must be a string ${NO_SECRET_SHOWN}`),
  v.minLength(16, `must be at least 16 characters ${NO_SECRET_SHOWN}`),
  v.maxLength(200, `must be at most 200 characters ${NO_SECRET_SHOWN}`),
  v.regex(/^[A-Za-z0-9._~-]+$/, `may hold only letters, digits and . _ ~ - ${NO_SECRET_SHOWN}`),
);

const cidr = v.pipe(
  v.string(),
  v.check((s) => cidrProblem(s) === undefined, "expected an IP address or CIDR network, e.g. 10.20.0.0/16"),
);

/** A value VOIspeed writes back into a script reply line: no line breaks or control characters. */
const replyText = v.pipe(
  v.string(),
  v.minLength(1),
  v.check(
    (s) => [...s].every((ch) => (ch.codePointAt(0) ?? 0) >= 0x20),
    "must not contain line breaks or control characters",
  ),
);

/** What an IVR node is told after an entry: go to a child node, play a prompt, transfer, or end. */
const ivrReply = v.union([
  v.strictObject({ node: replyText }),
  v.strictObject({ prompt: replyText }),
  v.strictObject({ transfer: replyText }),
  v.strictObject({ end: v.literal(true) }),
]);

const ivrNodeSetting = v.union([
  v.picklist(voispeedIvrServices),
  v.strictObject({
    service: v.picklist(voispeedIvrServices),
    ok: v.optional(ivrReply),
    invalid: v.optional(ivrReply),
    failed: v.optional(ivrReply),
    maxTries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10))),
  }),
]);

export const voispeedLinkSchema = v.strictObject({
  type: v.literal("voispeed"),
  ...linkCommon,
  /** The SERI endpoint of the integration module, e.g. `https://pbx.hotel.lan/PBX/seri_endpoint.php`. */
  url: v.pipe(
    v.string(),
    v.check((s) => {
      try {
        const u = new URL(s);
        return u.protocol === "https:" || u.protocol === "http:";
      } catch {
        return false;
      }
    }, "must be an https:// (or loopback http://) URL"),
  ),
  /** The module token ("Comandi abilitati"); sent as `token=` in every request. */
  token: v.pipe(v.string(), v.minLength(1)),
  /** Per-request time-out (connect and answer). */
  timeoutSeconds: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(120)), 15),
  /** Pinned certificate: hex SHA-256 of the DER certificate (colons and case ignored). */
  certificateSha256: v.optional(
    v.nullable(
      v.pipe(
        v.string(),
        v.check((s) => normalizeFingerprint(s) !== null, "must be a SHA-256 fingerprint (64 hex digits)"),
      ),
    ),
    null,
  ),
  /** CA certificate (PEM file) that signs the PBX certificate. */
  caFile: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
  /** Requests a second at most (VOIspeed publishes no limit). */
  ratePerSecond: v.optional(v.pipe(v.number(), v.minValue(0.1)), 10),
  /** `phonebook`: the guest's name as a phonebook contact of the room's extension; `off`: no names. */
  names: v.optional(v.picklist(["phonebook", "off"]), "phonebook"),
  /** The phonebook sync source (`uc_app_name`) of our contacts; choose it per user profile in VOIspeed. */
  appName: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64)), "bellhop"),
  /** `away`: a checked-out room's user is put in Absent mode (outgoing calls barred, phone locked). */
  vacantMode: v.optional(v.picklist(["normal", "away"]), "normal"),
  /** Our key in the notification and IVR-script URLs configured on the PBX (`…?key=`). */
  notifyKey,
  /** Who may call those URLs (CIDR list); null = the address of the host in `url`. */
  callbackNetworks: v.optional(v.nullable(v.array(cidr)), null),
  /** IVR nodes whose "Follow script" calls the appliance: `"<ivrid>/<nodeid>"` → service (or service and replies). */
  ivrNodes: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[^/\s]+\/[^/\s]+$/, 'expected "<ivrid>/<nodeid>", e.g. "9/0"')),
      ivrNodeSetting,
    ),
    {},
  ),
});

export type VoispeedLinkConfig = v.InferOutput<typeof voispeedLinkSchema>;
/** What callers may pass (defaults filled by `parseVoispeedLinkConfig`). */
export type VoispeedLinkInput = v.InferInput<typeof voispeedLinkSchema>;
export type VoispeedIvrNodeSetting = VoispeedLinkConfig["ivrNodes"][string];

export function parseVoispeedLinkConfig(input: VoispeedLinkInput): VoispeedLinkConfig {
  return v.parse(voispeedLinkSchema, input);
}

/** The cross-field rule (trust for https, loopback-only http); null when the link is fine. */
export function voispeedLinkProblem(
  c: Pick<VoispeedLinkConfig, "url" | "certificateSha256" | "caFile">,
): string | null {
  let u: URL;
  try {
    u = new URL(c.url);
  } catch {
    return "url: not a URL";
  }
  if (u.protocol === "http:") {
    return LOOPBACK_HOST.test(u.hostname)
      ? null
      : "url: http:// is allowed only for a loopback simulator (the module token is in every request); use https://";
  }
  if (u.protocol !== "https:") return "url: must be https://";
  if (c.certificateSha256 === null && c.caFile === null) {
    return "certificateSha256 or caFile is required for an https:// URL (the PBX certificate is checked, never blindly accepted)";
  }
  return null;
}

/** `voispeedLinkSchema` with `voispeedLinkProblem` applied, for validating a VOIspeed link on its own. */
export const voispeedLinkCheckedSchema = v.pipe(
  voispeedLinkSchema,
  v.check(
    (c) => voispeedLinkProblem(c) === null,
    "VOIspeed link: https needs certificateSha256 or caFile; http only on loopback",
  ),
);
