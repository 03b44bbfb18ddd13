/**
 * @module cli/doctor
 * `bellhop doctor [--config FILE] [--data DIR]`: the installer's checks from outside the running
 * appliance (services/doctor.ts), one line each (`ok`, `warn` or `FAIL`, name, detail, fix), exit 1
 * when any failed. It opens the database file without migrating it and dials the PMS and the PBX
 * itself; what only the running appliance knows (SIP registrations, live link state) is in
 * GET /api/v1/doctor.
 */
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../lib/errors.ts";
import { silentLogger } from "../lib/logger.ts";
import { settlesWithin } from "../lib/within.ts";
import { systemTimeZone } from "../lib/zoned-time.ts";
import { createDriver } from "../pbx/factory.ts";
import { type DoctorInput, runDoctor } from "../services/doctor.ts";
import { doctorFailed, fail, formatCheck } from "../services/doctor-check.ts";
import type { LinkProbe, ReachProbes } from "../services/doctor-reach.ts";
import { reachProbes } from "../services/doctor-reach.ts";
import { type SystemProbes, systemProbes } from "../services/doctor-system.ts";
import { databaseFile, fileIntegrity } from "../store/integrity.ts";
import { flag, type ParsedArgs } from "./args.ts";

export interface DoctorEnv {
  stdout: { write(s: string): unknown };
  /** Tests substitute the machine and the far ends. */
  system?: SystemProbes;
  reach?: ReachProbes;
  now?: () => number;
}

const PROBE_MS = 15_000;

export async function doctorCommand(args: ParsedArgs, env: DoctorEnv): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(flag(args, "config"));
  } catch (err) {
    const detail = err instanceof ConfigError && err.issues.length ? err.issues.join("; ") : errorMessage(err);
    const fix = "correct the configuration file (appliance/bellhop.example.json lists every key)";
    env.stdout.write(`${formatCheck(fail("config", detail, fix))}\n`);
    return 1;
  }
  const dataDir = flag(args, "data") ?? config.dataDir;
  const input: DoctorInput = {
    config,
    dataDir,
    now: env.now?.() ?? Date.now(),
    integrity: async () => {
      const file = databaseFile(dataDir);
      return file ? fileIntegrity(file) : "missing";
    },
    system: env.system ?? systemProbes,
    reach: { probeLinks: () => probeLinks(config), ...(env.reach ?? reachProbes) },
  };
  const checks = await runDoctor(input);
  for (const c of checks) env.stdout.write(`${formatCheck(c)}\n`);
  return doctorFailed(checks) ? 1 : 0;
}

/** Each enabled link's driver, built as the appliance builds it, asked its start-up probe. */
async function probeLinks(config: Config): Promise<LinkProbe[]> {
  const out: LinkProbe[] = [];
  for (const l of config.pbx.links.filter((x) => x.enabled)) {
    try {
      const driver = await createDriver(l, {
        logger: silentLogger,
        debug: () => false,
        timeZone: config.site.timezone ?? systemTimeZone(),
        tenantName: config.site.name,
        // A probe reads no room.
        rooms: { room: async () => undefined },
        snom: config.snom,
        vipLabels: config.rooms.vipLabels,
      });
      try {
        if (!driver.probe) {
          out.push({ name: l.name, type: l.type, detail: "no probe for this link type" });
          continue;
        }
        const probing = driver.probe();
        probing.catch(() => {}); // read below; a probe that outlives its time must not surface unhandled
        if (!(await settlesWithin(probing, PROBE_MS))) {
          out.push({ name: l.name, type: l.type, error: `no answer within ${PROBE_MS / 1000} s` });
          continue;
        }
        const caps = await probing;
        out.push({ name: l.name, type: l.type, detail: `probe ok; available: ${caps.join(", ") || "nothing"}` });
      } finally {
        await driver.close?.().catch(() => {});
      }
    } catch (err) {
      out.push({ name: l.name, type: l.type, error: errorMessage(err) });
    }
  }
  return out;
}
