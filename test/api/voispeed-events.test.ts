import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { asc, eq } from "drizzle-orm";
import { memoryLogger } from "../../src/lib/logger.ts";
import { audit, callRecords } from "../../src/store/schema/index.ts";
import { KEY, PBX, STRANGER, ssnRow, userRow, type VoispeedFixture, withVoispeed } from "./voispeed-fixture.ts";

const records = (f: VoispeedFixture) =>
  f.store.read((db) => db.select().from(callRecords).orderBy(asc(callRecords.id)));

/** A get_call_report row: room 101 (ext 2101) called 0039061234567 over gateway 3. */
function outgoingRow(id: string) {
  return ssnRow({
    id,
    startTime: "2026-11-22 09:58:00",
    duration: 95,
    outcome: 1,
    callingType: 0,
    callingNumber: "2101",
    calledType: 2,
    calledNumber: "0039061234567",
    connectedType: 2,
    connectedNumber: "0039061234567",
    ringTime: 12,
    ivrTime: 0,
    talkTime: 83,
    queueTime: 0,
    gatewayIn: "0",
    gatewayOut: "3",
    internal: false,
  });
}

describe("VOIspeed events: access", () => {
  test("wrong key, no key, outside callbackNetworks → 403; the key is never logged", async () => {
    const logger = memoryLogger();
    await withVoispeed(
      async (f) => {
        const ok = await f.event({ event_type: "2", event: "8", event_name: "incoming_call", ext: "2101" });
        assert.equal(ok.status, 200);
        const wrong = await f.event({ event_name: "incoming_call" }, { key: "guess" });
        assert.equal(wrong.status, 403);
        assert.equal(wrong.json().error.code, "FORBIDDEN");
        const none = await f.event({ event_name: "incoming_call" }, { key: null });
        assert.equal(none.status, 403);
        const prefix = await f.event({ event_name: "incoming_call" }, { key: KEY.slice(0, -1) });
        assert.equal(prefix.status, 403);
        const outside = await f.event({ event_name: "incoming_call" }, { from: STRANGER });
        assert.equal(outside.status, 403);
        assert.match(outside.json().error.message, /10\.20\.0\.99.*callbackNetworks/);
        // An IPv4 peer on a dual-stack socket counts as its IPv4 address.
        assert.equal((await f.event({ event_name: "incoming_call" }, { from: `::ffff:${PBX}` })).status, 200);
        // The IVR hook is guarded the same way.
        assert.equal((await f.ivr({ ivrid: "9", nodeid: "0", calling: "2101", input: "1" }, { key: "x" })).status, 403);
        assert.equal((await f.ivr({ ivrid: "9", nodeid: "0" }, { from: STRANGER })).status, 403);
        assert.equal(f.callbacks.counters("vs1")?.refused, 6);
        // Nothing reached the services.
        assert.equal(f.callbacks.counters("vs1")?.events, 2);

        const log = JSON.stringify(logger.lines);
        assert.ok(!log.includes(KEY), "the key is not in the log");
        assert.ok(!log.includes(KEY.slice(0, -1)), "nor a near miss of it");
        assert.match(log, /wrong or missing key/);
        assert.match(log, /not from callbackNetworks/);
        for (const r of [wrong, none, prefix, outside]) assert.ok(!r.text.includes(KEY.slice(0, 8)));
      },
      { logger },
    );
  });

  test("refusals are logged through the budget: a flood costs a line, not a line each", async () => {
    const logger = memoryLogger();
    await withVoispeed(
      async (f) => {
        for (let i = 0; i < 50; i++) assert.equal((await f.event({ event_name: "x" }, { key: `k${i}` })).status, 403);
        const lines = logger.lines.filter((l) => String(l.msg).includes("wrong or missing key"));
        assert.equal(lines.length, 1);
        assert.equal(f.callbacks.budget.count("voispeed-refused-key"), 50);
      },
      { logger },
    );
  });

  test("an unknown link → 404, whoever asks", () =>
    withVoispeed(async (f) => {
      const r = await f.event({ event_name: "incoming_call" }, { link: "nope" });
      assert.equal(r.status, 404);
      assert.equal(r.json().error.code, "NOT_FOUND");
      assert.equal((await f.ivr({}, { link: "nope", from: STRANGER })).status, 404);
    }));

  test("without any VOIspeed link (no callbacks wired) → 404", () =>
    withVoispeed(async (f) => {
      f.deps.voispeed = undefined;
      assert.equal((await f.event({ event_name: "incoming_call" })).status, 404);
    }));

  test("the routes are in the API document, public", () =>
    withVoispeed(async (f) => {
      const doc = (await f.call("GET", "/openapi.json", { as: null })).body;
      const ev = doc.paths["/api/v1/pbx/voispeed/{link}/events"].get;
      assert.deepEqual(ev.security, []);
      assert.ok(ev.responses["403"] && ev.responses["404"]);
      assert.ok(ev.parameters.some((p: { name: string }) => p.name === "event_name"));
      const ivr = doc.paths["/api/v1/pbx/voispeed/{link}/ivr"].get;
      assert.ok(ivr.responses["200"].content["text/plain"]);
      assert.ok(doc.paths["/api/v1/calls"].get);
    }));
});

describe("VOIspeed events: dispatch", () => {
  test("cmd_failed reopens the job of its request_id, with VOIspeed's error text", () =>
    withVoispeed(async (f) => {
      const r = await f.event({
        event_type: "2",
        event: "1",
        event_name: "cmd_failed",
        ext: "2101",
        request_id: " 15652770917203 ",
        error_msg: "user busy",
        error_code: "7",
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), { event: "cmd_failed", handled: "job-reopened" });
      assert.deepEqual(f.failed, [
        { link: "vs1", ref: "15652770917203", error: "VOIspeed cmd_failed: user busy (error_code 7)" },
      ]);
      // A request no job waits for: still 200.
      const unknown = await f.event({ event_name: "cmd_failed", request_id: "404" });
      assert.deepEqual(unknown.json(), { event: "cmd_failed", handled: "job-unknown" });
      // No request_id: nothing to reopen.
      const bare = await f.event({ event_name: "cmd_failed" });
      assert.equal(bare.status, 200);
      assert.equal(bare.json().handled, "ignored");
      assert.equal(f.failed.length, 2);
      assert.equal(f.failed[1]?.error, "VOIspeed cmd_failed");
    }));

  test("cmd_failed: a failing job store is logged, and the PBX still gets 200", async () => {
    const logger = memoryLogger();
    await withVoispeed(
      async (f) => {
        const r = await f.event({ event_name: "cmd_failed", request_id: "1" });
        assert.equal(r.status, 200);
        assert.equal(r.json().handled, "job-unknown");
        assert.ok(logger.lines.some((l) => l.msg === "VOIspeed cmd_failed could not be applied to its job"));
      },
      {
        logger,
        failJob: async () => {
          throw new Error("database is locked");
        },
      },
    );
  });

  test("dispatch is on event_name: code 1 of the extended family is call_in, not cmd_failed", () =>
    withVoispeed(async (f) => {
      const r = await f.event({ event: "1", event_name: "call_in", calling: "2101", called: "200", request_id: "5" });
      assert.deepEqual(r.json(), { event: "call_in", handled: "counted" });
      assert.equal(f.failed.length, 0);
      assert.equal(f.callbacks.counters("vs1")?.byName.call_in, 1);
    }));

  test("unknown events are logged (budgeted) and answered 200", async () => {
    const logger = memoryLogger();
    await withVoispeed(
      async (f) => {
        for (const name of ["party_started", "party_started", ""]) {
          const r = await f.event({ event_type: "9", event: "77", event_name: name });
          assert.equal(r.status, 200);
          assert.equal(r.json().handled, "unknown");
        }
        const lines = logger.lines.filter((l) => String(l.msg).startsWith("VOIspeed event not handled"));
        assert.equal(lines.length, 1);
        assert.equal(lines[0]?.eventName, "party_started");
        assert.equal(f.callbacks.counters("vs1")?.unknown, 3);
        assert.equal(f.callbacks.counters("vs1")?.byName["?"], 3);
        assert.ok(!JSON.stringify(logger.lines).includes(KEY));
      },
      { logger },
    );
  });

  test("new_voicemail is audited for the room and counted; an extension that is no room is not", () =>
    withVoispeed(async (f) => {
      const r = await f.event({ event_type: "2", event: "10", event_name: "new_voicemail", ext: " 2102 " });
      assert.deepEqual(r.json(), { event: "new_voicemail", handled: "voicemail" });
      const rows = await f.store.read((db) => db.select().from(audit).where(eq(audit.action, "voispeed-voicemail")));
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.room, "102");
      assert.equal(rows[0]?.actor, "voispeed:vs1");
      assert.deepEqual(rows[0]?.after, { link: "vs1", ext: "2102" });
      const staff = await f.event({ event_name: "new_voicemail", ext: "999" });
      assert.equal(staff.json().handled, "not-a-room");
      assert.equal(f.callbacks.counters("vs1")?.voicemails, 2);
    }));
});

describe("VOIspeed events: call records", () => {
  test("call_terminated twice → one record, completed from get_call_report", () =>
    withVoispeed(async (f) => {
      f.reports.ssn.push(outgoingRow("10724"));
      const ev = { event: "10", event_name: "call_terminated", call_id: "10724", outcome: "1" };
      const a = await f.event(ev);
      assert.deepEqual(a.json(), { event: "call_terminated", handled: "call-record" });
      const b = await f.event(ev);
      assert.deepEqual(b.json(), { event: "call_terminated", handled: "call-duplicate" });
      await f.recorder.idle();
      const c = await f.event(ev);
      assert.equal(c.json().handled, "call-duplicate");
      await f.recorder.idle();
      const rows = await records(f);
      assert.equal(rows.length, 1);
      const r = rows[0];
      assert.equal(r?.state, "done");
      assert.deepEqual(
        {
          link: r?.link,
          callId: r?.callId,
          room: r?.room,
          extension: r?.extension,
          direction: r?.direction,
          number: r?.number,
          internal: r?.internal,
          talkSeconds: r?.talkSeconds,
          outcome: r?.outcome,
          trunk: r?.trunk,
        },
        {
          link: "vs1",
          callId: "10724",
          room: "101",
          extension: "2101",
          direction: "out",
          number: "0039061234567",
          internal: false,
          talkSeconds: 83,
          outcome: 1,
          trunk: "3",
        },
      );
      // 09:58 in Rome (UTC+1) = 08:58Z; answered after 12 s of ringing.
      assert.equal(r?.startAt, Date.UTC(2026, 10, 22, 8, 58, 0));
      assert.equal(r?.answerAt, Date.UTC(2026, 10, 22, 8, 58, 12));
      assert.equal(f.reports.calls.length, 1, "the report was read once");
      assert.equal(f.recorder.counters.duplicates, 2);

      const list = await f.call("GET", "/api/v1/calls", { as: "frontdesk" });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.calls, [
        {
          id: r?.id,
          link: "vs1",
          callId: "10724",
          room: "101",
          extension: "2101",
          direction: "out",
          number: "0039061234567",
          internal: false,
          startAt: "2026-11-22T09:58:00+01:00",
          answerAt: "2026-11-22T09:58:12+01:00",
          talkSeconds: 83,
          outcome: 1,
          outcomeName: "ok",
          trunk: "3",
        },
      ]);
    }));

  test("the same call by both families (user event, then SSN) → one record", () =>
    withVoispeed(async (f) => {
      f.reports.ssn.push(outgoingRow("555"));
      f.reports.user.set("2101", [
        userRow({
          id: "9001",
          callId: "555",
          startTime: "2026-11-22 09:58:00",
          answerTime: "2026-11-22 09:58:12",
          duration: 83,
          outcome: 1,
          direction: "out",
          myNumber: "2101",
          remoteNumber: "0039061234567",
          localId: "77",
        }),
      ]);
      // The user event carries the call's local id; its report row names the communication.
      await f.event({ event_type: "2", event: "9", event_name: "outgoing_call", ext: "2101", usercallid: "77" });
      const u = await f.event({
        event_type: "2",
        event: "16",
        event_name: "call_disconnect_out",
        ext: "2101",
        usercallid: "77",
      });
      assert.equal(u.json().handled, "call-record");
      await f.recorder.idle();
      const s = await f.event({ event_name: "call_terminated", call_id: "555", outcome: "1" });
      assert.equal(s.json().handled, "call-duplicate");
      await f.recorder.idle();
      // And the user event once more, after completion: the copy is merged away.
      await f.event({ event_name: "call_disconnect_out", ext: "2101", usercallid: "77" });
      await f.recorder.idle();
      const rows = await records(f);
      assert.equal(rows.length, 1);
      assert.deepEqual(
        [rows[0]?.callId, rows[0]?.room, rows[0]?.direction, rows[0]?.talkSeconds, rows[0]?.state],
        ["555", "101", "out", 83, "done"],
      );
    }));

  test("a user event naming the communication is read from get_call_report (the trunk), else the user report", () =>
    withVoispeed(async (f) => {
      f.reports.ssn.push(outgoingRow("900"));
      f.reports.user.set("2101", [
        userRow({ callId: "901", startTime: "2026-11-22 10:00:00", duration: 9, outcome: 1, myNumber: "2101" }),
      ]);
      await f.event({ event_name: "call_disconnect_out", ext: "2101", call_id: "900", usercallid: "5" });
      await f.recorder.idle();
      // The module has no extended services: get_call_report fails, the user's report has the call.
      f.reports.failures.push("VOIspeed refused get_call_report: service not enabled");
      await f.event({ event_name: "call_disconnect_out", ext: "2101", call_id: "901" });
      await f.recorder.idle();
      const rows = await records(f);
      assert.deepEqual(
        rows.map((r) => [r.callId, r.state, r.trunk, r.talkSeconds]),
        [
          ["900", "done", "3", 83],
          ["901", "done", null, 9],
        ],
      );
      assert.deepEqual(f.reports.calls, [
        "vs1 get_call_report 900",
        "vs1 get_call_report 901",
        "vs1 get_user_call_report 2101",
      ]);
    }));

  test("a user event without a call id takes the newest row of the extension's report", () =>
    withVoispeed(async (f) => {
      f.reports.user.set("2102", [
        userRow({
          callId: "40",
          startTime: "2026-11-22 08:00:00",
          duration: 30,
          outcome: 1,
          myNumber: "2102",
          remoteNumber: "3471112222",
        }),
        userRow({
          callId: "41",
          startTime: "2026-11-22 09:30:00",
          answerTime: "2026-11-22 09:30:05",
          duration: 65,
          outcome: 1,
          direction: "in",
          myNumber: "2102",
          remoteNumber: "3473334444",
        }),
      ]);
      await f.event({ event_name: "call_disconnect_in", ext: "2102", number: "3473334444" });
      await f.event({ event_name: "call_disconnect_in", ext: "2102", number: "3473334444" });
      await f.recorder.idle();
      const rows = await records(f);
      assert.equal(rows.length, 1);
      assert.deepEqual(
        [rows[0]?.callId, rows[0]?.room, rows[0]?.direction, rows[0]?.number, rows[0]?.talkSeconds],
        ["41", "102", "in", "3473334444", 65],
      );
    }));

  test("an incoming call to a room over a trunk; a call of no room is dropped", () =>
    withVoispeed(async (f) => {
      f.reports.ssn.push(
        ssnRow({
          id: "600",
          startTime: "1795337000",
          outcome: 5,
          callingType: 2,
          callingNumber: "101",
          calledType: 0,
          calledNumber: "103",
          talkTime: 0,
          gatewayIn: "GW-ISDN",
        }),
      );
      f.reports.ssn.push(
        ssnRow({
          id: "601",
          startTime: "2026-11-22 10:00:00",
          outcome: 1,
          callingNumber: "200",
          calledNumber: "0612345",
        }),
      );
      await f.event({ event_name: "call_terminated", call_id: "600", outcome: "5" });
      await f.event({ event_name: "call_terminated", call_id: "601", outcome: "1" });
      await f.recorder.idle();
      const rows = await records(f);
      assert.equal(rows.length, 1);
      const r = rows[0];
      // The caller's "101" comes from a gateway (type 2): not room 101's phone.
      assert.deepEqual(
        [r?.callId, r?.room, r?.direction, r?.number, r?.answerAt, r?.talkSeconds, r?.outcome, r?.trunk],
        ["600", "103", "in", "101", null, 0, 5, "GW-ISDN"],
      );
      assert.equal(r?.startAt, 1795337000_000);
      assert.equal(f.recorder.counters.notRoom, 1);
      const list = await f.call("GET", "/api/v1/calls", { as: "installer" });
      assert.equal(list.body.calls[0].outcomeName, "no-answer");
    }));

  test("a user end-of-call event from an extension that is no room makes no record", () =>
    withVoispeed(async (f) => {
      const r = await f.event({ event_name: "call_disconnect_out", ext: "200", callid: "1" });
      assert.equal(r.json().handled, "not-a-room");
      assert.equal((await records(f)).length, 0);
      assert.equal(f.reports.calls.length, 0);
    }));

  test("the report is not there yet, or the PBX fails: asked again later, then given up", () =>
    withVoispeed(async (f) => {
      f.reports.failures.push("connect ECONNREFUSED");
      await f.event({ event_name: "call_terminated", call_id: "700" });
      await f.recorder.idle();
      let [row] = await records(f);
      assert.equal(row?.state, "pending");
      assert.equal(row?.lastError, "call report: connect ECONNREFUSED");
      // 5 s later: still no row for the call.
      f.ctx.clock.advance(5_000);
      await f.recorder.idle();
      [row] = await records(f);
      assert.equal(row?.attempts, 2);
      assert.match(row?.lastError ?? "", /has no call 700 yet/);
      // Now it is written; the next try (30 s later) completes it.
      f.reports.ssn.push(outgoingRow("700"));
      f.ctx.clock.advance(30_000);
      await f.recorder.idle();
      [row] = await records(f);
      assert.equal(row?.state, "done");
      assert.equal(row?.attempts, 3);
      assert.equal(row?.lastError, null);

      await f.event({ event_name: "call_terminated", call_id: "701" });
      for (const ms of [0, 5_000, 30_000, 120_000, 600_000, 3_600_000]) {
        f.ctx.clock.advance(ms);
        await f.recorder.idle();
      }
      const failed = (await records(f)).find((r) => r.callId === "701");
      assert.equal(failed?.state, "failed");
      assert.equal(failed?.attempts, 6);
      assert.equal(f.recorder.counters.failed, 1);
      const list = await f.call("GET", "/api/v1/calls", { as: "admin" });
      assert.deepEqual(
        list.body.calls.map((c: { callId: string }) => c.callId),
        ["700"],
        "pending and failed rows are no calls",
      );
    }));

  test("without a report source the rows wait, and complete once one is set", () =>
    withVoispeed(
      async (f) => {
        await f.event({ event_name: "call_terminated", call_id: "800" });
        await f.recorder.idle();
        assert.match((await records(f))[0]?.lastError ?? "", /no call report source/);
        f.reports.ssn.push(outgoingRow("800"));
        f.recorder.setReports(f.reports);
        f.ctx.clock.advance(5_000);
        await f.recorder.idle();
        assert.equal((await records(f))[0]?.state, "done");
      },
      { withoutReports: true },
    ));

  test("call_terminated without call_id is ignored, with 200", () =>
    withVoispeed(async (f) => {
      const r = await f.event({ event_name: "call_terminated", outcome: "1" });
      assert.equal(r.status, 200);
      assert.equal(r.json().handled, "ignored");
      assert.equal((await records(f)).length, 0);
    }));
});
