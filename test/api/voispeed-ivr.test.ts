import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { asc, eq } from "drizzle-orm";
import { memoryLogger } from "../../src/lib/logger.ts";
import { getRoom } from "../../src/services/rooms.ts";
import { parseMinibarEntry, renderIvrReply } from "../../src/services/voispeed-ivr.ts";
import { audit, pmsOutbox, wakeups } from "../../src/store/schema/index.ts";
import { type VoispeedFixture, withVoispeed } from "./voispeed-fixture.ts";

const outbox = (f: VoispeedFixture) => f.store.read((db) => db.select().from(pmsOutbox).orderBy(asc(pmsOutbox.id)));

/** The seed's query, as VOIspeed sends it. */
const call = (nodeid: string, calling: string, input: string, tag = "-1") => ({
  license_id: "MP3026487718",
  domain: "almach1.it",
  ivrid: "9",
  nodeid,
  callid: "10724",
  calling,
  called: "500",
  input,
  tag,
});

describe("VOIspeed IVR script: default replies (child nodes 2 = ok, 1 = invalid)", () => {
  test("housekeeping status from the room phone → RE RS (ID) to the PMS, node 2", () =>
    withVoispeed(async (f) => {
      const r = await f.ivr(call("0", "2101", "123"));
      assert.equal(r.status, 200);
      assert.equal(r.text, "command=1\r\nnode_key=2");
      assert.match(r.contentType ?? "", /^text\/plain/);
      assert.deepEqual(
        (await outbox(f)).map((o) => o.record),
        ["RE|RN101|RS1|ID23|"],
      );
      const room = await getRoom(f.ctx, "101");
      assert.deepEqual([room.housekeeping?.status, room.housekeeping?.maid], [1, "23"]);
      const rows = await f.store.read((db) => db.select().from(audit).where(eq(audit.room, "101")));
      assert.equal(rows.at(-1)?.actor, "voispeed:vs1");
      // A terminator the node passes on is ignored; a status alone is RS only.
      assert.equal((await f.ivr(call("0", "2102", "4#"))).text, "command=1\r\nnode_key=2");
      assert.equal((await outbox(f)).at(-1)?.record, "RE|RN102|RS4|");
    }));

  test("guest wake-up HHMM → a wake-up stored like any (source phone) at the next such hotel time", () =>
    withVoispeed(async (f) => {
      const r = await f.ivr(call("1", "2102", "0715"));
      assert.equal(r.text, "command=1\r\nnode_key=2");
      const rows = await f.store.read((db) => db.select().from(wakeups));
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.room, "102");
      assert.equal(rows[0]?.source, "phone");
      assert.equal(rows[0]?.state, "pending");
      // Now is 10:00 in Rome on the 22nd: 07:15 is tomorrow, 06:15Z.
      assert.equal(rows[0]?.dueAt, Date.UTC(2026, 10, 23, 6, 15));
      const list = await f.call("GET", "/api/v1/wakeups?room=102", { as: "frontdesk" });
      assert.equal(list.body.wakeups.length, 1);
    }));

  test("invalid input → the invalid node (1); nothing stored; never an HTTP error", () =>
    withVoispeed(async (f) => {
      for (const [node, input] of [
        ["0", "9"],
        ["0", "7"],
        ["0", ""],
        ["0", "1234567890123"],
        ["0", "1*2"],
        ["1", "2561"],
        ["1", "715"],
        ["1", "07:15"],
        ["2", "1040"],
        ["2", "5"],
        ["2", "ab"],
        ["0", "\u0000\r\ncommand=2"],
      ] as const) {
        const r = await f.ivr(call(node, "2101", input));
        assert.equal(r.status, 200, `${node} ${JSON.stringify(input)}`);
        assert.equal(r.text, "command=1\r\nnode_key=1", `${node} ${JSON.stringify(input)}`);
      }
      assert.equal((await outbox(f)).length, 0);
      assert.equal((await f.store.read((db) => db.select().from(wakeups))).length, 0);
    }));

  test("minibar: item and quantity audited on the room", () =>
    withVoispeed(async (f) => {
      assert.equal((await f.ivr(call("2", "2101", "1042"))).text, "command=1\r\nnode_key=2");
      assert.equal((await f.ivr(call("2", "2101", "7*12#"))).text, "command=1\r\nnode_key=2");
      const rows = await f.store.read((db) =>
        db.select().from(audit).where(eq(audit.action, "minibar-phone")).orderBy(asc(audit.id)),
      );
      assert.deepEqual(
        rows.map((r) => [r.room, r.actor, r.after]),
        [
          ["101", "voispeed:vs1", { item: "104", quantity: 2, link: "vs1", call: "10724" }],
          ["101", "voispeed:vs1", { item: "7", quantity: 12, link: "vs1", call: "10724" }],
        ],
      );
      assert.equal((await outbox(f)).length, 0, "no posting to the PMS yet");
    }));

  test("a caller that is no room, or a node not in ivrNodes → end of call, logged once", async () => {
    const logger = memoryLogger();
    await withVoispeed(
      async (f) => {
        assert.equal((await f.ivr(call("0", "200", "1"))).text, "command=0");
        assert.equal((await f.ivr(call("0", "", "1"))).text, "command=0");
        assert.equal((await f.ivr(call("7", "2101", "1"))).text, "command=0");
        assert.equal((await f.ivr({})).text, "command=0");
        assert.equal((await outbox(f)).length, 0);
        assert.ok(logger.lines.some((l) => String(l.msg).includes("no room")));
        assert.equal(
          logger.lines.filter((l) => String(l.msg).includes("a node not in ivrNodes")).length,
          1,
          "budgeted",
        );
        // The room number itself (no extension of that number) is the room, as for the appliance's IVR.
        assert.equal((await f.ivr(call("0", "103", "3"))).text, "command=1\r\nnode_key=2");
      },
      { logger },
    );
  });

  test("an entry that cannot be stored → the failed reply, logged", async () => {
    const logger = memoryLogger();
    await withVoispeed(
      async (f) => {
        const store = f.ctx.store;
        f.ctx.store = {
          ...store,
          read: store.read,
          tx: async () => {
            throw new Error("disk I/O error");
          },
        };
        const r = await f.ivr(call("0", "2101", "3"));
        f.ctx.store = store;
        assert.equal(r.status, 200);
        assert.equal(r.text, "command=0");
        assert.ok(logger.lines.some((l) => l.msg === "VOIspeed IVR: the entry could not be stored"));
      },
      { logger },
    );
  });
});

describe("VOIspeed IVR script: configured replies", () => {
  const nodes = {
    "9/0": {
      service: "housekeeping",
      ok: { prompt: "hk-ok.wav" },
      invalid: { prompt: "hk-invalid.wav" },
      failed: { transfer: "9" },
      maxTries: 3,
    },
    "9/1": { service: "wakeup", ok: { node: "5" }, invalid: { node: "6" }, failed: { end: true } },
    "12/3": "minibar",
  } as const;

  test("prompt replies count invalid entries in the tag; maxTries → failed; after a confirmation, end", () =>
    withVoispeed(
      async (f) => {
        const first = await f.ivr(call("0", "2101", "8"));
        assert.equal(first.text, "command=4\r\naudio_message=hk-invalid.wav\r\naudio_loop=0\r\ntag=1");
        const second = await f.ivr(call("0", "2101", "0", "1"));
        assert.equal(second.text, "command=4\r\naudio_message=hk-invalid.wav\r\naudio_loop=0\r\ntag=2");
        const third = await f.ivr(call("0", "2101", "", "2"));
        assert.equal(third.text, "command=2\r\nrecipient_number=9");

        const ok = await f.ivr(call("0", "2101", "3", "2"));
        assert.equal(ok.text, "command=4\r\naudio_message=hk-ok.wav\r\naudio_loop=0\r\ntag=100");
        assert.deepEqual(
          (await outbox(f)).map((o) => o.record),
          ["RE|RN101|RS3|"],
        );
        // The node runs again after the prompt and calls us with no input: the call ends.
        const after = await f.ivr(call("0", "2101", "", "100"));
        assert.equal(after.text, "command=0");
        assert.equal((await outbox(f)).length, 1);
      },
      { ivrNodes: nodes },
    ));

  test("node replies per node; a service named alone keeps the defaults", () =>
    withVoispeed(
      async (f) => {
        assert.equal((await f.ivr(call("1", "2101", "0630"))).text, "command=1\r\nnode_key=5");
        assert.equal((await f.ivr(call("1", "2101", "9999"))).text, "command=1\r\nnode_key=6");
        const minibar = { ...call("3", "2101", "33"), ivrid: "12" };
        assert.equal((await f.ivr(minibar)).text, "command=1\r\nnode_key=2");
        assert.equal((await f.ivr(call("2", "2101", "33"))).text, "command=0", "9/2 is not mapped here");
      },
      { ivrNodes: nodes },
    ));
});

describe("VOIspeed IVR script: pieces", () => {
  test("renderIvrReply: the four commands; a value never breaks a line", () => {
    assert.equal(renderIvrReply({ node: "2" }), "command=1\r\nnode_key=2");
    assert.equal(renderIvrReply({ transfer: "385" }), "command=2\r\nrecipient_number=385");
    assert.equal(renderIvrReply({ prompt: "ok.wav" }, 5), "command=4\r\naudio_message=ok.wav\r\naudio_loop=0\r\ntag=5");
    assert.equal(renderIvrReply({ end: true }, 5), "command=0");
    assert.equal(
      renderIvrReply({ prompt: "a.wav\r\ncommand=2" }),
      "command=4\r\naudio_message=a.wavcommand=2\r\naudio_loop=0",
    );
  });

  test("parseMinibarEntry", () => {
    assert.deepEqual(parseMinibarEntry("1042"), { item: "104", quantity: 2 });
    assert.deepEqual(parseMinibarEntry("11"), { item: "1", quantity: 1 });
    assert.deepEqual(parseMinibarEntry("7*12"), { item: "7", quantity: 12 });
    for (const bad of ["", "1", "10", "7*0", "*2", "7*", "7*123", "1234567890", "a1", "1 2"]) {
      assert.equal(parseMinibarEntry(bad), undefined, bad);
    }
  });
});
