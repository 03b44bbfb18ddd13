import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { newRoom } from "../../src/domain/room.ts";
import { saveRooms } from "../../src/store/rooms.ts";
import { insertVoicemail, roomsWithWrongVoiceCounts } from "../../src/store/voicemail.ts";
import { tempStore } from "../helpers/store.ts";

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(() => t.cleanup());

test("rooms whose stored voice counts differ from their current stay's new and saved messages", async () => {
  const room = (n: string, voiceNew: number, voiceSaved: number) => ({
    before: undefined,
    after: { ...newRoom(n, n), voiceNew, voiceSaved },
  });
  await t.store.tx((tx) =>
    saveRooms(tx, [room("101", 1, 1), room("102", 0, 0), room("103", 2, 0), room("104", 0, 0), room("105", 0, 1)], 1),
  );
  const add = (id: string, r: string, state: "new" | "saved" | "deleted" | "recording", archivedAt?: number) =>
    t.store.tx((tx) => insertVoicemail(tx, { id, room: r, state, receivedAt: 1, file: `msgs/${id}.wav`, archivedAt }));
  await add("a", "101", "new"); // 101: 1 new, 1 saved: right
  await add("b", "101", "saved");
  await add("c", "101", "deleted");
  await add("d", "102", "recording"); // 102: a recording counts for nothing: right
  await add("e", "103", "new"); // 103: says 2 new, has 1: wrong
  await add("f", "104", "new", 50); // 104: archived (a departed stay's): right at 0
  await add("g", "106", "new"); // 106: no room row: not a room to correct
  // 105: says 1 saved, has none: wrong
  assert.deepEqual(await t.store.read((db) => roomsWithWrongVoiceCounts(db)), ["103", "105"]);
});
