import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { pendingOutbox } from "../../src/store/pms-queue.ts";
import { withApi } from "./fixture.ts";

async function feed(ingest: PmsIngest, ...texts: string[]) {
  for (const t of texts) {
    const r = recordFromText(t);
    ingest.receive(r, serializeRecord(r));
  }
  await ingest.idle();
}

describe("PMS text messages through the API", () => {
  test("the front desk lists a guest's messages and marks one delivered: lamp down, XD to the PMS", () =>
    withApi(async (f) => {
      const ingest = new PmsIngest(f.ctx, "latin1");
      await ingest.init();
      await feed(
        ingest,
        "GI|RN101|G#5|GNSmith|GSN|",
        "XL|RN101|G#5|MI17|MTPlease call reception|",
        "XL|RN101|G#5|MI18|",
      );

      const list = await f.call("GET", "/api/v1/rooms/101/messages", { as: "frontdesk" });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.messages.map((m: { messageId: string; text: string }) => [m.messageId, m.text]),
        [
          ["17", "Please call reception"],
          ["18", ""],
        ],
      );

      const done = await f.call("POST", "/api/v1/rooms/101/messages/17/retrieved", { as: "frontdesk" });
      assert.equal(done.status, 200);
      assert.equal(done.body.messageLamp, 1);
      const out = await f.store.read((db) => pendingOutbox(db, 10));
      assert.deepEqual(
        out.map((r) => r.record),
        ["XD|RN101|G#5|MI17|"],
      );

      const again = await f.call("POST", "/api/v1/rooms/101/messages/17/retrieved", { as: "frontdesk" });
      assert.equal(again.status, 404, "a message is delivered once");
      assert.equal((await f.call("GET", "/api/v1/rooms/101/messages", { as: "housekeeping" })).status, 403);
      assert.equal((await f.call("GET", "/api/v1/rooms/999/messages", { as: "admin" })).status, 404);
    }));
});
