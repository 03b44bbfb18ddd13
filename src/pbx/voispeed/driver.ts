/**
 * @module pbx/voispeed/driver
 * VOIspeed link (specs/voispeed-24u.md §1.9): DND by the user's mode, the guest's name as a phonebook
 * contact of the room's extension, and optionally vacant rooms barred by the Absent mode. Wire format
 * in wire.ts (partly unverified, see there).
 *
 * Decisions:
 * - DND on → `set_user_mode` mode 2; off → normal (1). VOIspeed answers `outcome 0` + `request_id`
 *   ("validated, will run later"): the op resolves with that id as its `externalRef`, and a later
 *   `cmd_failed` event naming it reopens the job (services/pbx-async.ts).
 * - Names (`names: "phonebook"`): no VOIspeed service renames a user, so the room's name goes into
 *   the phonebook: `phonebook_import_sync` of one contact {name: the rendered room name, numoffice:
 *   the extension, uc_app_name: `appName`, uc_external_id: `room-<room>`}, an upsert. The external id
 *   is the ROOM, not the extension: a room whose extension changes keeps one contact (updated with
 *   the new number), and a room move is a check-out of one contact and a check-in of another.
 *   Check-out deletes it (`delete_phonebook` by app name + external id; "not found" counts as done,
 *   so a repeated check-out is harmless). A name op for a vacant room does nothing: the contact went
 *   at check-out and the next check-in brings the guest's name.
 * - `vacantMode: "away"`: check-out also puts the user in Absent (3: outgoing barred, phone locked,
 *   unreachable); check-in puts it back to normal (1). While a room is known vacant its mode stays
 *   Absent whatever DND says (Absent already refuses incoming calls). The driver knows a room is
 *   vacant from the check-outs and check-ins it ran, and at start from `get_entities`: a user in
 *   Absent (av_status 7) counts as a barred vacant room. The mode is set before the phonebook, so a
 *   phonebook failure never delays barring or unbarring (the job re-runs both; both are idempotent).
 * - Class of service, guest info (arrival, VIP, language), voicemail clean-up and the message lamp:
 *   VOIspeed offers no service for them. They are declared and marked unavailable, so their jobs are
 *   recorded as skipped with the reason (the lamp comes from the appliance's own SIP NOTIFY).
 * - Start-up probe: `get_entities` (users) checks the token and maps extensions to user ids. A mode
 *   change for an extension VOIspeed does not list (after a fresh look, at most once a minute) fails
 *   for good with that reason, unless the list is empty altogether (then VOIspeed decides).
 */
import type { Capability } from "../../domain/pbx-ops.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { type DriverDeps, type PbxDriver, PbxError, type PbxExecuteResult, type PbxOp } from "../driver.ts";
import { normalizeFingerprint } from "../http.ts";
import { VoispeedClient, VoispeedRejectError } from "./client.ts";
import { type VoispeedLinkConfig, voispeedLinkProblem } from "./config.ts";
import {
  avStatus,
  type CallReportRow,
  callReportParams,
  deleteSyncedContactParams,
  entityTypes,
  getEntitiesParams,
  isNotFoundReject,
  type PhonebookContact,
  readCallReport,
  readUserCallReport,
  readUsers,
  services,
  setUserModeParams,
  type UserCallReportRow,
  type UserMode,
  userCallReportParams,
  userModes,
  xml,
} from "./wire.ts";

export const voispeedCapabilities: readonly Capability[] = [
  "names",
  "checkin-state",
  "dnd",
  "class-of-service",
  "guest-info",
  "voicemail-cleanup",
  "message-lamp",
];

/** What VOIspeed cannot do, as skipped jobs say it. */
export const voispeedNotOffered: Readonly<Partial<Record<Capability, string>>> = {
  "class-of-service":
    'VOIspeed offers no class-of-service service (only the Absent mode bars a phone: vacantMode "away")',
  "guest-info": "VOIspeed has no place for arrival, departure, VIP or language",
  "voicemail-cleanup": "VOIspeed offers no service that deletes a user's voicemail",
  "message-lamp": "VOIspeed offers no message-lamp service; the lamp comes from the appliance's SIP NOTIFY",
};

export const NAMES_OFF = 'names are off for this link (names: "off")';

/** A user list older than this is read again when an extension is not in it. */
export const USER_REFRESH_MS = 60_000;

/** The phonebook contact's external id for a room. */
export function contactExternalId(room: string): string {
  return `room-${room}`;
}

export interface VoispeedDriverDeps extends DriverDeps {
  clock?: Clock;
}

export interface VoispeedDriver extends PbxDriver {
  /** The VOIspeed user id of an extension, from `get_entities` (undefined before the probe). */
  userId(extension: string): string | undefined;
  /** `get_call_report` rows for a communication (call records); rows of other calls are dropped. */
  callReport(callId: string): Promise<CallReportRow[]>;
  /** `get_user_call_report`: an extension's latest calls. */
  userCallReport(extension: string): Promise<UserCallReportRow[]>;
  /** For status pages and tests. */
  info(): { users: number; usersReadAt: string | null; vacant: readonly string[] };
}

export function createVoispeedDriver(config: VoispeedLinkConfig, deps: VoispeedDriverDeps): VoispeedDriver {
  const problem = voispeedLinkProblem(config);
  if (problem) throw new Error(`pbx link ${config.name}: ${problem}`);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger;
  const client = new VoispeedClient({
    url: config.url,
    token: config.token,
    certificateSha256: config.certificateSha256 === null ? null : normalizeFingerprint(config.certificateSha256),
    caFile: config.caFile,
    timeoutMs: config.timeoutSeconds * 1000,
    ratePerSecond: config.ratePerSecond,
    clock,
    logger,
    debug: deps.debug,
  });
  const names = config.names === "phonebook";
  const away = config.vacantMode === "away";
  const unavailable: Partial<Record<Capability, string>> = { ...voispeedNotOffered };
  if (!names) unavailable.names = NAMES_OFF;
  const available = voispeedCapabilities.filter((c) => unavailable[c] === undefined);

  /** extension → user id */
  let users = new Map<string, string>();
  let usersReadAt: number | null = null;
  /** Extensions of rooms known to be vacant (checked out by us, or Absent at start). */
  const vacant = new Set<string>();

  const note = (msg: string, fields: Record<string, unknown>) => {
    if (deps.debug()) logger.info(msg, fields);
    else logger.debug(msg, fields);
  };

  async function readUserList(): Promise<void> {
    const reply = await client.get(services.getEntities, getEntitiesParams(entityTypes.user), "the user list", {
      container: xml.users,
    });
    const list = readUsers(reply);
    // Absent at start = a room we barred before a restart; later reads leave that to our own ops.
    if (away && usersReadAt === null) {
      for (const u of list) if (u.avStatus === avStatus.absent) vacant.add(u.extension);
    }
    users = new Map(list.map((u) => [u.extension, u.id]));
    usersReadAt = clock.now();
    if (!list.length) logger.warn("VOIspeed lists no users: check the integration module's users");
  }

  async function ensureUser(ext: string, what: string): Promise<void> {
    if (users.has(ext)) return;
    if (usersReadAt === null || clock.now() - usersReadAt >= USER_REFRESH_MS) await readUserList();
    if (users.has(ext) || users.size === 0) return;
    throw new PbxError(
      `extension ${ext} (${what}) is not a VOIspeed user in the integration module (get_entities lists ${users.size}); check the room's extension or the module's users`,
      { retryable: false },
    );
  }

  async function setMode(ext: string, mode: UserMode, what: string): Promise<string | undefined> {
    await ensureUser(ext, what);
    const reply = await client.get(services.setUserMode, setUserModeParams(ext, mode), what);
    if (!reply.requestId) note("VOIspeed accepted set_user_mode without a request_id", { ext, mode });
    return reply.requestId;
  }

  async function putContact(op: { room: string; extension: string; name: string }, what: string): Promise<void> {
    const contact: PhonebookContact = {
      name: op.name.trim() || `Room ${op.room}`,
      surname: "",
      company: "",
      numoffice: op.extension,
      uc_app_name: config.appName,
      uc_external_id: contactExternalId(op.room),
    };
    const { result } = await client.importSync([contact], what);
    const info = result.contacts
      .map((c) => c.info)
      .filter(Boolean)
      .join("; ");
    if ((result.errors ?? 0) > 0) {
      throw new PbxError(`VOIspeed could not import the phonebook contact for ${what}: ${info || "server error"}`);
    }
    if ((result.skipped ?? 0) > 0) {
      throw new PbxError(
        `VOIspeed skipped the phonebook contact for ${what} as invalid: ${info || "no reason given"}`,
        {
          retryable: false,
        },
      );
    }
    if ((result.warnings ?? 0) > 0)
      logger.warn("VOIspeed imported the phonebook contact with a warning", { what, info });
  }

  async function deleteContact(room: string, what: string): Promise<string | undefined> {
    try {
      const reply = await client.get(
        services.deletePhonebook,
        deleteSyncedContactParams(config.appName, contactExternalId(room)),
        what,
      );
      return reply.requestId;
    } catch (err) {
      if (!(err instanceof VoispeedRejectError && isNotFoundReject(err.text))) throw err;
      note("VOIspeed has no phonebook contact for the room; the delete counts as done", { room, error: err.text });
      return undefined;
    }
  }

  const result = (ref: string | undefined): PbxExecuteResult | undefined => (ref ? { externalRef: ref } : undefined);

  async function execute(op: PbxOp): Promise<PbxExecuteResult | undefined> {
    const what = `room ${op.room} (extension ${op.extension})`;
    switch (op.op) {
      case "dnd": {
        // A future `occupied` on the op wins over what this process has seen.
        const occupied = (op as { occupied?: boolean }).occupied;
        const isVacant = occupied === undefined ? vacant.has(op.extension) : !occupied;
        const mode = away && isVacant ? userModes.away : op.dnd ? userModes.dnd : userModes.normal;
        if (away && isVacant) note("VOIspeed room is vacant: its user stays Absent whatever DND says", { what });
        return result(await setMode(op.extension, mode, what));
      }
      case "checkin": {
        let ref: string | undefined;
        if (away) {
          ref = await setMode(op.extension, userModes.normal, what);
          vacant.delete(op.extension);
        }
        if (names) await putContact(op, what);
        return result(ref);
      }
      case "checkout": {
        let ref: string | undefined;
        if (away) {
          ref = await setMode(op.extension, userModes.away, what);
          vacant.add(op.extension);
        }
        if (names) {
          // One reference per job: the mode's (documented as asynchronous) wins over the delete's.
          const deleted = await deleteContact(op.room, what);
          if (deleted && ref) note("VOIspeed delete_phonebook answered a request_id too", { what, requestId: deleted });
          ref ??= deleted;
        }
        return result(ref);
      }
      case "name":
        if (!names) throw new PbxError(NAMES_OFF, { skip: true });
        if (!op.occupied) {
          note("VOIspeed name skipped: a vacant room has no phonebook contact", { room: op.room, name: op.name });
          return undefined;
        }
        await putContact(op, what);
        return undefined;
      case "cos":
      case "guest":
      case "voicemail-cleanup":
      case "lamp": {
        const cap = (
          {
            cos: "class-of-service",
            guest: "guest-info",
            "voicemail-cleanup": "voicemail-cleanup",
            lamp: "message-lamp",
          } as const
        )[op.op];
        throw new PbxError(voispeedNotOffered[cap] ?? `VOIspeed does not support ${op.op}`, { skip: true });
      }
    }
  }

  return {
    type: "voispeed",
    capabilities: voispeedCapabilities,
    unavailable,
    userId: (extension) => users.get(extension),
    async callReport(callId) {
      const id = callId.trim();
      const reply = await client.get(services.getCallReport, callReportParams(id), `call ${id}`, {
        container: xml.call,
      });
      return readCallReport(reply).filter((r) => r.id === id);
    },
    async userCallReport(extension) {
      const reply = await client.get(
        services.getUserCallReport,
        userCallReportParams(extension),
        `extension ${extension}`,
        { container: xml.call },
      );
      return readUserCallReport(reply);
    },
    info: () => ({
      users: users.size,
      usersReadAt: usersReadAt === null ? null : new Date(usersReadAt).toISOString(),
      vacant: [...vacant],
    }),
    async probe() {
      await readUserList();
      logger.info("VOIspeed link ready", { users: users.size, capabilities: available });
      return available;
    },
    execute,
  };
}
