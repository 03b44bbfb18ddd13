/**
 * @module pbx/log-driver
 * A PBX link that only writes each op to the log: for commissioning a site before its phone
 * system is reachable, and to watch what the appliance would send.
 */
import { allCapabilities } from "../domain/pbx-ops.ts";
import type { DriverDeps, PbxDriver, PbxOp } from "./driver.ts";

export function createLogDriver(deps: DriverDeps): PbxDriver {
  return {
    type: "log",
    capabilities: allCapabilities,
    async execute(op: PbxOp) {
      deps.logger.info("pbx op", { ...op });
    },
  };
}
