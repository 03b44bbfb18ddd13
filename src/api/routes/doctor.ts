/**
 * @module api/routes/doctor
 * GET /api/v1/doctor: `bellhop doctor`'s checks run by the running appliance, with what only it
 * knows (PMS link state, SIP registrations, PBX link health). 200 whatever the verdict: `ok` says it.
 */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { doctorFailed, formatCheck } from "../../services/doctor-check.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";

const Check = v.object({
  status: v.picklist(["ok", "warn", "fail"]),
  name: v.string(),
  detail: v.string(),
  fix: v.nullable(v.string()),
  /** The line `bellhop doctor` prints for it. */
  line: v.string(),
});

const DoctorReport = v.object({ ok: v.boolean(), checks: v.array(Check) });

export function doctorRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/doctor",
      operationId: "runDoctor",
      summary:
        "Run the installer's checks: configuration, database, disk, clock, NICs, PMS, PBX, ports, TLS, PBX links",
      description:
        "The checks of `bellhop doctor`, each `ok`, `warn` or `fail` with a detail and, when not ok, the fix. `ok` " +
        "is false when any check failed. Takes a few seconds: the database's integrity is checked and the PBX is " +
        "asked for OPTIONS.",
      tag: "system",
      roles: ["admin", "installer"],
      responses: { 200: { description: "The checks, in order", schema: DoctorReport } },
      handler: async () => {
        if (!deps.doctor) throw new AppError("UNAVAILABLE", "the doctor is not wired in this appliance");
        const checks = await deps.doctor();
        return {
          body: {
            ok: !doctorFailed(checks),
            checks: checks.map((c) => ({ ...c, fix: c.fix ?? null, line: formatCheck(c) })),
          },
        };
      },
    }),
  ];
}
