import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { newRoom } from "../../src/domain/room.ts";
import type { Store } from "../../src/store/db.ts";
import { loadRoom, saveRooms } from "../../src/store/rooms.ts";
import {
  archivedVoicemail,
  archiveRoomVoicemail,
  currentVoicemail,
  expiredVoicemail,
  insertVoicemail,
  moveBox,
  moveRoomVoicemail,
  pinHashOf,
  resetBox,
  setPinHash,
  voicemailCounts,
  voicemailCountsByRoom,
} from "../../src/store/voicemail.ts";
import { tempStore } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;
type State = "recording" | "new" | "saved" | "deleted";

async function add(store: Store, id: string, room: string, state: State, receivedAt: number) {
  await store.tx((tx) => insertVoicemail(tx, { id, room, state, receivedAt, file: `msgs/${id}.wav` }));
}

describe("voicemail store", () => {
  let t: Temp;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => t.cleanup());

  test("the current stay in listening order; counts of new and saved only", async () => {
    await add(t.store, "a", "101", "saved", 1);
    await add(t.store, "b", "101", "new", 3);
    await add(t.store, "c", "101", "new", 2);
    await add(t.store, "d", "101", "deleted", 0);
    await add(t.store, "e", "101", "recording", 4);
    await add(t.store, "f", "102", "new", 1);
    const rows = await t.store.read((db) => currentVoicemail(db, "101"));
    assert.deepEqual(
      rows.map((r) => r.id),
      ["c", "b", "a", "d", "e"],
    );
    assert.deepEqual(await t.store.read((db) => voicemailCounts(db, "101")), { new: 2, saved: 1 });
    assert.deepEqual([...(await t.store.read((db) => voicemailCountsByRoom(db))).entries()].sort(), [
      ["101", { new: 2, saved: 1 }],
      ["102", { new: 1, saved: 0 }],
    ]);
  });

  test("archive is one update of the room's current rows; archived rows leave the box", async () => {
    await add(t.store, "a", "101", "new", 1);
    await add(t.store, "b", "101", "recording", 2);
    await add(t.store, "c", "102", "new", 1);
    const done = await t.store.tx((tx) => archiveRoomVoicemail(tx, "101", 500));
    assert.deepEqual(done.map((r) => r.id).sort(), ["a", "b"]);
    assert.deepEqual(await t.store.read((db) => currentVoicemail(db, "101")), []);
    assert.deepEqual(await t.store.read((db) => voicemailCounts(db, "101")), { new: 0, saved: 0 });
    // A second archive of the same room finds nothing and keeps the first check-out time.
    assert.deepEqual(await t.store.tx((tx) => archiveRoomVoicemail(tx, "101", 900)), []);
    const archived = await t.store.read((db) => archivedVoicemail(db, {}));
    assert.deepEqual(
      archived.map((r) => [r.id, r.archivedAt]),
      [["a", 500]],
      "a recording is no archived message (yet)",
    );
    assert.deepEqual(await t.store.read((db) => archivedVoicemail(db, { from: 501 })), []);
    assert.deepEqual(await t.store.read((db) => archivedVoicemail(db, { to: 499 })), []);
    assert.deepEqual(await t.store.read((db) => archivedVoicemail(db, { room: "102" })), []);
    assert.deepEqual(
      (await t.store.read((db) => expiredVoicemail(db, 500))).map((r) => r.id).sort(),
      ["a", "b"],
      "the purge takes what a crash left recording too",
    );
    assert.deepEqual(await t.store.read((db) => expiredVoicemail(db, 499)), []);
  });

  test("a move takes the current stay only", async () => {
    await add(t.store, "old", "101", "new", 1);
    await t.store.tx((tx) => archiveRoomVoicemail(tx, "101", 10));
    await add(t.store, "a", "101", "new", 20);
    assert.equal(await t.store.tx((tx) => moveRoomVoicemail(tx, "101", "102")), 1);
    assert.deepEqual(
      (await t.store.read((db) => currentVoicemail(db, "102"))).map((r) => r.id),
      ["a"],
    );
    assert.equal((await t.store.read((db) => archivedVoicemail(db, {})))[0].room, "101");
  });

  test("the box: PIN set, moved (the destination's own PIN wins), reset", async () => {
    await t.store.tx((tx) => setPinHash(tx, "101", "h1", 1));
    await t.store.tx((tx) => moveBox(tx, "101", "102", 2));
    assert.equal(await t.store.read((db) => pinHashOf(db, "101")), null);
    assert.equal(await t.store.read((db) => pinHashOf(db, "102")), "h1");
    await t.store.tx((tx) => setPinHash(tx, "103", "h3", 3));
    await t.store.tx((tx) => setPinHash(tx, "104", "h4", 3));
    await t.store.tx((tx) => moveBox(tx, "103", "104", 4));
    assert.equal(await t.store.read((db) => pinHashOf(db, "104")), "h4");
    assert.equal(await t.store.read((db) => pinHashOf(db, "103")), null);
    await t.store.tx((tx) => resetBox(tx, "104"));
    assert.equal(await t.store.read((db) => pinHashOf(db, "104")), null);
  });

  test("rooms keep their voice counts; rows from before the migration read as zero", async () => {
    await t.store.tx((tx) =>
      saveRooms(tx, [{ before: undefined, after: { ...newRoom("101", "101"), voiceNew: 3, voiceSaved: 2 } }], 1),
    );
    const r = (await t.store.read((db) => loadRoom(db, "101")))?.room;
    assert.deepEqual([r?.voiceNew, r?.voiceSaved], [3, 2]);
    await t.store.read((db) => db.run(sql`insert into rooms (number, extension) values ('900', '900')`));
    const old = (await t.store.read((db) => loadRoom(db, "900")))?.room;
    assert.deepEqual([old?.voiceNew, old?.voiceSaved], [0, 0]);
  });
});
