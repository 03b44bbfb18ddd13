/**
 * @module services/doctor
 * `bellhop doctor` and GET /api/v1/doctor: a list of checks, each ok, warn or fail with a detail and,
 * when not ok, the fix. The same checks serve both: the CLI probes from outside a running
 * appliance (it opens the database file and dials the PMS and PBX itself), the API adds what only
 * the running appliance knows (PMS link state, SIP registrations, PBX link health). Every source is
 * a function, so tests substitute them. Details never carry a secret: they name keys and addresses.
 */
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../lib/errors.ts";
import { type DoctorCheck, fail, ok } from "./doctor-check.ts";
import { checkClock, checkConfig, checkDisk, checkNics, checkTls, type SystemProbes } from "./doctor-system.ts";

export { type CheckStatus, type DoctorCheck, doctorFailed, formatCheck } from "./doctor-check.ts";

import { checkPbxLinks, checkPms, checkSip, type LiveState, type ReachProbes } from "./doctor-reach.ts";

export interface DoctorInput {
  config: Config;
  dataDir: string;
  now: number;
  /** PRAGMA integrity_check: the problems, or throws when the database cannot be read. */
  integrity(): Promise<string[] | "missing">;
  system: SystemProbes;
  reach: ReachProbes;
  /** The running appliance's view; absent from the CLI. */
  live?: LiveState;
}

/** Runs every check; one that throws is a failure of that check, never of the doctor. */
export async function runDoctor(input: DoctorInput): Promise<DoctorCheck[]> {
  const parts: [string, () => DoctorCheck[] | Promise<DoctorCheck[]>][] = [
    ["config", () => checkConfig(input.config)],
    ["database", () => checkDatabase(input)],
    ["disk", () => checkDisk(input.dataDir, input.system)],
    ["clock", () => checkClock(input.system)],
    ["nic", () => checkNics(input.config, input.system)],
    ["pms", () => checkPms(input.config, input.reach, input.live)],
    ["sip", () => checkSip(input.config, input.reach, input.live)],
    ["tls", () => checkTls(input.config, input.now, input.system)],
    ["pbx links", () => checkPbxLinks(input.config, input.reach, input.live)],
  ];
  const out: DoctorCheck[] = [];
  for (const [name, run] of parts) {
    try {
      out.push(...(await run()));
    } catch (err) {
      out.push(fail(name, `the check itself failed: ${errorMessage(err)}`, "report this with the output above"));
    }
  }
  return out;
}

async function checkDatabase(input: DoctorInput): Promise<DoctorCheck[]> {
  const name = "database";
  let problems: string[] | "missing";
  try {
    problems = await input.integrity();
  } catch (err) {
    return [
      fail(
        name,
        `cannot read the database: ${errorMessage(err)}`,
        "restore the data folder from a backup, or move it away and let the PMS resync",
      ),
    ];
  }
  if (problems === "missing")
    return [fail(name, `no database in ${input.dataDir}`, "run bellhop migrate --data DIR, or start the service once")];
  if (problems.length === 0) return [ok(name, "integrity_check ok")];
  const shown = problems.slice(0, 3).join("; ");
  return [
    fail(
      name,
      `integrity_check: ${problems.length} problem(s): ${shown}`,
      "stop the service, restore the database from a backup (or .recover it with sqlite3), then request a PMS resync",
    ),
  ];
}
