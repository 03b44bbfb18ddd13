/**
 * @module config/backup-schema
 * `backup`: the nightly backup the appliance keeps of its own data folder (issue 16 §5), in
 * `<dataDir>/backups/`. An archive on the same disk guards against a damaged database or a wrong
 * restore, not against a dead disk: copy them off the box for that.
 */
import * as v from "valibot";

export const backupSchema = v.strictObject({
  /** Hotel time of the nightly backup, HH:MM; null = no nightly backup (`bellhop backup` still works). */
  nightlyAt: v.optional(
    v.nullable(v.pipe(v.string(), v.regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, "expected HH:MM"))),
    "03:30",
  ),
  /** Days a nightly backup is kept: backups older than this are deleted after each nightly run. */
  keepDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365)), 7),
});

export type BackupConfig = v.InferOutput<typeof backupSchema>;
