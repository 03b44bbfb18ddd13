/**
 * @module cti/assemble
 * The CTI server as the appliance runs it (app/appliance.ts calls this when `companion.listen` is
 * set): room phones from the store, phones driven by a SNOM HTTP client with the first SNOM link's
 * settings (scheme, port, user, password, timeout, CA; an enabled link before a disabled one;
 * without a SNOM link: plain HTTP on port 80 without credentials, phones-file credentials still
 * apply), callbacks to the staff API at `companion.callbackUrl`, else `snom.applianceUrl`, else
 * as callback-url.ts derives it.
 */
import type { Config } from "../config/schema.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import { SnomClient } from "../pbx/snom/client.ts";
import type { Store } from "../store/db.ts";
import { roomByExtension, roomPhone } from "../store/rooms.ts";
import { callbackBase } from "./callback-url.ts";
import { Companion } from "./companion.ts";
import type { PhoneControl } from "./phone-control.ts";
import { snomPhoneControl } from "./snom-control.ts";

export interface AssembleCompanionOptions {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Tests drive fake phones; default the SNOM HTTP client. */
  control?: PhoneControl;
}

function apiListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(":");
  let host = listen.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { hostname: host, port: Number(listen.slice(i + 1)) };
}

function defaultControl(config: Config, logger: Logger): PhoneControl {
  const snomLinks = config.pbx.links.filter((l) => l.type === "snom");
  const link = snomLinks.find((l) => l.enabled) ?? snomLinks[0];
  const client = new SnomClient(
    link
      ? {
          scheme: link.scheme,
          port: link.httpPort,
          username: link.username,
          password: link.password,
          timeoutMs: link.timeoutSeconds * 1000,
          caFile: link.caFile,
          logger,
          debug: () => link.debug,
        }
      : { logger },
  );
  return snomPhoneControl(client);
}

export function assembleCompanion(opts: AssembleCompanionOptions): Companion {
  const { config, store, clock, logger } = opts;
  const c = config.companion;
  const ctiLog = logger.child({ part: "cti" });
  const api = apiListen(config.api.listen);
  if (
    !c.callbackUrl &&
    !config.snom.applianceUrl &&
    (api.hostname.startsWith("127.") || api.hostname === "::1" || api.hostname === "localhost")
  )
    ctiLog.warn("CTI: phones cannot call back the API on loopback; MonitorStart events need companion.callbackUrl", {
      apiListen: config.api.listen,
    });
  return new Companion({
    config: c,
    clock,
    logger,
    control: opts.control ?? defaultControl(config, ctiLog),
    roomPhone: (extension) =>
      store.read(async (db) => {
        const room = await roomByExtension(db, extension);
        return room ? ((await roomPhone(db, room))?.address ?? undefined) : undefined;
      }),
    // companion.callbackUrl, else the SNOM section's applianceUrl (the same thing: the API as phones see it).
    callbackBase: callbackBase(c.callbackUrl ?? config.snom.applianceUrl, api),
  });
}
