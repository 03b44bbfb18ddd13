import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { AuditList, JobList, JobView, PmsView } from "../../src/api/schemas.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { PmsMonitor } from "../../src/services/pms-monitor.ts";
import { finishJob, insertJobs, listJobs } from "../../src/store/pbx-jobs.ts";
import { withApi } from "./fixture.ts";

describe("PBX jobs and links", () => {
  test("list, filter and retry a dead job", () =>
    withApi(
      async ({ call, store, ctx }) => {
        const now = ctx.clock.now();
        const ids = await store.tx(async (tx) => {
          await insertJobs(
            tx,
            [
              { link: "pbx1", op: "set-name", room: "101", payload: { op: "set-name", name: "Rossi" } },
              { link: "pbx2", op: "set-dnd", room: "102", payload: { op: "set-dnd", on: true } },
            ],
            now,
          );
          const rows = await listJobs(tx, { limit: 10 });
          return rows.map((r) => r.id).sort((a, b) => a - b);
        });
        await store.tx((tx) => finishJob(tx, ids[0], { state: "dead", attempts: 4, lastError: "busy" }, now));

        const all = await call("GET", "/api/v1/pbx/jobs", { as: "installer" });
        assert.equal(all.status, 200);
        v.parse(JobList, all.body);
        assert.deepEqual(
          all.body.jobs.map((j: { id: number }) => j.id),
          [ids[1], ids[0]],
          "newest first",
        );
        const dead = await call("GET", "/api/v1/pbx/jobs?state=dead&link=pbx1", { as: "installer" });
        assert.equal(dead.body.jobs.length, 1);
        assert.equal(dead.body.jobs[0].lastError, "busy");
        const page = await call("GET", `/api/v1/pbx/jobs?limit=1&before=${ids[1]}`, { as: "installer" });
        assert.deepEqual(
          page.body.jobs.map((j: { id: number }) => j.id),
          [ids[0]],
        );

        ctx.clock.advance(60_000);
        const before = ctx.counters.pbx;
        const r = await call("POST", `/api/v1/pbx/jobs/${ids[0]}/retry`, { as: "installer" });
        assert.equal(r.status, 200);
        v.parse(JobView, r.body);
        assert.equal(r.body.state, "pending");
        assert.equal(r.body.attempts, 0);
        assert.equal(r.body.nextAttemptAt, new Date(ctx.clock.now()).toISOString());
        assert.equal(r.body.updatedAt, new Date(ctx.clock.now()).toISOString());
        assert.equal(ctx.counters.pbx, before + 1, "the runner was told");
        const again = await call("POST", `/api/v1/pbx/jobs/${ids[0]}/retry`, { as: "installer" });
        assert.equal(again.status, 409);
        assert.equal((await call("POST", "/api/v1/pbx/jobs/999/retry", { as: "installer" })).status, 404);

        const audit = await call("GET", "/api/v1/audit", { as: "installer" });
        assert.equal(audit.body.entries[0].action, "job-retry");
        assert.equal(audit.body.entries[0].actor, "api:tech");
      },
      { links: [] },
    ));

  test("links come from pbxStatus", () =>
    withApi(
      async ({ call }) => {
        const r = await call("GET", "/api/v1/pbx/links", { as: "installer" });
        assert.equal(r.status, 200);
        assert.equal(r.body.links[0].name, "pbx1");
        assert.equal(r.body.links[0].queueDepth, 2);
      },
      {
        pbxStatus: async () => [
          {
            name: "pbx1",
            type: "log",
            state: "ok",
            lastSuccess: null,
            lastError: null,
            queueDepth: 2,
            deadLetters: 0,
            capabilities: { declared: ["names"], available: ["names"] },
            debug: false,
          },
        ],
      },
    ));

  test("links: the debug packet log is switched at run time; an unknown link is 404", () => {
    let debug = false;
    return withApi(
      async ({ call }) => {
        const r = await call("PATCH", "/api/v1/pbx/links/pbx1", { as: "installer", body: { debug: true } });
        assert.equal(r.status, 200);
        assert.equal(r.body.debug, true);
        assert.equal(debug, true);
        assert.equal(
          (await call("PATCH", "/api/v1/pbx/links/nope", { as: "admin", body: { debug: true } })).status,
          404,
        );
        assert.equal(
          (await call("PATCH", "/api/v1/pbx/links/pbx1", { as: "frontdesk", body: { debug: false } })).status,
          403,
        );
        assert.equal(
          (await call("PATCH", "/api/v1/pbx/links/pbx1", { as: "admin", body: { debug: "yes" } })).status,
          400,
        );
        const audit = await call("GET", "/api/v1/audit", { as: "admin" });
        assert.ok(audit.body.entries.some((e: { action: string }) => e.action === "pbx-link-debug"));
      },
      {
        setLinkDebug: (name, on) => {
          if (name !== "pbx1") return false;
          debug = on;
          return true;
        },
        pbxStatus: async () => [
          {
            name: "pbx1",
            type: "log",
            state: "ok",
            lastSuccess: null,
            lastError: null,
            queueDepth: 0,
            deadLetters: 0,
            capabilities: { declared: ["names"], available: ["names"] },
            debug,
          },
        ],
      },
    );
  });

  test("links: empty list", () =>
    withApi(async ({ call }) => {
      const r = await call("GET", "/api/v1/pbx/links", { as: "admin" });
      assert.deepEqual(r.body, { links: [] });
    }));
});

describe("PMS", () => {
  test("GET /api/v1/pms: state, since and the trace", () =>
    withApi(async ({ call, pms, ctx }) => {
      pms.onState("linked");
      pms.onTrace({ dir: "in", at: ctx.clock.now(), text: "<STX>LS|DA261122|TI100000|<ETX>" });
      pms.onTrace({ dir: "out", at: ctx.clock.now(), text: "<STX>LA|<ETX>" });
      const r = await call("GET", "/api/v1/pms", { as: "installer" });
      assert.equal(r.status, 200);
      v.parse(PmsView, r.body);
      assert.equal(r.body.state, "linked");
      assert.equal(r.body.since, "2026-11-22T09:00:00.000Z");
      assert.deepEqual(
        r.body.frames.map((f: { dir: string }) => f.dir),
        ["in", "out"],
      );
    }));

  test("GET /api/v1/pms: how the PMS behaves (greeting, what confirmed the link, alive answers)", () =>
    withApi(async ({ call, pms }) => {
      const before = await call("GET", "/api/v1/pms", { as: "installer" });
      assert.equal(before.body.peer, null, "no link yet");
      const peer = {
        framing: "stx-etx",
        greeting: "appliance",
        linkConfirmedBy: "silence",
        aliveAnswer: "LS",
        connections: 2,
        linkStarts: 2,
        connectionsLost: 1,
        connectionsRefused: 3,
        recordsRefused: 4,
        framesRejected: 5,
        garbageBytes: 600,
      } as const;
      pms.link = { canSend: false, sendMessage: () => false, peer };
      const r = await call("GET", "/api/v1/pms", { as: "installer" });
      v.parse(PmsView, r.body);
      assert.deepEqual(r.body.peer, peer);
    }));

  test("GET /api/v1/pms: rejected frames and records, oldest first; apply failures survive a restart", () =>
    withApi(async ({ call, pms, ctx }) => {
      const t0 = ctx.clock.now();
      pms.onTrace({ dir: "in", at: t0, text: "<15>junk", error: "framing: data outside STX…ETX" });
      pms.onTrace({ dir: "in", at: t0 + 1000, text: "G!|RN5|", error: "record ID is not 2 letters/digits" });
      pms.onTrace({ dir: "in", at: t0 + 1500, text: "LS|" });
      ctx.clock.advance(2000);
      const ingest = new PmsIngest(ctx, "latin1");
      const rec = recordFromText("RE|RN101|DNX|");
      ingest.receive(rec, serializeRecord(rec));
      await ingest.idle();

      const r = await call("GET", "/api/v1/pms", { as: "installer" });
      assert.equal(r.status, 200);
      v.parse(PmsView, r.body);
      assert.deepEqual(r.body.rejected, [
        {
          at: "2026-11-22T09:00:00.000Z",
          stage: "framing",
          text: "<15>junk",
          reason: "framing: data outside STX…ETX",
        },
        {
          at: "2026-11-22T09:00:01.000Z",
          stage: "parse",
          text: "G!|RN5|",
          reason: "record ID is not 2 letters/digits",
        },
        {
          at: "2026-11-22T09:00:02.000Z",
          stage: "apply",
          text: "RE|RN101|DNX|",
          reason: 'DN "X" is not a yes/no value (Y/N, 1/0 or T/F)',
        },
      ]);

      // After a restart the link's rejects are gone; the refused record is still in the inbox.
      const again = await new PmsMonitor(ctx, 500).rejected();
      assert.deepEqual(
        again.map((x) => [x.stage, x.text]),
        [["apply", "RE|RN101|DNX|"]],
      );
    }));

  test("GET /api/v1/pms: at most the last 50 rejects", () =>
    withApi(async ({ call, pms, ctx }) => {
      for (let i = 0; i < 60; i++) {
        pms.onTrace({ dir: "in", at: ctx.clock.now() + i, text: `X${i}`, error: "record ID is not 2 letters/digits" });
      }
      const r = await call("GET", "/api/v1/pms", { as: "admin" });
      assert.equal(r.body.rejected.length, 50);
      assert.equal(r.body.rejected[0].text, "X10");
      assert.equal(r.body.rejected.at(-1).text, "X59", "newest last");
    }));

  test("resync without a link: 202, sent false, remembered and audited", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/pms/resync", { as: "frontdesk" });
      assert.equal(r.status, 202);
      assert.deepEqual(r.body, { requested: true, sent: false });
      const audit = await call("GET", "/api/v1/audit", { as: "installer" });
      assert.equal(audit.body.entries[0].action, "pms-resync-request");
      assert.equal(audit.body.entries[0].actor, "api:desk");
    }));

  test("resync with a link that can send: sent true", () =>
    withApi(async ({ call, pms }) => {
      const sent: string[] = [];
      pms.link = {
        canSend: true,
        sendMessage: (text) => {
          sent.push(text.slice(0, 2));
          return true;
        },
      };
      const r = await call("POST", "/api/v1/pms/resync", { as: "installer" });
      assert.deepEqual(r.body, { requested: true, sent: true });
      assert.deepEqual(sent, ["DR"]);
    }));
});

describe("audit", () => {
  test("entries carry the actor api:<token name>, newest first, filtered by room, paged", () =>
    withApi(async ({ call }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer", body: { phone: { mac: "000413aabbcc" } } });
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      await call("POST", "/api/v1/rooms/202/checkin", { as: "admin", body: { guest: { lastName: "Verdi" } } });
      await call("PATCH", "/api/v1/rooms/101", { as: "housekeeping", body: { housekeeping: { status: 2 } } });

      const all = await call("GET", "/api/v1/audit", { as: "installer" });
      assert.equal(all.status, 200);
      v.parse(AuditList, all.body);
      const actions = all.body.entries.map((e: { actor: string; action: string; room: string }) => [
        e.actor,
        e.action,
        e.room,
      ]);
      assert.deepEqual(actions, [
        ["api:maids", "room-update", "101"],
        ["api:root", "checkin", "202"],
        ["api:desk", "checkin", "101"],
        ["api:tech", "room-phone", "101"],
        ["api:tech", "room-define", "101"],
      ]);
      assert.equal(all.body.entries[0].at, "2026-11-22T10:00:00+01:00");

      const room = await call("GET", "/api/v1/audit?room=202", { as: "admin" });
      assert.deepEqual(
        room.body.entries.map((e: { room: string }) => e.room),
        ["202"],
      );
      const first = await call("GET", "/api/v1/audit?limit=2", { as: "admin" });
      assert.equal(first.body.entries.length, 2);
      const next = await call("GET", `/api/v1/audit?limit=2&before=${first.body.entries[1].id}`, { as: "admin" });
      assert.deepEqual(
        next.body.entries.map((e: { action: string }) => e.action),
        ["checkin", "room-phone"],
      );
    }));
});
