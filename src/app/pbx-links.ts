/**
 * @module app/pbx-links
 * The PBX links the job runner drives: one driver per enabled `pbx.links[]` entry, and the built-in
 * `sip-mwi` link that lights the room phones' lamps by SIP NOTIFY when SIP is on.
 */
import type { Config } from "../config/schema.ts";
import type { RunnerLink } from "../jobs/runner.ts";
import type { Logger } from "../lib/logger.ts";
import type { PbxDriver } from "../pbx/driver.ts";
import { createDriver } from "../pbx/factory.ts";
import { SipMwiDriver } from "../pbx/sip-mwi/driver.ts";
import { MWI_LINK } from "../services/mwi-link.ts";
import { MwiSender } from "../sip/ua/mwi.ts";
import type { SipPorts } from "../sip/ua/ports.ts";
import type { Store } from "../store/db.ts";
import { loadRoom, roomPhone } from "../store/rooms.ts";

export interface PbxLinkOptions {
  config: Config;
  store: Store;
  logger: Logger;
  timezone: string;
  /** Tests substitute drivers by link name. */
  drivers?: Record<string, PbxDriver>;
}

/** Appends a runner link per enabled configured link to `into` (the context reads the same array). */
export async function addConfiguredLinks(into: RunnerLink[], o: PbxLinkOptions): Promise<void> {
  const { config, store, logger } = o;
  for (const l of config.pbx.links) {
    if (!l.enabled) continue;
    // The flag object is shared with the runner, so PATCH /api/v1/pbx/links/{name} reaches the driver.
    const debug = { on: l.debug };
    const driver =
      o.drivers?.[l.name] ??
      (await createDriver(l, {
        logger: logger.child({ link: l.name }),
        debug: () => debug.on,
        timeZone: o.timezone,
        tenantName: config.site.name,
        // Drivers that reach each room's phone themselves (SNOM) read the room and its phone per op.
        rooms: { room: (number) => store.read((db) => loadRoom(db, number)) },
        snom: config.snom,
        vipLabels: config.rooms.vipLabels,
      }));
    into.push({
      name: l.name,
      type: l.type,
      retries: l.retries,
      intervalSeconds: l.intervalSeconds,
      driver,
      debug,
      // A SNOM link talks to many phones: one that does not answer must not hold up the others.
      ...(l.type === "snom" ? { concurrency: l.concurrency } : {}),
    });
  }
}

/** The built-in lamp link over the SIP ports: a persisted job per NOTIFY, paced and retried. */
export function sipMwiLink(o: PbxLinkOptions, sip: SipPorts): RunnerLink {
  const { config, store } = o;
  const mwi = config.sip.mwi;
  return {
    name: MWI_LINK,
    type: "sip-mwi",
    retries: mwi.retries,
    intervalSeconds: mwi.intervalSeconds,
    retryBackoff: true,
    ratePerSecond: mwi.ratePerSecond,
    concurrency: mwi.concurrency,
    driver:
      o.drivers?.[MWI_LINK] ??
      new SipMwiDriver(
        new MwiSender(sip.endpoint, {
          domain: config.sip.pbx.domain ?? config.sip.bind,
          subscriptions: sip.subscriptions,
          phoneOf: (room) => store.read((db) => roomPhone(db, room)),
        }),
      ),
  };
}
