/**
 * The callbacks against the VOIspeed simulator (src/sim/voispeed): its event notifications and IVR
 * script calls reach the staff API over HTTP (a bridge gives them the PBX's address), and its call
 * reports complete the call records. Checks that the two agree on event names and parameters.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { asc, eq } from "drizzle-orm";
import type { CallReportSource } from "../../src/services/call-records.ts";
import type { IvrNodeSetting } from "../../src/services/voispeed-ivr.ts";
import { VoispeedSimulator } from "../../src/sim/voispeed/simulator.ts";
import { audit, callRecords, pmsOutbox } from "../../src/store/schema/index.ts";
import { KEY, PBX, type VoispeedFixture, withVoispeed } from "./voispeed-fixture.ts";

const num = (x: number | "" | undefined) => (x === "" || x === undefined ? undefined : x);

/** get_call_report / get_user_call_report read from the simulator's rows, as the driver reads its XML. */
function simReports(sim: VoispeedSimulator): CallReportSource {
  return {
    async callReport(_link, callId) {
      return sim.state.callReport
        .filter((r) => String(r.id) === callId)
        .map((r) => ({
          id: String(r.id),
          startTime: r.start_time,
          duration: r.duration,
          outcome: r.outcome,
          callingType: r.calling_type,
          callingNumber: r.calling_number,
          calledType: r.called_type,
          calledNumber: r.called_number,
          connectedType: num(r.connected_type),
          connectedNumber: r.connected_number,
          ringTime: r.ring_time,
          ivrTime: r.ivr_time,
          talkTime: r.talk_time,
          queueTime: r.queue_time,
          gatewayIn: String(r.gateway_in),
          gatewayOut: String(r.gateway_out),
          internal: r.internal === 1,
        }));
    },
    async userCallReport(_link, ext) {
      return sim.state.userCallReport
        .filter((r) => r.my_number === ext)
        .map((r) => ({
          id: String(r.id),
          callId: String(r.callid),
          startTime: r.start_time,
          answerTime: r.answer_time,
          duration: r.duration,
          outcome: r.outcome,
          direction: r.direction,
          myNumber: r.my_number,
          remoteNumber: r.remote_number,
          localId: String(r.local_id),
        }));
    },
  };
}

/** The API over HTTP for the simulator; every request arrives from the PBX's address. */
async function bridge(f: VoispeedFixture): Promise<{ base: string; server: Server }> {
  const server = createServer((req, res) => {
    void (async () => {
      const r = await f.app.request(req.url ?? "/", {}, { remoteAddress: PBX });
      res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "text/plain" });
      res.end(await r.text());
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/api/v1/pbx/voispeed/vs1`, server };
}

async function withSim(
  fn: (f: VoispeedFixture, sim: VoispeedSimulator, simPort: number) => Promise<void>,
  ivrNodes?: Record<string, IvrNodeSetting>,
): Promise<void> {
  await withVoispeed(
    async (f) => {
      const { base, server } = await bridge(f);
      const sim = new VoispeedSimulator({
        users: 3,
        firstExtension: 2101,
        notifyUrl: `${base}/events?key=${KEY}`,
        ivrUrl: `${base}/ivr?key=${KEY}`,
        asyncDelayMs: 0,
      });
      const simPort = await sim.listen(0);
      f.recorder.setReports(simReports(sim));
      try {
        await fn(f, sim, simPort);
      } finally {
        await sim.close();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    { ivrNodes },
  );
}

const records = (f: VoispeedFixture) =>
  f.store.read((db) => db.select().from(callRecords).orderBy(asc(callRecords.id)));

describe("VOIspeed callbacks against the simulator", () => {
  test("a room-to-room call, every event sent twice → one call record, from the call report", () =>
    withSim(async (f, sim) => {
      sim.notifier.duplicateAll = true;
      await sim.placeCall("2101", "2102", { answer: true, hangupBy: "caller", talkSeconds: 60 });
      await sim.idle();
      await f.recorder.idle();
      const refused = sim.notifier.sent.filter((e) => e.status !== 200);
      assert.deepEqual(refused, [], "every event answered 200");
      const names = new Set(sim.notifier.sent.map((e) => e.name));
      assert.ok(names.has("call_terminated") && names.has("call_disconnect_out"), [...names].join(" "));
      const rows = await records(f);
      assert.equal(rows.length, 1);
      const r = rows[0];
      assert.deepEqual(
        [r?.state, r?.room, r?.extension, r?.direction, r?.number, r?.internal, r?.talkSeconds, r?.outcome],
        ["done", "101", "2101", "out", "2102", true, 60, 1],
      );
      assert.equal(r?.callId, String(sim.state.callReport[0]?.id));
      assert.equal(f.callbacks.counters("vs1")?.unknown, 0, "no event the appliance does not know");
    }));

  test("a call to an outside number that is not answered; a call of no room is not recorded", () =>
    withSim(async (f, sim) => {
      await sim.placeCall("2102", "0612345678", { answer: "no-answer" });
      // 2103 is no room's extension here (room 103 dials as 103).
      await sim.placeCall("2103", "0612345678", { answer: true, talkSeconds: 20 });
      await sim.idle();
      await f.recorder.idle();
      const rows = await records(f);
      assert.equal(rows.length, 1);
      assert.deepEqual(
        [rows[0]?.room, rows[0]?.direction, rows[0]?.number, rows[0]?.answerAt, rows[0]?.talkSeconds],
        ["102", "out", "0612345678", null, 0],
      );
      assert.notEqual(rows[0]?.outcome, 1);
      assert.equal(f.recorder.counters.notRoom, 2, "its call_terminated, and its user events");
    }));

  test("the hotel IVR: housekeeping from the room phone → RE RS; bad input → the error child", () =>
    withSim(
      async (f, sim) => {
        const ok = await sim.ivrInput({ ivrid: 9, nodeid: 0, calling: "2101", called: "500", input: "123" });
        assert.equal(ok.steps[0]?.lineEnding, "crlf");
        assert.equal(ok.steps[0]?.command, 1);
        assert.equal(ok.nodeid, 2, "the OK child (key 2)");
        const out = await f.store.read((db) => db.select().from(pmsOutbox));
        assert.deepEqual(
          out.map((o) => o.record),
          ["RE|RN101|RS1|ID23|"],
        );
        const bad = await sim.ivrInput({ ivrid: 9, nodeid: 0, calling: "2101", called: "500", input: "9" });
        assert.equal(bad.nodeid, 1, "the Error child (key 1)");
        assert.equal((await f.store.read((db) => db.select().from(pmsOutbox))).length, 1);
      },
      // The default replies (ok → key 2, invalid → key 1) fit the simulator's tree, as the seed's PIN example.
      { "9/0": "housekeeping" },
    ));

  test("new_voicemail and cmd_failed from the simulator", () =>
    withSim(async (f, sim, simPort) => {
      await sim.newVoicemail("2102", "0612345678");
      const rows = await f.store.read((db) => db.select().from(audit).where(eq(audit.action, "voispeed-voicemail")));
      assert.deepEqual(
        rows.map((r) => r.room),
        ["102"],
      );

      sim.failNext("set_user_mode", 1, "user not available");
      const res = await fetch(
        `http://127.0.0.1:${simPort}/PBX/seri_endpoint.php?service=set_user_mode&token=sim-token&ext=2101&mode=2`,
      );
      const xml = await res.text();
      const requestId = /<request_id>\s*(\d+)\s*<\/request_id>/.exec(xml)?.[1];
      assert.ok(requestId, xml);
      await sim.idle();
      assert.deepEqual(f.failed, [{ link: "vs1", ref: requestId, error: "VOIspeed cmd_failed: user not available" }]);
    }));
});
