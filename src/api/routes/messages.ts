/** @module api/routes/messages: PMS text messages waiting for a guest, and their delivery. */
import * as v from "valibot";
import { listMessages, markMessageRetrieved } from "../../services/messages.ts";
import { getRoom } from "../../services/rooms.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { RoomNumber, RoomParams, RoomView } from "../schemas.ts";

const MessageList = v.object({
  messages: v.array(
    v.object({
      messageId: v.string(),
      reservation: v.string(),
      text: v.string(),
      receivedAt: v.pipe(v.string(), v.metadata({ description: "ISO 8601 with the hotel's offset" })),
    }),
  ),
});

const MessageParams = v.strictObject({
  room: RoomNumber,
  messageId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,20}$/, "expected the FIAS message id (MI)")),
});

export function messageRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/rooms/{room}/messages",
      operationId: "listMessages",
      summary: "Text messages from the PMS (FIAS XL) waiting for the room's guest",
      tag: "rooms",
      roles: ["admin", "frontdesk"],
      params: RoomParams,
      responses: { 200: { description: "Waiting messages, oldest first", schema: MessageList } },
      handler: async ({ params }) => ({ body: { messages: await listMessages(ctx, params.room) } }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/rooms/{room}/messages/{messageId}/retrieved",
      operationId: "markMessageRetrieved",
      summary: "The guest has the message: the lamp counts down and the PMS is told (FIAS XD)",
      tag: "rooms",
      roles: ["admin", "frontdesk"],
      params: MessageParams,
      responses: { 200: { description: "The room after the change", schema: RoomView } },
      handler: async ({ params, actor }) => {
        await markMessageRetrieved(ctx, actor, params.room, params.messageId);
        return { body: await getRoom(ctx, params.room) };
      },
    }),
  ];
}
