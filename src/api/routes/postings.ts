/** @module api/routes/postings: charges for the guest's folio (FIAS PS/PA), their answers, staff retries. */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { fromWallTime, isIsoDate } from "../../lib/zoned-time.ts";
import { getPosting, listPostings, type PostingView, retryPosting, submitPosting } from "../../services/postings.ts";
import { postingKinds, postingSourceTypes, postingStates } from "../../store/schema/index.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { fiasText, IdParams, limitString, RoomNumber, RoomParams } from "../schemas.ts";
import { parseInstant } from "./wakeups.ts";

const Minor = v.pipe(
  v.number(),
  v.integer("expected a whole number of minor units (1250 = 12.50)"),
  v.minValue(0),
  v.maxValue(999_999_999_999),
);

const CreatePostingBody = v.pipe(
  v.strictObject({
    kind: v.pipe(
      v.picklist(["minibar", "charge"]),
      v.metadata({
        description: "minibar: articles by the PMS's article number; charge: an amount. Calls come from call records",
      }),
    ),
    article: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[0-9]{1,4}$/, "expected the PMS's article number, 1-4 digits"),
        v.metadata({
          description: "minibar only, and then required: the PMS's article number (FIAS MA)",
          examples: ["12"],
        }),
      ),
    ),
    quantity: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1),
        v.maxValue(99),
        v.metadata({ description: "minibar only: how many (default 1)" }),
      ),
    ),
    amount: v.optional(
      v.pipe(
        Minor,
        v.metadata({
          description:
            "Minor units (1250 = 12.50). charge: required. minibar: the total; with it the PMS books the amount, " +
            "without it the PMS prices the article",
          examples: [1250],
        }),
      ),
    ),
    text: v.optional(
      v.pipe(fiasText(20), v.metadata({ description: "Folio text, at most the 20 characters the PMS keeps" })),
    ),
    ref: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.maxLength(100),
        v.metadata({
          description:
            "Your id for this charge (a POS check, a request id): the same ref again returns the posting made the " +
            "first time (200) instead of posting twice. Default: a new id",
        }),
      ),
    ),
  }),
  v.forward(
    v.check((b) => b.kind !== "minibar" || b.article !== undefined, "required for a minibar posting"),
    ["article"],
  ),
  v.forward(
    v.check((b) => b.kind !== "charge" || b.amount !== undefined, "required for a charge"),
    ["amount"],
  ),
  v.forward(
    v.check((b) => b.kind === "minibar" || b.article === undefined, "minibar only"),
    ["article"],
  ),
  v.forward(
    v.check((b) => b.kind === "minibar" || b.quantity === undefined, "minibar only"),
    ["quantity"],
  ),
);

const Since = v.pipe(
  v.string(),
  v.check((s) => isIsoDate(s) || parseInstant(s) !== undefined, "expected YYYY-MM-DD or an ISO 8601 date-time"),
  v.metadata({
    description: "Postings made at or after this: a hotel date YYYY-MM-DD or an ISO 8601 date-time with an offset",
    examples: ["2026-11-22"],
  }),
);

const ListQuery = v.object({
  room: v.optional(RoomNumber),
  state: v.optional(v.picklist(postingStates)),
  since: v.optional(Since),
  limit: v.optional(limitString()),
});

const Iso = v.pipe(v.string(), v.metadata({ format: "date-time", description: "ISO 8601 with the hotel's offset" }));
const nullable = <S extends v.GenericSchema>(s: S, description: string) =>
  v.pipe(v.nullable(s), v.metadata({ description }));

export const PostingSchema = v.object({
  id: v.number(),
  room: v.string(),
  reservation: v.pipe(v.string(), v.metadata({ description: "The guest's reservation (G#) when it was made" })),
  guestName: v.pipe(v.string(), v.metadata({ description: "The guest's name when it was made" })),
  kind: v.picklist(postingKinds),
  amount: nullable(v.number(), "Minor units, when pre-costed (FIAS TA)"),
  pulses: nullable(v.number(), "Meter pulses of a call the PMS costs (MP)"),
  durationSeconds: nullable(v.number(), "Duration of a call the PMS costs (DU)"),
  dialled: nullable(v.string(), "The number the room dialled (DD)"),
  callType: nullable(v.string(), "Call class (PC)"),
  article: nullable(v.string(), "Minibar article (MA)"),
  quantity: nullable(v.number(), "Minibar count (M#)"),
  text: nullable(v.string(), "Folio text (CT)"),
  chargedAt: v.pipe(Iso, v.metadata({ description: "When the charge happened (a call's start): DA/TI" })),
  source: v.object({
    type: v.picklist(postingSourceTypes),
    ref: v.pipe(v.string(), v.metadata({ description: "The call record id, the phone request, the staff ref" })),
  }),
  tariff: v.pipe(v.unknown(), v.metadata({ description: "The tariff line the call was costed with; null if none" })),
  state: v.pipe(
    v.picklist(postingStates),
    v.metadata({
      description:
        "pending (to send; held after a retry-later answer until nextAttemptAt), sending (sent, waiting for the PA), " +
        "accepted, rejected (the PMS refused it), failed (no answer), uncertain (the appliance stopped while " +
        "waiting: check the folio). Staff retry rejected, failed and uncertain ones",
    }),
  ),
  sequence: nullable(v.number(), "FIAS P# of the last transmission"),
  record: nullable(v.string(), "The record as sent (or to be resent)"),
  attempts: v.number(),
  answer: v.pipe(
    v.nullable(v.object({ code: v.nullable(v.string()), text: v.nullable(v.string()), at: v.nullable(Iso) })),
    v.metadata({ description: "The PMS's answer (FIAS AS and CT), or why the appliance gave up; null before any" }),
  ),
  nextAttemptAt: v.nullable(Iso),
  createdAt: Iso,
  sentAt: v.nullable(Iso),
  actor: v.string(),
});

export const PostingList = v.object({ postings: v.array(PostingSchema) });

function sinceMs(s: string | undefined, tz: string): number | undefined {
  if (s === undefined) return undefined;
  if (!isIsoDate(s)) return parseInstant(s);
  const [year, month, day] = s.split("-").map(Number);
  return fromWallTime({ year, month, day, hour: 0, minute: 0, second: 0 }, tz);
}

/** A ref sent again must name the same charge: anything else is a client mix-up, not a replay. */
function sameCharge(p: PostingView, room: string, b: v.InferOutput<typeof CreatePostingBody>): boolean {
  return (
    p.room === room &&
    p.kind === b.kind &&
    p.amount === (b.amount ?? null) &&
    p.article === (b.article ?? null) &&
    (b.kind !== "minibar" || p.quantity === (b.quantity ?? 1))
  );
}

export function postingRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  const roles = ["admin", "installer", "frontdesk"] as const;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/rooms/{room}/postings",
      operationId: "createPosting",
      summary: "Post a minibar or other charge to the guest's folio",
      description:
        "Stored at once, then sent to the PMS one posting at a time (FIAS PS), each waiting for the PMS's answer " +
        "(PA); follow it with GET /api/v1/postings/{id}. The room must have a checked-in guest.",
      tag: "postings",
      roles,
      params: RoomParams,
      body: CreatePostingBody,
      responses: {
        200: { description: "The same ref was posted before: that posting", schema: PostingSchema },
        201: { description: "The posting, pending", schema: PostingSchema },
        404: { description: "The room is not defined (NOT_FOUND)" },
        409: { description: "The room is vacant, or the ref names another charge (CONFLICT)" },
      },
      handler: async ({ params, body, actor }) => {
        const { ref, ...charge } = body;
        const r = await submitPosting(ctx, {
          room: params.room,
          ...charge,
          source: { type: "staff", ref: ref ?? crypto.randomUUID() },
          actor,
        });
        if (!r.created && !sameCharge(r.posting, params.room, body))
          throw new AppError(
            "CONFLICT",
            `ref ${JSON.stringify(ref)} was used for another charge (posting ${r.posting.id})`,
          );
        return { status: r.created ? 201 : 200, body: r.posting };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/postings",
      operationId: "listPostings",
      summary: "Postings, newest first, with their source, tariff line and the PMS's answer",
      tag: "postings",
      roles,
      query: ListQuery,
      responses: { 200: { description: "Postings", schema: PostingList } },
      handler: async ({ query }) => ({
        body: {
          postings: await listPostings(ctx, {
            room: query.room,
            state: query.state,
            since: sinceMs(query.since, ctx.timezone),
            limit: query.limit,
          }),
        },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/postings/{id}",
      operationId: "getPosting",
      summary: "One posting",
      tag: "postings",
      roles,
      params: IdParams,
      responses: { 200: { description: "The posting", schema: PostingSchema } },
      handler: async ({ params }) => ({ body: await getPosting(ctx, params.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/postings/{id}/retry",
      operationId: "retryPosting",
      summary: "Send a rejected, failed or uncertain posting again (new P#; audited)",
      description:
        "For an uncertain posting check the guest's folio first: the appliance stopped while waiting for the " +
        "PMS's answer and cannot tell whether it was booked.",
      tag: "postings",
      roles,
      params: IdParams,
      responses: {
        200: { description: "The posting, pending again", schema: PostingSchema },
        409: { description: "The posting is pending, being sent or accepted (CONFLICT)" },
      },
      handler: async ({ params, actor }) => ({ body: await retryPosting(ctx, params.id, actor) }),
    }),
  ];
}
