/**
 * @module pbx/snom/driver
 * SNOM link (issue 14 §1): hotel state on the room phones themselves, over each phone's HTTP
 * interface, for sites whose PBX cannot show names or bar phones (VOIspeed). The phone of a room is
 * the one the appliance learned for it (phone events or PUT /api/v1/rooms), read when the op runs.
 *
 * Decisions:
 * - DND → `dnd_mode` on/off. Check-in and a name change of an occupied room → the guest's name on
 *   the idle screen (`user_idle_text1`, `snom.idleTemplate` over the room's primary guest as stored
 *   when the op runs; the op's own name if the guest is gone meanwhile). Check-out, and a name op of
 *   a vacant room → `snom.vacantText` ("" = the phone's own idle text). Class of service →
 *   `keyboard_lock` on for CS 0 when `snom.lockWhenBarred`, else off (so switching the option off
 *   unlocks phones at their next class-of-service op). A check-in saves its name and lock in one
 *   request (a check-in whose class did not change queues no class-of-service op).
 * - Settings are saved with `store_settings=save`, so they outlive a reboot; a rebooted phone also
 *   gets its room's state again through its setup / log-on action URL (services/snom-resend.ts).
 * - Welcome (`snom.welcome`, needs `snom.applianceUrl`): after a check-in's settings, the phone's
 *   minibrowser is pointed at `<applianceUrl>/api/v1/snom/welcome/<room>.xml`; the appliance renders
 *   the page when the phone fetches it, in the guest's language, and only for that room's phone
 *   (api/routes/phone-events-snom.ts). A failed push is logged, not retried: it is a courtesy, and
 *   the check-in's state is already on the phone.
 * - A room without a known phone is a dead letter that says so (the phone's next setup / log-on
 *   re-sends the state anyway). A phone that does not answer (time-out, refused connection, 5xx) is
 *   retried by the link's policy; every failure names the room and the phone, so the link's
 *   `lastError` (GET /api/v1/pbx/links) and the job show which phone. A 401 to our credentials, a
 *   refused certificate or another HTTP status fails for good.
 * - Guest info, voicemail clean-up and the message lamp: nothing on the phone to set (the lamp is the
 *   appliance's SIP NOTIFY); declared unavailable, so those jobs are skipped with the reason.
 */
import * as v from "valibot";
import { type SnomConfig, snomSchema } from "../../config/snom-schema.ts";
import { nameVariables } from "../../domain/names.ts";
import type { Capability } from "../../domain/pbx-ops.ts";
import { phoneAddressIp } from "../../domain/phone.ts";
import { renderTemplate } from "../../domain/template.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type DriverDeps, type PbxDriver, PbxError, type PbxOp, type RoomNow } from "../driver.ts";
import { SnomClient, SnomError } from "./client.ts";
import { type SnomLinkConfig, snomHttpPort } from "./config.ts";
import { onOff, settingNames, welcomeUrl } from "./wire.ts";

export const snomCapabilities: readonly Capability[] = [
  "names",
  "checkin-state",
  "dnd",
  "class-of-service",
  "guest-info",
  "voicemail-cleanup",
  "message-lamp",
];

/** What a SNOM phone has no place for, as skipped jobs say it. */
export const snomNotOffered: Readonly<Partial<Record<Capability, string>>> = {
  "guest-info": "a SNOM phone has no place for arrival, departure, VIP or language (its idle text shows the name)",
  "voicemail-cleanup": "a SNOM phone keeps no guest voicemail (the appliance or the PBX does)",
  "message-lamp":
    "the SNOM HTTP interface has no message-waiting control; the lamp comes from the appliance's SIP NOTIFY",
};

export interface SnomDriverDeps extends DriverDeps {
  /** Tests and the CTI server may share one client; by default the link makes its own. */
  client?: SnomClient;
}

export interface SnomDriver extends PbxDriver {
  /** The link's phone client (its scheme, port and credentials as defaults). */
  readonly client: SnomClient;
  /** What the phones are told (the `snom` section). */
  readonly settings: SnomConfig;
}

export function createSnomDriver(config: SnomLinkConfig, deps: SnomDriverDeps): SnomDriver {
  const rooms = deps.rooms;
  if (!rooms) throw new Error(`pbx link ${config.name}: a SNOM link needs the room directory (DriverDeps.rooms)`);
  const logger = deps.logger;
  const settings: SnomConfig = deps.snom ?? v.parse(snomSchema, {});
  const vipLabels = deps.vipLabels;
  const client =
    deps.client ??
    new SnomClient({
      scheme: config.scheme,
      port: snomHttpPort(config),
      username: config.username,
      password: config.password,
      timeoutMs: config.timeoutSeconds * 1000,
      caFile: config.caFile,
      logger,
      debug: deps.debug,
    });
  const available = snomCapabilities.filter((c) => snomNotOffered[c] === undefined);

  /** The room's phone IP, or a PbxError saying why there is none. */
  async function phoneOf(room: string): Promise<{ ip: string; now: RoomNow }> {
    const now = await rooms?.room(room);
    if (!now) throw new PbxError(`room ${room} is not known to the appliance`, { retryable: false });
    const address = now.phone.address;
    if (!address) {
      throw new PbxError(
        `room ${room} has no known phone: it is learned from the phone's setup / log-on action URL (or PUT /api/v1/rooms/${room} with phone)`,
        { retryable: false },
      );
    }
    const ip = phoneAddressIp(address);
    if (!ip)
      throw new PbxError(`room ${room}: phone address ${JSON.stringify(address)} has no IP`, { retryable: false });
    return { ip, now };
  }

  /** Runs a request to the room's phone; its failure names the room. */
  async function toPhone(room: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof SnomError) throw new PbxError(`room ${room}: ${err.message}`, { retryable: err.retryable });
      throw err;
    }
  }

  function idleText(now: RoomNow, occupied: boolean, fallback: string | undefined): string {
    const r = now.room;
    if (!occupied) return renderTemplate(settings.vacantText, nameVariables({ ...r, guests: [] }, vipLabels));
    if (r.occupied && r.guests.length) return renderTemplate(settings.idleTemplate, nameVariables(r, vipLabels));
    return fallback ?? "";
  }

  const lock = (classOfService: number) => onOff(settings.lockWhenBarred && classOfService === 0);

  const note = (msg: string, fields: Record<string, unknown>) => {
    if (deps.debug()) logger.info(msg, fields);
    else logger.debug(msg, fields);
  };

  async function execute(op: PbxOp): Promise<void> {
    switch (op.op) {
      case "checkin": {
        const { ip, now } = await phoneOf(op.room);
        await toPhone(op.room, () =>
          client.saveSettings(ip, {
            [settingNames.idleText()]: idleText(now, true, op.name),
            [settingNames.keyboardLock]: lock(op.classOfService),
          }),
        );
        if (settings.welcome && settings.applianceUrl) {
          const url = welcomeUrl(settings.applianceUrl, op.room);
          try {
            await client.showMinibrowser(ip, url);
            note("SNOM welcome pushed", { room: op.room, url });
          } catch (err) {
            logger.warn("SNOM welcome not shown", { room: op.room, error: errorMessage(err) });
          }
        }
        return;
      }
      case "checkout": {
        const { ip, now } = await phoneOf(op.room);
        await toPhone(op.room, () =>
          client.saveSettings(ip, { [settingNames.idleText()]: idleText(now, false, undefined) }),
        );
        return;
      }
      case "name": {
        const { ip, now } = await phoneOf(op.room);
        const text = idleText(now, op.occupied, op.name);
        await toPhone(op.room, () => client.saveSettings(ip, { [settingNames.idleText()]: text }));
        return;
      }
      case "dnd": {
        const { ip } = await phoneOf(op.room);
        await toPhone(op.room, () => client.saveSettings(ip, { [settingNames.dnd]: onOff(op.dnd) }));
        return;
      }
      case "cos": {
        const { ip } = await phoneOf(op.room);
        await toPhone(op.room, () => client.saveSettings(ip, { [settingNames.keyboardLock]: lock(op.classOfService) }));
        return;
      }
      case "guest":
      case "voicemail-cleanup":
      case "lamp": {
        const cap = ({ guest: "guest-info", "voicemail-cleanup": "voicemail-cleanup", lamp: "message-lamp" } as const)[
          op.op
        ];
        throw new PbxError(snomNotOffered[cap] ?? `SNOM phones do not support ${op.op}`, { skip: true });
      }
    }
  }

  return {
    type: "snom",
    capabilities: snomCapabilities,
    unavailable: snomNotOffered,
    client,
    settings,
    async probe() {
      if (config.scheme === "https" && !config.caFile) {
        logger.warn("SNOM link over https without caFile: the phones' certificates are not verified", {
          link: config.name,
        });
      }
      if (config.scheme === "http" && config.username !== null) {
        note("SNOM link over http: enable Digest on the phones so the password never crosses the network", {
          link: config.name,
        });
      }
      return available;
    },
    execute,
  };
}
