/**
 * @module app/observe-side
 * What watches the appliance: the event loop's lag (GET /metrics, the systemd watchdog), the
 * doctor's checks with the running appliance's own view (GET /api/v1/doctor), and the optional
 * `metrics.listen` listener that serves only GET /metrics.
 */
import type { ApiDeps } from "../api/deps.ts";
import { metricsOnlyApi } from "../api/routes/metrics.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../lib/logger.ts";
import { runDoctor } from "../services/doctor.ts";
import type { DoctorCheck } from "../services/doctor-check.ts";
import { reachProbes } from "../services/doctor-reach.ts";
import { systemProbes } from "../services/doctor-system.ts";
import type { Store } from "../store/db.ts";
import { storeIntegrity } from "../store/integrity.ts";
import type { ServeFn } from "./appliance.ts";

export async function liveDoctor(o: {
  config: Config;
  dataDir: string;
  store: Store;
  deps: ApiDeps;
}): Promise<DoctorCheck[]> {
  const { deps } = o;
  const links = await deps.pbxStatus();
  return runDoctor({
    config: o.config,
    dataDir: o.dataDir,
    now: deps.ctx.clock.now(),
    integrity: () => storeIntegrity(o.store),
    system: systemProbes,
    reach: reachProbes,
    live: {
      pms: { state: deps.pms.state, since: new Date(deps.pms.since).toISOString() },
      sipPorts: deps.sipPorts()?.ports,
      links,
    },
  });
}

/** `metrics.listen`: GET /metrics without a token on an address of its own. */
export async function serveMetricsListener(
  serve: ServeFn,
  addr: { hostname: string; port: number },
  deps: ApiDeps,
  logger: Logger,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = await serve(metricsOnlyApi(deps).fetch, addr);
  logger.info("metrics listening", { address: addr.hostname, port: server.port });
  return server;
}
