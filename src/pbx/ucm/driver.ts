/**
 * @module pbx/ucm/driver
 * Grandstream UCM link: check-in/out, names, guest info (dates, VIP → guest category) and class of
 * service through the new HTTPS API's `pmsapi` action (wire format in wire.ts, unverified).
 *
 * Decisions:
 * - The UCM takes a name only while the room is checked in. A `name` op for a vacant room
 *   (`occupied: false`, e.g. "Vacant 101" at check-out) is a successful no-op, noted in the debug log:
 *   the check-in op that occupies the room carries the guest's name itself.
 * - Arrival and departure are required at check-in: a missing arrival is today (hotel-local), a
 *   missing departure is the arrival or today, whichever is later.
 * - A check-in the UCM says is already there (-44, a job re-run after a crash) is repeated as an
 *   update; a check-out of a room that is not checked in (-16) counts as done.
 * - FIAS CS 0–3 maps to the UCM's 1–4 through `classOfService` (default 0→1 … 3→4).
 * - No DND, lamp or voicemail op: not offered by this API (the UCM deletes guest voicemail at
 *   check-out by itself).
 */
import type { Capability } from "../../domain/pbx-ops.ts";
import { isVip } from "../../domain/vip.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { isoDate, systemTimeZone, toWallTime } from "../../lib/zoned-time.ts";
import { type DriverDeps, type PbxDriver, PbxError, type PbxOp } from "../driver.ts";
import { UcmClient, UcmStatusError } from "./client.ts";
import { type UcmLinkConfig, ucmLinkProblem } from "./config.ts";
import { normalizeFingerprint } from "./transport.ts";
import { type PmsAction, type PmsFields, pmsRequest, pmsToken, status as S, wireDate } from "./wire.ts";

export const ucmCapabilities: readonly Capability[] = ["names", "checkin-state", "class-of-service", "guest-info"];

export interface UcmDriverDeps extends DriverDeps {
  clock?: Clock;
}

/** FIAS VIP code → UCM guest category: no VIP (empty, 0, N) is a normal guest, any level VIP. */
export function guestCategory(vip: string): 0 | 1 {
  return isVip(vip) ? 1 : 0;
}

export function createUcmDriver(config: UcmLinkConfig, deps: UcmDriverDeps): PbxDriver {
  const problem = ucmLinkProblem(config);
  if (problem) throw new Error(`pbx link ${config.name}: ${problem}`);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger;
  const client = new UcmClient({
    url: config.url,
    apiUser: config.apiUser,
    apiPassword: config.apiPassword,
    certificateSha256: config.certificateSha256 === null ? null : normalizeFingerprint(config.certificateSha256),
    caFile: config.caFile,
    timeoutMs: config.timeoutSeconds * 1000,
    logger,
    debug: deps.debug,
  });
  const auth = { user: config.pmsUser, token: pmsToken(config.pmsUser, config.pmsPassword) };

  const today = () => isoDate(toWallTime(clock.now(), deps.timeZone || systemTimeZone()));

  const cos = (fias: number): number => {
    const i = Math.min(3, Math.max(0, Math.trunc(fias)));
    return config.classOfService[i];
  };

  const pms = (pmsAction: PmsAction, fields: PmsFields, what: string) =>
    client.call("pmsapi", `pmsapi ${pmsAction} ${what}`, (cookie) => pmsRequest(cookie, auth, pmsAction, fields));

  const base = (op: { room: string; extension: string }) => ({ address: op.room, extension: op.extension });

  async function execute(op: PbxOp): Promise<void> {
    const what = `room ${op.room}`;
    switch (op.op) {
      case "checkin": {
        const arrival = op.arrival ?? today();
        // ISO dates sort as strings: the later of the arrival and today.
        const departure = op.departure ?? [arrival, today()].sort()[1];
        const fields: PmsFields = {
          ...base(op),
          name: op.name,
          datein: wireDate(arrival),
          dateout: wireDate(departure),
          guest_category: guestCategory(op.vip),
          permission: cos(op.classOfService),
        };
        try {
          await pms("checkin", fields, what);
        } catch (err) {
          if (!(err instanceof UcmStatusError && err.status === S.alreadyAdded)) throw err;
          logger.debug("UCM room already checked in; updating it instead", { room: op.room });
          await pms("update", fields, what);
        }
        return;
      }
      case "checkout":
        try {
          await pms("checkout", base(op), what);
        } catch (err) {
          if (!(err instanceof UcmStatusError && err.status === S.noSuchItem)) throw err;
          logger.debug("UCM room was not checked in; check-out counts as done", { room: op.room });
        }
        return;
      case "name":
        if (!op.occupied) {
          const note = "ucm name skipped: the UCM takes names only while checked in; the check-in carries it";
          if (deps.debug()) logger.info(note, { room: op.room, name: op.name });
          else logger.debug(note, { room: op.room, name: op.name });
          return;
        }
        await pms("update", { ...base(op), name: op.name }, what);
        return;
      case "cos":
        await pms("update", { ...base(op), permission: cos(op.classOfService) }, what);
        return;
      case "guest": {
        const fields: PmsFields = { ...base(op), guest_category: guestCategory(op.vip) };
        if (op.arrival) fields.datein = wireDate(op.arrival);
        if (op.departure) fields.dateout = wireDate(op.departure);
        await pms("update", fields, what);
        return;
      }
      default:
        throw new PbxError(`the UCM link does not support ${op.op}`, { retryable: false });
    }
  }

  return {
    type: "ucm",
    capabilities: ucmCapabilities,
    async probe() {
      await client.login();
      return ucmCapabilities;
    },
    execute,
    async close() {
      client.reset();
    },
  };
}
