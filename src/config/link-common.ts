/** @module config/link-common: the settings every PBX link has, whatever its driver. */
import * as v from "valibot";

export const linkCommon = {
  name: v.pipe(v.string(), v.minLength(1)),
  enabled: v.optional(v.boolean(), true),
  /** Further attempts after a failed job, `intervalSeconds` apart; then a dead letter. */
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 3),
  intervalSeconds: v.optional(v.pipe(v.number(), v.minValue(0)), 60),
  /** Debug packet log (secrets masked); switchable at run time: PATCH /api/v1/pbx/links/{name}. */
  debug: v.optional(v.boolean(), false),
};
