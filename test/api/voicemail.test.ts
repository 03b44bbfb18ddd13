/** Guest voicemail through the staff API (issue 12 §6). */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { describe, test } from "node:test";
import * as v from "valibot";
import { RoomVoicemail, VoicemailArchive } from "../../src/api/routes/voicemail.ts";
import { RoomView } from "../../src/api/schemas.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { saveMessage } from "../../src/services/voicemail.ts";
import type { Role } from "../../src/store/tokens.ts";
import { auditOf, deposit, feed, lampJobs, messageRows, roomOf, voiceReports } from "../services/voicemail-fixture.ts";
import { type ApiFixture, withApi } from "./fixture.ts";

async function hotel(f: ApiFixture) {
  const ingest = new PmsIngest(f.ctx, "latin1");
  await ingest.init();
  return ingest;
}

/** The raw reply of a request answered with a file. */
async function raw(f: ApiFixture, path: string, as: Role) {
  const res = await f.app.request(path, { headers: { authorization: `Bearer ${f.tokens[as]}` } });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("guest voicemail in the staff API", () => {
  test("GET /rooms/{room} and the list show the voice counts", () =>
    withApi(async (f) => {
      const ingest = await hotel(f);
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
      await deposit(f.ctx, "101");
      f.ctx.clock.advance(1000);
      const b = await deposit(f.ctx, "101");
      await saveMessage(f.ctx, "101", b);
      const one = await f.call("GET", "/api/v1/rooms/101", { as: "housekeeping" });
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.voicemail, { new: 1, saved: 1 });
      v.parse(RoomView, one.body);
      const list = await f.call("GET", "/api/v1/rooms", { as: "installer" });
      assert.deepEqual(list.body.rooms[0].voicemail, { new: 1, saved: 1 });
    }));

  test("GET /rooms/{room}/voicemail: the current stay without audio, admin and front desk only", () =>
    withApi(async (f) => {
      const ingest = await hotel(f);
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN102|G#2|GNJones|GSN|");
      const a = await deposit(f.ctx, "101", { caller: "+3906555", seconds: 7 });
      const r = await f.call("GET", "/api/v1/rooms/101/voicemail", { as: "frontdesk" });
      assert.equal(r.status, 200);
      v.parse(RoomVoicemail, r.body);
      assert.deepEqual(r.body, {
        new: 1,
        saved: 0,
        messages: [
          { id: a, receivedAt: "2026-11-22T10:00:00+01:00", durationMs: 7000, caller: "+3906555", state: "new" },
        ],
      });
      assert.equal((await f.call("GET", "/api/v1/rooms/101/voicemail", { as: "admin" })).status, 200);
      assert.equal((await f.call("GET", "/api/v1/rooms/101/voicemail", { as: "housekeeping" })).status, 403);
      assert.equal((await f.call("GET", "/api/v1/rooms/101/voicemail", { as: "installer" })).status, 403);
      assert.equal((await f.call("GET", "/api/v1/rooms/101/voicemail", { as: null })).status, 401);
      assert.equal((await f.call("GET", "/api/v1/rooms/999/voicemail")).status, 404);
      assert.deepEqual((await f.call("GET", "/api/v1/rooms/102/voicemail")).body, { new: 0, saved: 0, messages: [] });
    }));

  test("the archive by room and check-out date; audio of archived messages only, audited", () =>
    withApi(async (f) => {
      const ingest = await hotel(f);
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#3|GNSmith|GSY|", "GI|RN102|G#2|GNJones|GSN|");
      const a = await deposit(f.ctx, "101", { caller: "100" });
      const c = await deposit(f.ctx, "102", { caller: "300" });

      // Current-stay audio is the guest's, not the desk's.
      const early = await f.call("GET", `/api/v1/voicemail/messages/${a}/audio`, { as: "frontdesk" });
      assert.equal(early.status, 409);

      f.ctx.clock.advance(2 * 3_600_000);
      await feed(ingest, "GO|RN101|");
      f.ctx.clock.advance(24 * 3_600_000);
      await feed(ingest, "GO|RN102|");

      const all = await f.call("GET", "/api/v1/voicemail/archive", { as: "frontdesk" });
      assert.equal(all.status, 200);
      v.parse(VoicemailArchive, all.body);
      assert.deepEqual(all.body, {
        stays: [
          {
            room: "101",
            reservation: "1,3",
            checkedOutAt: "2026-11-22T12:00:00+01:00",
            messages: [
              { id: a, receivedAt: "2026-11-22T10:00:00+01:00", durationMs: 5000, caller: "100", state: "new" },
            ],
          },
          {
            room: "102",
            reservation: "2",
            checkedOutAt: "2026-11-23T12:00:00+01:00",
            messages: [
              { id: c, receivedAt: "2026-11-22T10:00:00+01:00", durationMs: 5000, caller: "300", state: "new" },
            ],
          },
        ],
      });
      const rooms = async (q: string) =>
        (await f.call("GET", `/api/v1/voicemail/archive?${q}`)).body.stays.map((s: { room: string }) => s.room);
      assert.deepEqual(await rooms("room=102"), ["102"]);
      assert.deepEqual(await rooms("checkedOutFrom=2026-11-23"), ["102"]);
      assert.deepEqual(await rooms("checkedOutTo=2026-11-22"), ["101"]);
      assert.deepEqual(await rooms("checkedOutFrom=2026-11-22T12:00:00%2B01:00&checkedOutTo=2026-11-22T12:00:00Z"), [
        "101",
      ]);
      assert.equal((await f.call("GET", "/api/v1/voicemail/archive?checkedOutFrom=yesterday")).status, 400);
      assert.equal((await f.call("GET", "/api/v1/voicemail/archive?checkedOutFrom=2026-02-30")).status, 400);
      assert.equal(
        (await f.call("GET", "/api/v1/voicemail/archive?checkedOutFrom=2026-11-23&checkedOutTo=2026-11-22")).status,
        400,
      );
      assert.equal((await f.call("GET", "/api/v1/voicemail/archive", { as: "housekeeping" })).status, 403);

      const [row] = (await messageRows(f.ctx)).filter((m) => m.id === a);
      const audio = await raw(f, `/api/v1/voicemail/messages/${a}/audio`, "frontdesk");
      assert.equal(audio.status, 200);
      assert.equal(audio.headers.get("content-type"), "audio/wav");
      assert.deepEqual(audio.bytes, new Uint8Array(readFileSync(`${f.ctx.voicemailDir}/${row.file}`)));
      const [listened] = await auditOf(f.ctx, "voicemail-listen");
      assert.equal(listened.actor, `api:${f.names.frontdesk}`);
      assert.equal(listened.room, "101");
      assert.equal(listened.at, f.ctx.clock.now());
      assert.deepEqual(listened.after, { messageId: a });

      assert.equal((await raw(f, `/api/v1/voicemail/messages/${a}/audio`, "housekeeping")).status, 403);
      assert.equal((await f.call("GET", "/api/v1/voicemail/messages/0123456789abcdef01234567/audio")).status, 404);
      assert.equal((await f.call("GET", "/api/v1/voicemail/messages/..%2F..%2Fbellhop.db/audio")).status, 400);
      rmSync(`${f.ctx.voicemailDir}/${row.file}`);
      const missing = await f.call("GET", `/api/v1/voicemail/messages/${a}/audio`);
      assert.equal(missing.status, 404);
      assert.equal((await auditOf(f.ctx, "voicemail-listen")).length, 1, "only a listen that played is audited");
    }));

  test("DELETE removes a message for good, audited; a current stay's counts, lamp and RE VM follow", () =>
    withApi(
      async (f) => {
        const ingest = await hotel(f);
        await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN102|G#2|GNJones|GSN|");
        const a = await deposit(f.ctx, "101");
        const c = await deposit(f.ctx, "102");
        await feed(ingest, "GO|RN101|");
        const rows = new Map((await messageRows(f.ctx)).map((m) => [m.id, m]));

        const gone = await f.call("DELETE", `/api/v1/voicemail/messages/${a}`, { as: "frontdesk" });
        assert.equal(gone.status, 200);
        assert.deepEqual(gone.body, { id: a, room: "101", archived: true });
        assert.equal(existsSync(`${f.ctx.voicemailDir}/${rows.get(a)?.file}`), false);

        const current = await f.call("DELETE", `/api/v1/voicemail/messages/${c}`, { as: "admin" });
        assert.deepEqual(current.body, { id: c, room: "102", archived: false });
        const r = await roomOf(f.ctx, "102");
        assert.deepEqual([r.voiceNew, r.voiceSaved], [0, 0]);
        assert.deepEqual((await lampJobs(f.ctx)).at(-1), ["102", 0, 0]);
        assert.equal((await voiceReports(f.ctx)).at(-1), "RE|RN102|VM0000|");
        assert.deepEqual(await messageRows(f.ctx), []);

        const audits = await auditOf(f.ctx, "voicemail-erase");
        assert.deepEqual(
          audits.map((e) => [e.actor, e.room, (e.before as { messageId: string }).messageId]),
          [
            [`api:${f.names.frontdesk}`, "101", a],
            [`api:${f.names.admin}`, "102", c],
          ],
        );
        assert.equal((await f.call("DELETE", `/api/v1/voicemail/messages/${a}`)).status, 404);
        assert.equal((await f.call("DELETE", `/api/v1/voicemail/messages/${a}`, { as: "installer" })).status, 403);
      },
      { links: ["sip-mwi"] },
    ));

  test("the routes are in the OpenAPI document", () =>
    withApi(async (f) => {
      const doc = (await f.call("GET", "/openapi.json", { as: null })).body;
      for (const p of [
        "/api/v1/rooms/{room}/voicemail",
        "/api/v1/voicemail/archive",
        "/api/v1/voicemail/messages/{id}/audio",
        "/api/v1/voicemail/messages/{id}",
      ]) {
        assert.ok(doc.paths[p], p);
      }
      assert.ok(doc.paths["/api/v1/voicemail/messages/{id}/audio"].get.responses["200"].content["audio/wav"]);
    }));
});
