/**
 * @module pbx/log-driver
 * A PBX link that only writes each op to the log: for commissioning a site before its phone
 * system is reachable, and to watch what the appliance would send.
 */
import type { DriverDeps, PbxDriver, PbxOp } from "./driver.ts";

export function createLogDriver(deps: DriverDeps): PbxDriver {
  return {
    type: "log",
    capabilities: ["names", "checkin-state", "dnd", "class-of-service", "guest-info", "voicemail-cleanup"],
    async execute(op: PbxOp) {
      deps.logger.info("pbx op", { ...op });
    },
  };
}
