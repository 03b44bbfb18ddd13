/**
 * @module api/schemas
 * Valibot schemas shared by several routes: path parameters, and the response shapes. The response
 * schemas only document (they feed /openapi.json); the tests parse real responses with them so the
 * document cannot drift from what the services return.
 */
import * as v from "valibot";
import { ROOM_NUMBER_PATTERN, ROOM_NUMBER_RULE } from "../domain/room-number.ts";
import { wakeupEventTypes, wakeupRecurrences, wakeupSources, wakeupStates } from "../store/schema/index.ts";

// ---------------------------------------------------------------- inputs

/**
 * A room number as it appears in a path or body: the domain's one rule (PMS records are held to the
 * same), so `|` and control characters never reach a FIAS record.
 */
export const RoomNumber = v.pipe(
  v.string(),
  v.regex(ROOM_NUMBER_PATTERN, ROOM_NUMBER_RULE),
  v.metadata({ examples: ["101"] }),
);

export const RoomParams = v.strictObject({ room: RoomNumber });

/** A positive integer id in a path or query string (strings there), converted to a number. */
export function idString(description?: string) {
  return v.pipe(
    v.string(),
    v.regex(/^[1-9][0-9]{0,14}$/, "expected a positive integer"),
    v.metadata(description ? { description } : {}),
    v.transform(Number),
  );
}

export const IdParams = v.strictObject({ id: idString() });

/** `limit` in a query string: 1 to 1000. */
export function limitString(description = "At most this many, 1-1000 (default 100)") {
  return v.pipe(
    v.string(),
    v.regex(/^(?:[1-9][0-9]{0,2}|1000)$/, "expected an integer from 1 to 1000"),
    v.metadata({ description }),
    v.transform(Number),
  );
}

/** Free text that may reach a FIAS record: printable, and never the FIAS field separator `|`. */
export function fiasText(max: number) {
  return v.pipe(v.string(), v.maxLength(max), v.regex(/^[ -{}~\u00A0-\uFFFF]*$/, "must be printable text without '|'"));
}

// ---------------------------------------------------------------- outputs

export const ErrorCode = v.picklist([
  "NOT_FOUND",
  "CONFLICT",
  "INVALID",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "UNAVAILABLE",
  "INTERNAL",
  "PAYLOAD_TOO_LARGE",
]);

export const ErrorBody = v.object({
  error: v.object({
    code: ErrorCode,
    message: v.string(),
    details: v.optional(v.record(v.string(), v.unknown())),
  }),
});

const IsoWithOffset = v.pipe(
  v.string(),
  v.metadata({ format: "date-time", description: "ISO 8601 in the hotel's time zone, with its offset" }),
);
const IsoUtc = v.pipe(v.string(), v.metadata({ format: "date-time" }));

export const GuestView = v.object({
  reservation: v.string(),
  title: v.string(),
  firstName: v.string(),
  lastName: v.string(),
  language: v.string(),
  vip: v.string(),
  sharer: v.boolean(),
  group: v.string(),
  arrival: v.nullable(v.pipe(v.string(), v.isoDate())),
  departure: v.nullable(v.pipe(v.string(), v.isoDate())),
});

/** A phone event that did not set the room's phone (services/phones.ts). */
export const RefusedClaimView = v.object({
  at: IsoWithOffset,
  vendor: v.string(),
  mac: v.nullable(v.string()),
  ip: v.string(),
  source: v.pipe(v.string(), v.metadata({ description: "Where the event came from" })),
  user: v.nullable(v.string()),
  reason: v.string(),
  count: v.pipe(v.number(), v.integer(), v.metadata({ description: "The same claim refused this often in a row" })),
});

export const RoomView = v.object({
  room: v.string(),
  extension: v.string(),
  occupied: v.boolean(),
  guests: v.array(GuestView),
  dnd: v.boolean(),
  classOfService: v.pipe(v.number(), v.integer()),
  messageLamp: v.pipe(v.number(), v.integer()),
  voicemail: v.pipe(
    v.object({ new: v.pipe(v.number(), v.integer()), saved: v.pipe(v.number(), v.integer()) }),
    v.metadata({
      description: "Guest voicemail of the current stay: new and saved messages (new ones light the lamp)",
    }),
  ),
  housekeeping: v.nullable(
    v.object({ status: v.pipe(v.number(), v.integer()), maid: v.nullable(v.string()), at: IsoWithOffset }),
  ),
  phone: v.object({
    address: v.nullable(v.string()),
    transport: v.nullable(v.string()),
    mac: v.nullable(v.string()),
    refusedClaims: v.optional(
      v.pipe(
        v.array(RefusedClaimView),
        v.metadata({
          description:
            "Phone events refused for this room, newest first (the last 10; a repeat raises `count`). " +
            "In one room's view only, not in the list",
        }),
      ),
    ),
  }),
  wakeups: v.array(v.object({ id: v.pipe(v.number(), v.integer()), at: IsoWithOffset, state: v.string() })),
  mwi: v.nullable(
    v.object({
      state: v.picklist(["pending", "done", "dead", "skipped"]),
      attempts: v.pipe(v.number(), v.integer()),
      lastError: v.nullable(v.string()),
      at: IsoWithOffset,
    }),
  ),
});

export const RoomList = v.object({ rooms: v.array(RoomView) });

const Int = v.pipe(v.number(), v.integer());

export const WakeupView = v.object({
  id: Int,
  room: v.string(),
  at: v.pipe(IsoWithOffset, v.metadata({ description: "The due time (the first call)" })),
  recurrence: v.picklist(wakeupRecurrences),
  weekdays: v.pipe(
    v.nullable(v.array(Int)),
    v.metadata({ description: "recurrence weekdays: ISO days it rings on, 1 = Monday … 7 = Sunday" }),
  ),
  until: v.pipe(
    v.nullable(v.string()),
    v.metadata({ description: "Last day of a recurring wake-up: YYYY-MM-DD, `departure`, or null (no end)" }),
  ),
  source: v.picklist(wakeupSources),
  state: v.picklist(wakeupStates),
  attempts: v.pipe(Int, v.metadata({ description: "Calls placed to the guest so far" })),
  snoozes: Int,
  nextAttemptAt: v.pipe(
    v.nullable(IsoWithOffset),
    v.metadata({ description: "When the next call is due (moved by a retry or a snooze); null once ended" }),
  ),
  waitingForPort: v.pipe(v.boolean(), v.metadata({ description: "Due but not calling yet: queued for a free port" })),
  escalating: v.pipe(
    v.boolean(),
    v.metadata({ description: "The guest calls ended unanswered; the front desk is being called" }),
  ),
  result: v.pipe(v.nullable(v.string()), v.metadata({ description: "FIAS AS code once ended: OK, NR, BY, UR" })),
});

export const WakeupList = v.object({ wakeups: v.array(WakeupView) });

export const WakeupEventView = v.object({
  at: IsoWithOffset,
  event: v.picklist(wakeupEventTypes),
  attempt: v.pipe(
    v.nullable(Int),
    v.metadata({ description: "The guest call (or, with detail.escalation, the front-desk call) it belongs to" }),
  ),
  detail: v.pipe(
    v.nullable(v.record(v.string(), v.unknown())),
    v.metadata({ description: "port, digit, next (planned time), result, outcome, escalation, by…" }),
  ),
});

export const WakeupDetail = v.object({ ...WakeupView.entries, history: v.array(WakeupEventView) });

export const JobView = v.object({
  id: v.pipe(v.number(), v.integer()),
  link: v.string(),
  op: v.string(),
  room: v.nullable(v.string()),
  payload: v.unknown(),
  state: v.picklist(["pending", "done", "dead", "skipped"]),
  attempts: v.pipe(v.number(), v.integer()),
  nextAttemptAt: IsoUtc,
  lastError: v.nullable(v.string()),
  createdAt: IsoUtc,
  updatedAt: IsoUtc,
});

export const JobList = v.object({ jobs: v.array(JobView) });

export const LinkStatusView = v.object({
  name: v.string(),
  type: v.string(),
  state: v.picklist(["starting", "ok", "error"]),
  lastSuccess: v.nullable(IsoUtc),
  lastError: v.nullable(v.object({ at: IsoUtc, message: v.string() })),
  queueDepth: v.pipe(v.number(), v.integer()),
  deadLetters: v.pipe(v.number(), v.integer()),
  capabilities: v.object({ declared: v.array(v.string()), available: v.array(v.string()) }),
  debug: v.boolean(),
});

export const LinkList = v.object({ links: v.array(LinkStatusView) });

export const PmsStateSchema = v.picklist(["down", "connecting", "linked", "resync"]);

const PmsPeerView = v.pipe(
  v.object({
    framing: v.picklist(["stx-etx", "crlf"]),
    greeting: v.pipe(
      v.nullable(v.picklist(["pms", "appliance"])),
      v.metadata({ description: "Who opened the link: the PMS's LS, or ours after it stayed silent" }),
    ),
    linkConfirmedBy: v.pipe(
      v.nullable(v.picklist(["LA", "data", "silence"])),
      v.metadata({
        description:
          "What made the link count as up after our LD/LR…/LA: the PMS's LA (the spec), its first record, " +
          "or the grace time (pms.linkGraceSeconds) passing quietly",
      }),
    ),
    aliveAnswer: v.pipe(
      v.nullable(v.picklist(["LA", "LS", "data"])),
      v.metadata({ description: "How the PMS answered our last alive check (LS)" }),
    ),
    connections: v.pipe(v.number(), v.integer()),
    linkStarts: v.pipe(v.number(), v.integer()),
    connectionsLost: v.pipe(v.number(), v.integer()),
    connectionsRefused: v.pipe(
      v.number(),
      v.integer(),
      v.metadata({ description: "Connections closed at once: address not in pms.allow (server mode)" }),
    ),
    recordsRefused: v.pipe(
      v.number(),
      v.integer(),
      v.metadata({ description: "Records refused: their connection had not started the link (server mode)" }),
    ),
    framesRejected: v.pipe(v.number(), v.integer()),
    garbageBytes: v.pipe(
      v.number(),
      v.integer(),
      v.metadata({ description: "Bytes received outside any frame or in rejected ones" }),
    ),
  }),
  v.metadata({ description: "How the PMS at the other end behaves, as seen since the appliance started" }),
);

export const PmsView = v.object({
  state: PmsStateSchema,
  since: IsoUtc,
  peer: v.nullable(PmsPeerView),
  frames: v.array(
    v.object({
      dir: v.picklist(["in", "out"]),
      at: IsoUtc,
      text: v.string(),
      error: v.optional(v.string()),
    }),
  ),
  rejected: v.pipe(
    v.array(
      v.object({
        at: IsoUtc,
        stage: v.picklist(["framing", "parse", "apply"]),
        text: v.pipe(v.string(), v.metadata({ description: "The frame or record, control bytes as <XX>" })),
        reason: v.string(),
      }),
    ),
    v.metadata({ description: "The last 50 rejected frames and records, oldest first" }),
  ),
});

export const ResyncReply = v.object({ requested: v.literal(true), sent: v.boolean() });

export const AuditEntryView = v.object({
  id: v.pipe(v.number(), v.integer()),
  at: IsoWithOffset,
  actor: v.pipe(v.string(), v.metadata({ description: "pms, api:<token name>, system, phone, wakeup" })),
  action: v.string(),
  room: v.nullable(v.string()),
  before: v.unknown(),
  after: v.unknown(),
});

export const AuditList = v.object({ entries: v.array(AuditEntryView) });

export const Health = v.object({
  status: v.literal("ok"),
  version: v.string(),
  uptimeSeconds: v.pipe(v.number(), v.integer()),
  pms: v.object({ state: PmsStateSchema }),
  api: v.object({
    requestsRefused: v.pipe(
      v.number(),
      v.integer(),
      v.metadata({ description: "Requests refused since start: their address is not in api.allow" }),
    ),
  }),
});

/** Named in components.schemas of the OpenAPI document and referenced with $ref wherever used. */
export const components = {
  Error: ErrorBody,
  Guest: GuestView,
  Room: RoomView,
  Wakeup: WakeupView,
  WakeupEvent: WakeupEventView,
  Job: JobView,
  LinkStatus: LinkStatusView,
  AuditEntry: AuditEntryView,
};
