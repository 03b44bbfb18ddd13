/**
 * @module pbx/ucm/config
 * Settings of a Grandstream UCM link (new HTTPS API v1.0, `pmsapi`).
 *
 * Trust: an `https://` URL needs `certificateSha256` (hex SHA-256 of the UCM certificate's DER
 * encoding, colons allowed; `bellhop sim ucm` prints it, and so does
 * `openssl x509 -in ucm.pem -outform der | sha256sum`) or `caFile` (PEM; chain and host name are
 * verified). There is no switch to accept any certificate. An `http://` URL is accepted only for a
 * loopback host (127.0.0.0/8, ::1, localhost): the simulator in tests and commissioning; API and PMS
 * credentials never cross a network in the clear.
 *
 * `ucmLinkSchema` is a plain strict object so it fits `v.variant("type", […])`; the cross-field
 * rule above is `ucmLinkProblem`, which `ucmLinkCheckedSchema` applies and `createUcmDriver` enforces.
 */
import * as v from "valibot";
import { linkCommon } from "../../config/link-common.ts";
import { normalizeFingerprint } from "./transport.ts";

const ucmCos = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4));

export const ucmLinkSchema = v.strictObject({
  type: v.literal("ucm"),
  ...linkCommon,
  /** The API endpoint, e.g. `https://192.168.100.91:8089/api`. */
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
  /** User of "HTTPS API Settings (New)". */
  apiUser: v.pipe(v.string(), v.minLength(1)),
  apiPassword: v.string(),
  /** PMS user and password of Integrations → PMS (PMSAPI module): they make the PMS MD5 token. */
  pmsUser: v.pipe(v.string(), v.minLength(1)),
  pmsPassword: v.string(),
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
  /** CA certificate (PEM file) that signs the UCM certificate. */
  caFile: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
  /** UCM class of service (1–4) for FIAS CS 0, 1, 2, 3 (index = FIAS CS). */
  classOfService: v.optional(v.tuple([ucmCos, ucmCos, ucmCos, ucmCos]), [1, 2, 3, 4]),
  /** Per-request time-out (connect and answer). */
  timeoutSeconds: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(120)), 15),
});

export type UcmLinkConfig = v.InferOutput<typeof ucmLinkSchema>;

const LOOPBACK = /^(127(\.\d{1,3}){3}|\[?::1\]?|localhost)$/i;

/** The cross-field rule (trust for https, loopback-only http); null when the link is fine. */
export function ucmLinkProblem(c: Pick<UcmLinkConfig, "url" | "certificateSha256" | "caFile">): string | null {
  let u: URL;
  try {
    u = new URL(c.url);
  } catch {
    return "url: not a URL";
  }
  if (u.protocol === "http:") {
    return LOOPBACK.test(u.hostname) ? null : "url: http:// is allowed only for a loopback simulator; use https://";
  }
  if (u.protocol !== "https:") return "url: must be https://";
  if (c.certificateSha256 === null && c.caFile === null) {
    return "certificateSha256 or caFile is required for an https:// URL (the UCM certificate is checked, never blindly accepted)";
  }
  return null;
}

/** `ucmLinkSchema` with `ucmLinkProblem` applied, for validating a UCM link on its own. */
export const ucmLinkCheckedSchema = v.pipe(
  ucmLinkSchema,
  v.check(
    (c) => ucmLinkProblem(c) === null,
    "UCM link: https needs certificateSha256 or caFile; http only on loopback",
  ),
);
