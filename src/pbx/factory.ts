/** @module pbx/factory: a driver for each configured link type, loaded lazily. */
import type { PbxLinkConfig } from "../config/schema.ts";
import type { DriverDeps, PbxDriver } from "./driver.ts";

export const driverTypes = ["log", "zoom", "ucm", "voispeed", "snom"] as const;

export async function createDriver(config: PbxLinkConfig, deps: DriverDeps): Promise<PbxDriver> {
  switch (config.type) {
    case "log":
      return (await import("./log-driver.ts")).createLogDriver(deps);
    case "zoom":
      return (await import("./zoom/driver.ts")).createZoomDriver(config, deps);
    case "ucm":
      return (await import("./ucm/driver.ts")).createUcmDriver(config, deps);
    case "voispeed":
      return (await import("./voispeed/driver.ts")).createVoispeedDriver(config, deps);
    case "snom":
      return (await import("./snom/driver.ts")).createSnomDriver(config, deps);
    default:
      throw new Error(
        `unknown PBX link type ${JSON.stringify((config as { type: string }).type)}; known: ${driverTypes.join(", ")}`,
      );
  }
}
