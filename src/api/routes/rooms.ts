/** @module api/routes/rooms: rooms, guests (sites without a PMS), front-desk and housekeeping changes. */
import * as v from "valibot";
import { normalizeMac } from "../../domain/phone.ts";
import { AppError } from "../../lib/errors.ts";
import { checkInRoom, checkOutRoom, defineRoom, getRoom, getRooms, moveRoom, patchRoom } from "../../services/rooms.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { fiasText, RoomList, RoomNumber, RoomParams, RoomView } from "../schemas.ts";

// ---------------------------------------------------------------- PUT: the installer defines a room

function validPort(p: string): boolean {
  const n = Number(p);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** `192.0.2.10:5060` or `[2001:db8::10]:5060`. */
export function validPhoneAddress(s: string): boolean {
  const m4 = /^([0-9.]+):([0-9]{1,5})$/.exec(s);
  if (m4) return v.IPV4_REGEX.test(m4[1]) && validPort(m4[2]);
  const m6 = /^\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})$/.exec(s);
  if (m6) return v.IPV6_REGEX.test(m6[1]) && validPort(m6[2]);
  return false;
}

const PhoneAddress = v.pipe(
  v.string(),
  v.regex(/^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/, "expected IPv4:port or [IPv6]:port"),
  v.check(validPhoneAddress, "expected a valid IPv4:port or [IPv6]:port, port 1-65535"),
  v.metadata({
    description: "The phone's SIP address: IPv4:port or [IPv6]:port, port 1-65535",
    examples: ["192.0.2.10:5060", "[2001:db8::10]:5060"],
  }),
);

/** 12 hex digits, with `:` or `-` between pairs, `.` between groups of four, or no separator; stored as aa:bb:cc:dd:ee:ff. */
const Mac = v.pipe(
  v.string(),
  v.regex(
    /^(?:[0-9A-Fa-f]{2}[:-]?){5}[0-9A-Fa-f]{2}$|^(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$/,
    "expected a MAC address: 12 hex digits, optionally separated by ':', '-' or '.'",
  ),
  v.metadata({
    description: "12 hex digits with optional separators; stored in lower case as aa:bb:cc:dd:ee:ff",
    examples: ["00:04:13:2a:bc:01", "0004132ABC01"],
  }),
  v.transform((s) => normalizeMac(s) as string),
);

const Extension = v.pipe(
  v.string(),
  v.regex(/^[0-9A-Za-z*#+_.-]{1,32}$/, "an extension is 1-32 digits, letters or * # + _ . -"),
  v.metadata({ examples: ["2101"] }),
);

const DefineRoomBody = v.strictObject({
  extension: v.optional(Extension),
  phone: v.optional(
    v.strictObject({
      address: v.optional(v.nullable(PhoneAddress)),
      transport: v.optional(v.nullable(v.picklist(["udp", "tcp", "tls"]))),
      mac: v.optional(v.nullable(Mac)),
    }),
  ),
});

// ---------------------------------------------------------------- check-in / check-out / move

/** A real calendar date (the ISO pattern alone lets 2026-02-31 through). */
function validDate(s: string): boolean {
  const [y, m, d] = s.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

const IsoDate = v.pipe(v.string(), v.isoDate("expected a date YYYY-MM-DD"), v.check(validDate, "no such date"));

const Reservation = v.pipe(fiasText(20), v.metadata({ description: "The PMS reservation (FIAS G#)" }));

const CheckInBody = v.strictObject({
  guest: v.strictObject({
    reservation: v.optional(Reservation, ""),
    title: v.optional(fiasText(20)),
    firstName: v.optional(fiasText(80)),
    lastName: v.pipe(
      fiasText(80),
      v.minLength(1, "the last name is required"),
      v.check((s) => s.trim() !== "", "the last name is blank"),
    ),
    language: v.optional(fiasText(8)),
    vip: v.optional(fiasText(8)),
    group: v.optional(fiasText(20)),
    arrival: v.optional(IsoDate),
    departure: v.optional(IsoDate),
    sharer: v.optional(v.boolean()),
  }),
  classOfService: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(3),
      v.metadata({ description: "0 barred, 1 local, 2 national, 3 unrestricted" }),
    ),
  ),
});

const CheckOutBody = v.strictObject({
  reservation: v.optional(
    v.pipe(Reservation, v.metadata({ description: "Only this reservation (a sharer) leaves; omitted: everyone" })),
  ),
});

const MoveBody = v.strictObject({
  to: RoomNumber,
  reservation: v.optional(
    v.pipe(Reservation, v.metadata({ description: "The guest who moves; omitted: the primary guest" })),
  ),
});

// ---------------------------------------------------------------- PATCH: front desk and housekeeping

const PatchRoomBody = v.pipe(
  v.strictObject({
    dnd: v.optional(v.boolean()),
    classOfService: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3))),
    messageLamp: v.optional(
      v.union(
        [v.boolean(), v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(999))],
        "expected a boolean or a message count",
      ),
    ),
    housekeeping: v.optional(
      v.strictObject({
        status: v.pipe(
          v.number(),
          v.integer(),
          v.minValue(1),
          v.maxValue(99),
          v.metadata({ description: "FIAS RS code: 1 dirty/vacant … 6 inspected/occupied" }),
        ),
        maid: v.optional(v.pipe(fiasText(20), v.metadata({ description: "Maid id, sent to the PMS as FIAS ID" }))),
      }),
    ),
  }),
  v.minEntries(1, "give at least one of dnd, classOfService, messageLamp, housekeeping"),
);

const ROOM_CONFLICT = { description: "The room is not occupied (CONFLICT)" };

export function roomRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/rooms",
      operationId: "listRooms",
      summary: "All rooms with guests, statuses, phone and open wake-ups",
      tag: "rooms",
      roles: ["admin", "installer", "frontdesk", "housekeeping"],
      responses: { 200: { description: "Rooms by number", schema: RoomList } },
      handler: async () => ({ body: { rooms: await getRooms(ctx) } }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/rooms/{room}",
      operationId: "getRoom",
      summary: "One room",
      description: "Also lists the phone events refused for the room (`phone.refusedClaims`).",
      tag: "rooms",
      roles: ["admin", "installer", "frontdesk", "housekeeping"],
      params: RoomParams,
      responses: { 200: { description: "The room", schema: RoomView } },
      handler: async ({ params }) => ({ body: await getRoom(ctx, params.room) }),
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/rooms/{room}",
      operationId: "defineRoom",
      summary: "Define a room, or change its extension and phone",
      description:
        "An empty body defines the room with the extension from the configured template. `phone.mac` is the " +
        "staff confirmation phone events cannot give: it replaces the room's phone, or moves a phone from the " +
        "room that had that MAC (that room loses its phone; the phone keeps its address unless one is given). " +
        "`phone.mac: null` forgets the phone, so the next phone registering with the extension is learned.",
      tag: "rooms",
      roles: ["admin", "installer"],
      params: RoomParams,
      body: DefineRoomBody,
      bodyOptional: true,
      responses: {
        200: { description: "The room existed and was updated", schema: RoomView },
        201: { description: "The room was created", schema: RoomView },
      },
      handler: async ({ params, body, actor }) => {
        const r = await defineRoom(ctx, actor, params.room, body);
        return { status: r.created ? 201 : 200, body: r.room };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/rooms/{room}/checkin",
      operationId: "checkIn",
      summary: "Check a guest in (sites without a PMS)",
      description:
        "A guest with a reservation already in the room is updated. A sharer (`sharer: true`) joins an " +
        "occupied room; anyone else replaces its guests.",
      tag: "guests",
      roles: ["admin", "frontdesk"],
      params: RoomParams,
      body: CheckInBody,
      responses: { 200: { description: "The room after the check-in", schema: RoomView } },
      handler: async ({ params, body, actor }) => ({
        body: await checkInRoom(ctx, actor, params.room, body.guest, body.classOfService),
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/rooms/{room}/checkout",
      operationId: "checkOut",
      summary: "Check a room (or one reservation in it) out",
      description: "An empty body checks everyone out; open wake-ups of an emptied room are cancelled.",
      tag: "guests",
      roles: ["admin", "frontdesk"],
      params: RoomParams,
      body: CheckOutBody,
      bodyOptional: true,
      responses: { 200: { description: "The room after the check-out", schema: RoomView }, 409: ROOM_CONFLICT },
      handler: async ({ params, body, actor }) => ({
        body: await checkOutRoom(ctx, actor, params.room, body.reservation || undefined),
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/rooms/{room}/move",
      operationId: "moveGuest",
      summary: "Move a guest to another room",
      description:
        "The guest takes name, DND, class of service and message lamp along; open wake-ups follow when the " +
        "old room is left empty.",
      tag: "guests",
      roles: ["admin", "frontdesk"],
      params: RoomParams,
      body: MoveBody,
      responses: {
        200: { description: "The destination room", schema: RoomView },
        409: { description: "The source room is not occupied (CONFLICT)" },
      },
      handler: async ({ params, body, actor }) => ({
        body: await moveRoom(ctx, actor, params.room, body.to, body.reservation || undefined),
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/rooms/{room}",
      operationId: "updateRoom",
      summary: "Change DND, class of service, message lamp or housekeeping status",
      description:
        "A housekeeping status is also reported to the PMS (FIAS RE RS). The housekeeping role may send " +
        "`housekeeping` only.",
      tag: "rooms",
      roles: ["admin", "frontdesk", "housekeeping"],
      params: RoomParams,
      body: PatchRoomBody,
      responses: { 200: { description: "The room after the change", schema: RoomView } },
      authorize: ({ principal, body }) => {
        if (principal?.role !== "housekeeping") return;
        const other = Object.keys(body).filter((k) => k !== "housekeeping");
        if (other.length) {
          throw new AppError(
            "FORBIDDEN",
            `the housekeeping role may change housekeeping only, not ${other.join(", ")}`,
          );
        }
      },
      handler: async ({ params, body, actor }) => ({ body: await patchRoom(ctx, actor, params.room, body) }),
    }),
  ];
}
