/**
 * @module sim/pms/match
 * Record patterns for the simulator's waitFor and script `expect`: a record type plus the fields that
 * must be equal; fields the pattern leaves out are ignored, so tests don't break on extra fields.
 */
import { type FiasRecord, formatRecord, recordFromText } from "../../pms/fias/record.ts";

/** Text like "WA|RN101|ASOK|", a record, or a predicate. */
export type RecordMatch = string | FiasRecord | ((record: FiasRecord) => boolean);

export interface Matcher {
  test(record: FiasRecord): boolean;
  describe: string;
}

export function toMatcher(match: RecordMatch): Matcher {
  if (typeof match === "function") return { test: match, describe: match.name || "predicate" };
  const pattern = typeof match === "string" ? recordFromText(match) : match;
  const wanted = Object.entries(pattern.fields);
  return {
    describe: formatRecord(pattern),
    test: (rec) => rec.type === pattern.type && wanted.every(([id, value]) => rec.fields[id] === value),
  };
}
