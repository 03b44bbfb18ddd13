/**
 * @module pbx/zoom/config
 * Settings of a Zoom Phone link (Server-to-Server OAuth app). The lead adds `zoomLinkSchema` to the
 * `pbx.links[]` variant in config/schema.ts.
 */
import * as v from "valibot";
import { linkCommon } from "../../config/link-common.ts";

/** What goes into the Zoom department field (see README "Department"). */
export const zoomDepartmentOptions = [
  "disabled",
  "checkin-state",
  "mailbox-description",
  "room-id",
  "tenant-name",
  "site-name",
] as const;
export type ZoomDepartmentOption = (typeof zoomDepartmentOptions)[number];

/**
 * What one FIAS class of service (0 barred, 1 local, 2 national, 3 unrestricted) means on Zoom.
 * `internationalCalling`: a common area's `policy.international_calling.enable` (PATCH
 * /phone/common_areas/{id}; the one restriction the researched wire shapes document).
 * `roleId`: the Zoom role a user (phone user) extension is put in (POST /roles/{roleId}/members);
 * `null` = no role for this class of service: a cos op on a user is skipped.
 */
const cosTarget = v.strictObject({
  internationalCalling: v.boolean(),
  roleId: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
});
export type ZoomCosTarget = v.InferOutput<typeof cosTarget>;

export const zoomLinkSchema = v.strictObject({
  type: v.literal("zoom"),
  ...linkCommon,
  /** OAuth host; the token response names the regional API host (`api_url`). */
  url: v.optional(v.pipe(v.string(), v.url()), "https://zoom.us"),
  accountId: v.pipe(v.string(), v.minLength(1)),
  clientId: v.pipe(v.string(), v.minLength(1)),
  /** Write-only: never returned by the API nor logged. */
  clientSecret: v.pipe(v.string(), v.minLength(1)),
  /** Minutes between refreshes of the extension cache (always refreshed at start and after a 404). */
  refreshCacheMinutes: v.optional(v.pipe(v.number(), v.minValue(1)), 480),
  /** Our own pace for "medium" calls: Zoom Phone medium is 10/s on Pro, 20/s on Business+. */
  ratePerSecond: v.optional(v.pipe(v.number(), v.minValue(0.1)), 10),
  department: v.optional(v.picklist(zoomDepartmentOptions), "disabled"),
  /** Zoom holds the guest messages: delete a room's voicemails at check-out. */
  messageManagement: v.optional(v.boolean(), false),
  classOfService: v.optional(
    v.strictObject({
      "0": v.optional(cosTarget, { internationalCalling: false, roleId: null }),
      "1": v.optional(cosTarget, { internationalCalling: false, roleId: null }),
      "2": v.optional(cosTarget, { internationalCalling: false, roleId: null }),
      "3": v.optional(cosTarget, { internationalCalling: true, roleId: null }),
    }),
    {},
  ),
});

export type ZoomLinkConfig = v.InferOutput<typeof zoomLinkSchema>;
/** What callers may pass (defaults filled by `parseZoomLinkConfig`). */
export type ZoomLinkInput = v.InferInput<typeof zoomLinkSchema>;

export function parseZoomLinkConfig(input: ZoomLinkInput): ZoomLinkConfig {
  return v.parse(zoomLinkSchema, input);
}
