/**
 * Postings through the whole appliance (issue 15 §4, postings part): real sockets end to end. A call
 * is played on the VOIspeed simulator, its events and call report make the call record, call charging
 * prices it from the tariff, the posting sender sends it to the PMS simulator over TCP (FIAS PS, or a
 * Mitel MR) and the answer (PA, or Mitel's ACK) settles it; staff see and retry it on the HTTP API.
 * Minibar by phone runs the inbound flow with a scripted channel against the running appliance's own
 * context (the SIP leg is proven in test/inbound; here the posting's way to the PMS is the point).
 * The last part kills the compiled binary between a PS and its PA: at most once, then staff decide.
 *
 * The services alone against a FiasLink: test/integration/postings.test.ts; the tariff's arithmetic
 * in depth: test/domain/tariff.unit.test.ts and test/services/call-charges.test.ts.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { runInboundCall } from "../../src/inbound/dispatch.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { type FiasRecord, formatRecord } from "../../src/pms/fias/record.ts";
import type { PostingView } from "../../src/services/postings.ts";
import { MitelPmsSimulator } from "../../src/sim/mitel/simulator.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { apiReady, binaryHarness } from "../helpers/binary.ts";
import { fakeCall, typed } from "../helpers/fake-channel.ts";
import {
  afterCheckIn,
  frontdeskTokenWithCli,
  type PostingsRig,
  pNumber,
  stampOf,
  startPostingsRig,
  TARIFF,
} from "../helpers/postings-rig.ts";
import { eventually, HOST, sleep } from "./support.ts";

/** A UK number: 00 is the International line (the longest prefix), 0 would be National. */
const ABROAD = "0044207946000";
/** 125 s of talk: billed 150 s on the International line (minimum 60 s, whole 30 s increments). */
const TALK = 125;
/** Setup 0.50 + 0.99/min × 150 s = 50 + 247.5 → 50 + 248 (rounded up to a cent) = 2.98. */
const ABROAD_AMOUNT = 298;
const ANSWERED = { answer: true, ringSeconds: 5, talkSeconds: TALK, hangupBy: "caller" } as const;

const fiasSim = () => new PmsSimulator({ hotel: generateHotel({ rooms: 6, occupancy: 0 }), answerPostings: true });
const psOf = (sim: PmsSimulator, room: string): FiasRecord[] =>
  sim.postings.exchanges.filter((e) => e.ps.fields.RN === room).map((e) => e.ps);

describe("FIAS over TCP, pre-costed: calls, a refusal, minibar by phone, the link down", () => {
  let pms: PmsSimulator;
  let port: number;
  let rig: PostingsRig;

  before(async () => {
    pms = fiasSim();
    port = await pms.listen(0, HOST);
    rig = await startPostingsRig({
      pms: { mode: "client", host: HOST, port },
      postings: { enabled: true, mode: "pre-costed", tariffs: TARIFF },
      ivr: { minibar: ["*85"] },
    });
    await pms.whenLinked(5000);
    pms.send("GI|RN101|G#5101|GNRossi|GFAnna|GLEA|");
    pms.send("GI|RN102|G#5102|GNBianchi|GFLuca|GLEA|");
    pms.send("GI|RN103|G#5103|GNWeber|GFJonas|GLGE|");
    for (const room of ["101", "102", "103"]) await rig.occupied(room);
    await afterCheckIn();
  });

  after(async () => {
    await rig?.close();
    await pms?.close();
  });

  test("an answered outside call → one PS with the tariff's TA and DD → PA OK → accepted on the API", async () => {
    const [decision, ...more] = await rig.placeCall("101", ABROAD, ANSWERED);
    assert.deepEqual(more, [], "one call record");
    assert.equal(decision?.outcome, "posted");
    const id = decision?.postingId ?? 0;
    const p = await rig.settled(id, "accepted");
    const [ps, ...again] = psOf(pms, "101");
    assert.deepEqual(again, [], "exactly one PS");
    assert.deepEqual(ps?.fields, {
      RN: "101",
      PT: "C",
      TA: String(ABROAD_AMOUNT),
      DD: ABROAD,
      PC: "I",
      CT: "International",
      ...stampOf(p),
      "P#": String(p.sequence),
    });
    assert.equal(pms.postings.exchanges.find((e) => e.ps === ps)?.pa?.fields.AS, "OK");
    // As the desk sees it: the source call record, the tariff line and the billed time kept with it.
    const [listed] = await rig.postings("?room=101");
    assert.deepEqual(
      [listed?.id, listed?.kind, listed?.amount, listed?.dialled, listed?.reservation],
      [id, "call", ABROAD_AMOUNT, ABROAD, "5101"],
    );
    assert.deepEqual(listed?.source, { type: "call-record", ref: String(decision?.recordId) });
    assert.deepEqual([listed?.answer?.code, listed?.record], ["OK", ps && formatRecord(ps)], "the record as sent");
    const tariff = listed?.tariff as { mode: string; line: Record<string, unknown>; billedSeconds: number };
    assert.deepEqual(
      [tariff.mode, tariff.line.prefix, tariff.line.name, tariff.line.setupFee, tariff.line.ratePerMinute],
      ["pre-costed", "00", "International", 50, 99],
    );
    assert.deepEqual([tariff.billedSeconds, tariff.line.incrementSeconds, tariff.line.minimumSeconds], [150, 30, 60]);
  });

  // Known bug, left failing on purpose (see the report): src/services/postings.ts takes the guest's
  // fullName, which the FIAS adapter (src/pms/fias/events-guest.ts guestName) sets to GN alone when the
  // first name comes in GF; the phone book shows "Anna Rossi" for the same guest.
  test("the posting names the guest as the PMS did: GN Rossi + GF Anna → Anna Rossi", async () => {
    const [p] = await rig.postings("?room=101");
    assert.equal(p?.guestName, "Anna Rossi");
  });

  test("an internal call and an unanswered outside call → decided free, no PS", async () => {
    const before = pms.postings.exchanges.length;
    const internal = await rig.placeCall("101", "102", ANSWERED);
    assert.deepEqual(
      internal.map((d) => [d.outcome, d.reason, d.postingId]),
      [["free", "internal", null]],
    );
    const unanswered = await rig.placeCall("101", ABROAD, { answer: false, ringSeconds: 20 });
    assert.deepEqual(
      unanswered.map((d) => [d.outcome, d.reason, d.postingId]),
      [["free", "unanswered", null]],
    );
    await sleep(300);
    assert.equal(pms.postings.exchanges.length, before, "no PS for either");
    assert.equal((await rig.postings("?room=101")).length, 1, "still only the first call's posting");
  });

  test("the PMS refuses room 102's posting → rejected with its code and text; the desk retries → accepted, new P#", async () => {
    pms.postings.reject("102");
    const [decision] = await rig.placeCall("102", "0612345678", { ...ANSWERED, talkSeconds: 30 });
    const id = decision?.postingId ?? 0;
    const refused = await rig.settled(id, "rejected");
    assert.deepEqual([refused.answer?.code, refused.answer?.text], ["NG", "INVALID ROOM"]);
    // National: 60 s increments, 30 s → one minute: 0.10 + 0.20 = 0.30.
    assert.equal(refused.amount, 30);
    await sleep(300);
    assert.equal(psOf(pms, "102").length, 1, "a refusal is not resent by itself");

    pms.postings.rejectRooms.clear();
    const retry = await rig.call("POST", `/postings/${id}/retry`);
    assert.equal(retry.status, 200, JSON.stringify(retry.json));
    const booked = await rig.settled(id, "accepted");
    const [first, second, ...more] = psOf(pms, "102").map((r) => r.fields["P#"]);
    assert.deepEqual(more, []);
    assert.notEqual(second, first, "a new P#");
    assert.equal(String(booked.sequence), second);
    assert.deepEqual([booked.answer?.code, booked.attempts], ["OK", 2]);
    const again = await rig.call("POST", `/postings/${id}/retry`);
    assert.equal(again.status, 409, "an accepted posting is not sent again");
  });

  test("minibar by phone: *85 from room 103, article 12 #, quantity 2 #, 1, hang-up → PS PTM MA12 M#2 → accepted", async () => {
    const call = fakeCall({
      keys: [
        ...typed("12#", { after: "minibar-enter-article", delay: 300 }),
        ...typed("2#", { after: "minibar-enter-quantity", delay: 300 }),
        { after: "minibar-confirm-menu", delay: 300, key: "1" },
      ],
      hangup: { after: "minibar-posted", delay: 200 },
    });
    const summary = await runInboundCall(rig.app.ctx, {
      channel: call.channel,
      prompts: call.prompts,
      ivr: rig.config.ivr,
      info: { requestUser: "*85", fromUser: "103", diversionUsers: [], historyInfoUsers: [], assertedUsers: [] },
      logger: silentLogger,
    });
    // Charged at the 1; the caller hung up while asked for the next article.
    assert.deepEqual([summary.service, summary.room, summary.lang, summary.result], ["minibar", "103", "de", "done"]);
    assert.deepEqual(call.channel.labels().slice(-3), [
      "minibar-confirm-menu",
      "minibar-posted",
      "minibar-next-article",
    ]);
    const [p, ...more] = await rig.postings("?room=103");
    assert.deepEqual(more, []);
    assert.deepEqual(
      [p?.kind, p?.article, p?.quantity, p?.source.type, p?.actor],
      ["minibar", "12", 2, "minibar-phone", "phone:103"],
    );
    const booked = await rig.settled(p?.id ?? 0, "accepted");
    const [ps, ...again] = psOf(pms, "103");
    assert.deepEqual(again, []);
    assert.deepEqual(ps?.fields, {
      RN: "103",
      PT: "M",
      MA: "12",
      "M#": "2",
      ...stampOf(booked),
      "P#": String(booked.sequence),
    });
  });

  // Last in this group: the simulator that comes back is a new one (a PMS restarted).
  test("link down: a staff charge is stored (201, pending), nothing goes; the PMS back → sent after link-up, accepted", async () => {
    const old = pms;
    const sentBefore = old.postings.exchanges.length;
    await old.close();
    await eventually("the link down", () => !rig.app.link.canSend, 5000, 10);
    const made = await rig.call("POST", "/rooms/101/postings", { kind: "charge", amount: 1500, text: "Laundry" });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const charge = made.json as PostingView;
    assert.deepEqual([charge.state, charge.source.type, charge.actor], ["pending", "staff", "api:desk"]);
    await sleep(500);
    const held = await rig.posting(charge.id);
    assert.deepEqual([held.state, held.attempts, held.sequence], ["pending", 0, null]);
    assert.equal(old.postings.exchanges.length, sentBefore);

    pms = fiasSim();
    await pms.listen(port, HOST);
    await pms.whenLinked(5000);
    const booked = await rig.settled(charge.id, "accepted", 8000);
    const [ps, ...more] = pms.postings.exchanges.map((e) => e.ps);
    assert.deepEqual(more, []);
    assert.deepEqual(
      [ps?.fields.RN, ps?.fields.PT, ps?.fields.TA, ps?.fields.CT, ps?.fields["P#"]],
      ["101", "C", "1500", "Laundry", String(booked.sequence)],
    );
    // Sent after the link's own start: LD, the LRs and LA come first on the new connection.
    const types = pms.received.map((r) => r.record.type);
    assert.ok(types.indexOf("LA") < types.indexOf("PS"), types.join(" "));
  });
});

describe("FIAS over TCP, pms-costed: the call's talk time and dialled number", () => {
  let pms: PmsSimulator;
  let rig: PostingsRig;

  before(async () => {
    pms = fiasSim();
    const port = await pms.listen(0, HOST);
    rig = await startPostingsRig({
      pms: { mode: "client", host: HOST, port },
      postings: { enabled: true, mode: "pms-costed", tariffs: TARIFF },
    });
    await pms.whenLinked(5000);
    pms.send("GI|RN101|G#6101|GNRossi|GFAnna|GLEA|");
    await rig.occupied("101");
    await afterCheckIn();
  });

  after(async () => {
    await rig?.close();
    await pms?.close();
  });

  test("the same call → PS PTT with DU (HHMMSS) and DD, no TA → accepted", async () => {
    const [decision] = await rig.placeCall("101", ABROAD, ANSWERED);
    const p = await rig.settled(decision?.postingId ?? 0, "accepted");
    assert.deepEqual([p.amount, p.durationSeconds, p.dialled], [null, TALK, ABROAD]);
    const [ps, ...more] = psOf(pms, "101");
    assert.deepEqual(more, []);
    assert.deepEqual(ps?.fields, {
      RN: "101",
      PT: "T",
      DU: "000205",
      DD: ABROAD,
      PC: "I",
      CT: "International",
      ...stampOf(p),
      "P#": String(p.sequence),
    });
  });
});

describe("Mitel over TCP, pms-costed with meter pulses", () => {
  let sim: MitelPmsSimulator;
  let rig: PostingsRig;

  before(async () => {
    sim = new MitelPmsSimulator({ hotel: generateHotel({ rooms: 6, occupancy: 0 }) });
    const port = await sim.listen(0, HOST);
    rig = await startPostingsRig({
      pms: { protocol: "mitel", mode: "client", host: HOST, port, mitel: { moveWindowSeconds: 1 } },
      postings: { enabled: true, mode: "pms-costed", pulses: true, tariffs: TARIFF },
    });
    await sim.whenConnected(8000);
    await sim.send({ type: "CHK", room: "101", checkedIn: true });
    await sim.send({ type: "NAM", room: "101", op: 1, name: { last: "ROSSI", first: "ANNA" } });
    await rig.occupied("101");
    await afterCheckIn();
  });

  after(async () => {
    await rig?.close();
    await sim?.close();
  });

  test("the call → one MR with the pulses (one per billed increment) → accepted on the PMS's ACK", async () => {
    const [decision] = await rig.placeCall("101", ABROAD, ANSWERED);
    const mr = await sim.waitFor({ type: "MR", room: "101" }, 5000);
    // 150 billed seconds in 30 s increments.
    assert.deepEqual(mr, { type: "MR", room: "101", pulses: 5 });
    const p = await rig.settled(decision?.postingId ?? 0, "accepted");
    assert.deepEqual([p.pulses, p.kind, p.attempts], [5, "call", 1]);
    assert.match(p.answer?.text ?? "", /delivered/);
    await sleep(300);
    assert.equal(sim.received.filter((m) => m.type === "MR").length, 1, "one MR");
  });
});

const harness = binaryHarness("bellhop-postings-e2e-");

describe("kill -9 of the compiled binary between the PS and its PA", () => {
  test("the restart shows it uncertain and sends nothing; a staff retry sends it with a new P# → accepted", {
    timeout: 60_000,
  }, async () => {
    const hotel = generateHotel({ rooms: 4, occupancy: 1 });
    const room = hotel.guests[0]?.room ?? "";
    const sim = new PmsSimulator({ hotel, answerPostings: true, silentPostings: true });
    harness.defer(() => sim.close());
    const pmsPort = await sim.listen(0, HOST);
    const { apiPort, dataDir, configFile } = await harness.site("bellhop-postings-e2e-run-", {
      pms: { mode: "client", host: HOST, port: pmsPort },
      postings: { enabled: true },
    });
    const token = frontdeskTokenWithCli(harness, dataDir);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://${HOST}:${apiPort}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as PostingView };
    };
    const start = async () => {
      const linked = once(sim, "linked");
      const run = harness.start(configFile, dataDir);
      await linked;
      await apiReady(apiPort, ["linked"]);
      return run;
    };

    // ---- run 1: the guests by resync, a staff charge, SIGKILL once its PS reached the PMS ----------
    const run1 = await start();
    sim.resync();
    const charge = { kind: "charge", amount: 2500, text: "Room service", ref: "crash-1" };
    let posted = { status: 0, json: {} as PostingView };
    await eventually(
      `a charge for room ${room} (checked in by the resync)`,
      async () => {
        posted = await api("POST", `/rooms/${room}/postings`, charge);
        return posted.status === 201 || posted.status === 200;
      },
      10_000,
      50,
    );
    const id = posted.json.id;
    await eventually("the PS at the PMS", () => sim.postings.exchanges.length === 1, 10_000, 5);
    run1.proc.kill("SIGKILL");
    await run1.proc.exited;
    const first = sim.postings.exchanges[0]?.ps;
    assert.deepEqual([first?.fields.RN, first?.fields.TA, sim.postings.exchanges[0]?.pa], [room, "2500", null]);

    // ---- run 2: uncertain, never resent by itself ----------------------------------------------------
    const run2 = await start();
    const seen = (await api("GET", `/postings/${id}`)).json;
    assert.deepEqual([seen.state, String(seen.sequence)], ["uncertain", first?.fields["P#"]], JSON.stringify(seen));
    await sleep(3000);
    assert.equal(sim.postings.exchanges.length, 1, "no second PS after the restart's link-up");
    assert.equal((await api("GET", `/postings/${id}`)).json.state, "uncertain");

    // The desk checked the folio: not booked. The PMS answers again; the retry goes with a new P#.
    sim.postings.silent = false;
    const retried = await api("POST", `/postings/${id}/retry`);
    assert.equal(retried.status, 200, JSON.stringify(retried.json));
    await eventually(
      "accepted after the retry",
      async () => (await api("GET", `/postings/${id}`)).json.state === "accepted",
      10_000,
      50,
    );
    const [a, b, ...more] = sim.postings.exchanges;
    assert.deepEqual(more, []);
    assert.notEqual(b?.ps.fields["P#"], a?.ps.fields["P#"], "a new P#");
    assert.deepEqual([b?.ps.fields.TA, b?.pa?.fields.AS], ["2500", "OK"]);
    assert.equal(pNumber((await api("GET", `/postings/${id}`)).json.record), b?.ps.fields["P#"]);
    run2.proc.kill("SIGTERM");
    assert.equal(await run2.proc.exited, 0, await run2.log);
  });
});
