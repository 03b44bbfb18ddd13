/**
 * @module pbx/zoom/driver
 * Zoom Phone link: guest names (and optionally the department) on the room's Zoom user or common
 * area, DND by presence status, class of service (a common area's calling policy, a user's role),
 * voicemail cleanup at check-out.
 *
 * DND: Zoom takes at most one presence update a minute per user, and DND lasts at most 24 h. The
 * driver remembers when it last set each user's presence; a change within the minute fails with
 * `retryAfterMs` = the rest of the minute (no attempt used). While a user's DND is on, a timer on the
 * injected clock re-PUTs DND every 23 h (a failed re-assert is retried a minute later, and logged).
 * The memory is per process: after a restart, DND is re-asserted when the PMS next sends it.
 */
import type { Capability } from "../../domain/pbx-ops.ts";
import { type Clock, systemClock, type TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type DriverDeps, type PbxDriver, PbxError, type PbxOp } from "../driver.ts";
import { ExtensionCache, type ZoomTarget } from "./cache.ts";
import { ZoomApiError, ZoomClient, ZoomNotFoundError } from "./client.ts";
import type { ZoomLinkConfig } from "./config.ts";
import {
  assignRole,
  deleteVoicemail,
  isAlreadyRoleMember,
  listVoicemails,
  optionalScopes,
  parseVoicemails,
  requiredScopes,
  roleScopes,
  updateCommonArea,
  updatePresence,
  updateUser,
} from "./wire.ts";

export const zoomCapabilities: readonly Capability[] = [
  "names",
  "checkin-state",
  "dnd",
  "class-of-service",
  "guest-info",
  "voicemail-cleanup",
];

/** Zoom: one presence update per minute per user. */
export const PRESENCE_INTERVAL_MS = 60_000;
/** Re-assert DND this long after setting it (Zoom's maximum is 24 h). */
export const DND_REASSERT_MS = 23 * 3600_000;

export type ZoomDriverDeps = DriverDeps & { clock?: Clock; fetch?: typeof fetch };

export interface ZoomDriver extends PbxDriver {
  /** For status pages and tests: the scopes of the current token, the cache size. */
  readonly info: () => { scopes: readonly string[]; cachedExtensions: number; dndUsers: readonly string[] };
}

/** Does the rendered name contain the extension as a whole number? (Zoom hospitality rule.) */
export function nameHasExtension(name: string, extension: string): boolean {
  const e = extension.trim();
  if (!e) return false;
  const escaped = e.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|\\D)${escaped}(\\D|$)`).test(name);
}

export function createZoomDriver(config: ZoomLinkConfig, deps: ZoomDriverDeps): ZoomDriver {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger.child({ link: config.name, driver: "zoom" });
  const client = new ZoomClient({
    url: config.url,
    accountId: config.accountId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    ratePerSecond: config.ratePerSecond,
    clock,
    fetch: deps.fetch ?? ((url, init) => fetch(url, init)),
    logger,
    debug: deps.debug,
  });
  let scopes: Set<string> | undefined;
  const has = (s: string) => scopes?.has(s) ?? false;
  const hasRoleScope = () => roleScopes.some(has);
  const cache = new ExtensionCache(client, clock, config.refreshCacheMinutes * 60_000, () =>
    has(optionalScopes.readCommonArea),
  );
  const lastPresence = new Map<string, number>();
  const dndTimers = new Map<string, TimerHandle>();
  let closed = false;

  async function loadScopes(): Promise<Set<string>> {
    const token = await client.currentToken();
    scopes = new Set(token.scopes);
    return scopes;
  }

  async function ensureScopes(): Promise<void> {
    if (!scopes) await loadScopes();
  }

  function available(s: Set<string>): Capability[] {
    const missingRequired = requiredScopes.filter((r) => !s.has(r));
    if (missingRequired.length) {
      throw new Error(`Zoom app lacks required scope(s): ${missingRequired.join(", ")}`);
    }
    const caps = new Set<Capability>(zoomCapabilities);
    const warn = (scope: string, feature: string) =>
      logger.warn("Zoom optional scope missing: feature disabled", { scope, feature });
    if (!s.has(optionalScopes.presence)) {
      caps.delete("dnd");
      warn(optionalScopes.presence, "dnd");
    }
    if (config.messageManagement) {
      for (const sc of [optionalScopes.listVoicemails, optionalScopes.deleteVoicemail]) {
        if (!s.has(sc)) {
          caps.delete("voicemail-cleanup");
          warn(sc, "voicemail-cleanup");
        }
      }
    } else {
      caps.delete("voicemail-cleanup");
    }
    if (!s.has(optionalScopes.readCommonArea)) warn(optionalScopes.readCommonArea, "common areas");
    const updateCa = s.has(optionalScopes.updateCommonArea);
    const roles = roleScopes.some((r) => s.has(r));
    if (!updateCa) warn(optionalScopes.updateCommonArea, "common area updates, class-of-service on common areas");
    if (!roles) warn(roleScopes.join(" or "), "class-of-service on users (roles)");
    // Class of service: common areas by calling policy, users by role; gone only when neither works.
    if (!updateCa && !roles) caps.delete("class-of-service");
    return zoomCapabilities.filter((c) => caps.has(c));
  }

  /** The extension's target, refreshing the cache once if the extension is unknown. */
  async function target(extension: string): Promise<ZoomTarget> {
    await ensureScopes();
    let t = await cache.lookup(extension);
    // A new room phone may have been added since: reload, but at most once a minute.
    const last = cache.lastRefresh;
    if (!t && (last === undefined || clock.now() - last >= 60_000)) {
      await cache.refresh();
      t = await cache.lookup(extension);
    }
    if (!t) {
      throw new PbxError(`extension ${extension} is not a Zoom phone user or common area`, { retryable: false });
    }
    return t;
  }

  /** Runs `fn` on the extension's target; after a 404 refreshes the cache and tries once more. */
  async function onTarget(extension: string, fn: (t: ZoomTarget) => Promise<void>): Promise<void> {
    const t = await target(extension);
    try {
      await fn(t);
    } catch (err) {
      if (!(err instanceof ZoomNotFoundError)) throw err;
      logger.info("Zoom object gone: refreshing the extension cache", { extension, id: t.id });
      await cache.refresh();
      const again = await cache.lookup(extension);
      if (!again) {
        throw new PbxError(`extension ${extension} no longer exists in Zoom (${err.message})`, { retryable: false });
      }
      await fn(again);
    }
  }

  /**
   * The department field (seed "Department Options"): the room's state with its date, the mailbox
   * description (the name shown for the room), the room id, the tenant (the hotel, `site.name`) or
   * the Zoom site the extension belongs to. Undefined leaves the field as it is.
   */
  function department(op: PbxOp & { name: string }, target: ZoomTarget): string | undefined {
    switch (config.department) {
      case "disabled":
        return undefined;
      case "checkin-state":
        if (op.op === "checkout") return "Vacant";
        if (op.op === "checkin") {
          const day = op.arrival && /^\d{4}-\d{2}-\d{2}/.test(op.arrival) ? op.arrival.slice(0, 10) : today();
          return `Checked in ${day}`;
        }
        return undefined;
      case "mailbox-description":
        return op.name;
      case "room-id":
        return op.room;
      case "tenant-name":
        return deps.tenantName || undefined;
      case "site-name":
        return target.site || undefined;
    }
  }

  function today(): string {
    return new Date(clock.now()).toISOString().slice(0, 10);
  }

  async function setName(op: PbxOp & { name: string }): Promise<void> {
    if (!nameHasExtension(op.name, op.extension)) {
      throw new PbxError(
        `Names must contain extension number: "${op.name}" lacks ${op.extension} (fix rooms.nameTemplate)`,
        { retryable: false },
      );
    }
    await onTarget(op.extension, async (t) => {
      const dept = department(op, t);
      if (t.kind === "common-area") {
        if (!has(optionalScopes.updateCommonArea)) {
          throw new PbxError(
            `extension ${op.extension} is a common area and the Zoom app lacks scope ${optionalScopes.updateCommonArea}`,
            {
              retryable: false,
            },
          );
        }
        await client.call(updateCommonArea(t.id, { name: op.name, department: dept }));
      } else {
        await client.call(updateUser(t.id, { name: op.name, dept }));
      }
    });
  }

  function scheduleReassert(userId: string, extension: string, ms: number): void {
    clock.clearTimeout(dndTimers.get(userId));
    if (closed) return;
    dndTimers.set(
      userId,
      clock.setTimeout(() => {
        client
          .call(updatePresence(userId, true))
          .then(() => {
            lastPresence.set(userId, clock.now());
            logger.info("Zoom DND re-asserted", { extension });
            scheduleReassert(userId, extension, DND_REASSERT_MS);
          })
          .catch((err) => {
            logger.warn("Zoom DND re-assert failed; trying again in a minute", { extension, error: errorMessage(err) });
            scheduleReassert(userId, extension, PRESENCE_INTERVAL_MS);
          });
      }, ms),
    );
  }

  async function setDnd(op: Extract<PbxOp, { op: "dnd" }>): Promise<void> {
    await onTarget(op.extension, async (t) => {
      if (t.kind === "common-area") {
        throw new PbxError(`extension ${op.extension} is a common area: Zoom has no presence status for it`, {
          skip: true,
        });
      }
      const last = lastPresence.get(t.id);
      const now = clock.now();
      if (last !== undefined && now - last < PRESENCE_INTERVAL_MS) {
        const wait = PRESENCE_INTERVAL_MS - (now - last);
        throw new PbxError(`Zoom allows one presence update a minute: DND for ${op.extension} waits ${wait} ms`, {
          retryAfterMs: wait,
          countsAsAttempt: false,
        });
      }
      await client.call(updatePresence(t.id, op.dnd));
      lastPresence.set(t.id, clock.now());
      if (op.dnd) scheduleReassert(t.id, op.extension, DND_REASSERT_MS);
      else {
        clock.clearTimeout(dndTimers.get(t.id));
        dndTimers.delete(t.id);
      }
    });
  }

  async function setCos(op: Extract<PbxOp, { op: "cos" }>): Promise<void> {
    const key = String(op.classOfService) as keyof typeof config.classOfService;
    const mapped = config.classOfService[key];
    if (!mapped) throw new PbxError(`class of service ${op.classOfService} has no Zoom mapping`, { retryable: false });
    await onTarget(op.extension, async (t) => {
      if (t.kind === "common-area") {
        if (!has(optionalScopes.updateCommonArea)) {
          throw new PbxError(
            `extension ${op.extension} is a common area and the Zoom app lacks scope ${optionalScopes.updateCommonArea}`,
            { skip: true },
          );
        }
        await client.call(updateCommonArea(t.id, { internationalCalling: mapped.internationalCalling }));
        return;
      }
      // Users and phone users: the role mapped to this class of service.
      const roleId = mapped.roleId;
      if (roleId === null) {
        throw new PbxError(
          `extension ${op.extension} is a Zoom user: no role configured for class of service ${op.classOfService} (pbx.links[].classOfService)`,
          { skip: true },
        );
      }
      if (!hasRoleScope()) {
        throw new PbxError(
          `extension ${op.extension} is a Zoom user and the Zoom app lacks scope ${roleScopes.join(" or ")} (role assignment)`,
          { skip: true },
        );
      }
      try {
        await client.call(assignRole(roleId, t.id));
      } catch (err) {
        // Already in the role: the assignment holds (see isAlreadyRoleMember in wire.ts).
        if (err instanceof ZoomApiError && isAlreadyRoleMember(err.status, err.body)) return;
        throw err;
      }
    });
  }

  async function cleanVoicemail(op: Extract<PbxOp, { op: "voicemail-cleanup" }>): Promise<void> {
    if (!config.messageManagement) return;
    await onTarget(op.extension, async (t) => {
      if (t.kind === "common-area") {
        // TODO: no documented list endpoint for common-area voicemail.
        logger.warn("Zoom voicemail cleanup skipped: common areas are not supported", { extension: op.extension });
        return;
      }
      // Delete page by page: after the deletes, the first page holds what is left.
      for (let round = 0; round < 100; round++) {
        const page = parseVoicemails(await client.call(listVoicemails(t.id)));
        if (!page.items.length) return;
        for (const m of page.items) {
          try {
            await client.call(deleteVoicemail(m.id));
          } catch (err) {
            if (!(err instanceof ZoomNotFoundError)) throw err; // already gone: fine
          }
        }
        if (!page.next) return;
      }
    });
  }

  return {
    type: "zoom",
    capabilities: zoomCapabilities,
    info: () => ({
      scopes: [...(scopes ?? [])],
      cachedExtensions: cache.size,
      dndUsers: [...dndTimers.keys()],
    }),
    async probe() {
      const s = await loadScopes();
      const caps = available(s);
      await cache.refresh();
      logger.info("Zoom link ready", { extensions: cache.size, capabilities: caps });
      return caps;
    },
    async execute(op) {
      switch (op.op) {
        case "checkin":
        case "checkout":
        case "name":
          return setName(op);
        case "dnd":
          return setDnd(op);
        case "cos":
          return setCos(op);
        case "guest":
          // Nothing of the guest record besides the name has a Zoom field yet.
          return;
        case "voicemail-cleanup":
          return cleanVoicemail(op);
        case "lamp":
          throw new PbxError("Zoom links do not drive message lamps (SIP NOTIFY does)", { retryable: false });
      }
    },
    async close() {
      closed = true;
      for (const h of dndTimers.values()) clock.clearTimeout(h);
      dndTimers.clear();
    },
  };
}
