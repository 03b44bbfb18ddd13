/**
 * Postings end to end on the appliance side: the services, the posting sender and a real FiasLink
 * over TCP against the PMS simulator. PS → PA accepted; a refusal visible, retried by staff; nothing
 * sent while the link is down or between DS and DE, sent once it is back; no PA → the identical
 * record once more → failed.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { FiasLink } from "../../src/pms/fias/link.ts";
import { defaultLinkRecords } from "../../src/pms/fias/link-records.ts";
import { postingLinkRecords } from "../../src/pms/fias/posting-link-records.ts";
import { formatRecord } from "../../src/pms/fias/record.ts";
import { TcpClientConnector } from "../../src/pms/fias/tcp.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { PostingSender } from "../../src/services/posting-sender.ts";
import { createPosting, getPosting, retryPosting } from "../../src/services/postings.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { eventually, HOST, sleep } from "./support.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("postings over a FIAS link to the PMS simulator", () => {
  let t: Temp;
  let ctx: TestContext;
  let sim: PmsSimulator;
  let port: number;
  let link: FiasLink;
  let ingest: PmsIngest;
  let sender: PostingSender;

  const newSim = () => new PmsSimulator({ hotel: generateHotel({ rooms: 10, occupancy: 0 }), answerPostings: true });
  const state = async (id: number) => (await getPosting(ctx, id)).state;
  const sentPs = () => sim.postings.exchanges.map((e) => formatRecord(e.ps));

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    // Real time: the link and its peer run on sockets.
    ctx.clock = systemClock as TestContext["clock"];
    sim = newSim();
    port = await sim.listen(0, HOST);
    ingest = new PmsIngest(ctx, "latin1");
    link = new FiasLink({
      connector: new TcpClientConnector({ host: HOST, port, logger: silentLogger }),
      clock: systemClock,
      logger: silentLogger,
      charset: "latin1",
      linkRecords: [...defaultLinkRecords(), ...postingLinkRecords()],
      initWaitMs: 200,
      responseTimeoutMs: 2000,
      endWaitMs: 200,
      backoff: { initialMs: 50, maxMs: 100 },
      handlers: {
        onRecord: (r, raw) => ingest.receive(r, raw),
        onState: (s) => {
          if (s === "down") sender.linkDown();
        },
        onReady: () => sender.linkReady(),
      },
    });
    sender = new PostingSender(ctx, link, { answerTimeoutMs: 400 });
    ctx.hooks.postingsQueued = () => sender.kick();
    ctx.hooks.postingAnswered = (a) => sender.answered(a);
    await sender.init();
    link.start();
    await sim.whenLinked();
    // The guest arrives the way the PMS says so.
    sim.send("GI|RN101|G#42|GNRossi, Anna|");
    await eventually("check-in applied", () => ingest.applied >= 1);
  });

  afterEach(async () => {
    sender.stop();
    await link.stop();
    await sender.idle();
    await ingest.idle();
    await sim.close();
    t.cleanup();
  });

  test("PS → PA accepted; the PMS learnt PS/PA from the LR list", async () => {
    assert.equal(sim.linkRequests.get("PS"), "RNPTTAMPDUDDMAM#PCCTDATIP#");
    const p = await createPosting(ctx, {
      room: "101",
      kind: "minibar",
      article: "12",
      quantity: 2,
      source: { type: "minibar-phone", ref: "call-1" },
    });
    assert.equal(p.reservation, "42");
    await eventually("accepted", async () => (await state(p.id)) === "accepted");
    assert.match(sentPs()[0], /^PS\|RN101\|PTM\|MA12\|M#2\|DA\d{6}\|TI\d{6}\|P#1\|$/);
    const view = await getPosting(ctx, p.id);
    assert.deepEqual([view.sequence, view.answer?.code], [1, "OK"]);
  });

  test("a refusal is visible with the PMS's text; staff retry it once the PMS takes it", async () => {
    sim.postings.reject("101");
    const p = await createPosting(ctx, {
      room: "101",
      kind: "charge",
      amount: 1250,
      source: { type: "staff", ref: "r" },
    });
    await eventually("rejected", async () => (await state(p.id)) === "rejected");
    const seen = await getPosting(ctx, p.id);
    assert.deepEqual([seen.answer?.code, seen.answer?.text], ["NG", "INVALID ROOM"]);
    await sleep(100);
    assert.equal(sentPs().length, 1, "a refusal is not resent by itself");

    sim.postings.rejectRooms.clear();
    await retryPosting(ctx, p.id, "api:desk");
    await eventually("accepted after the retry", async () => (await state(p.id)) === "accepted");
    assert.deepEqual(
      sentPs().map((r) => r.match(/P#(\d+)/)?.[1]),
      ["1", "2"],
    );
  });

  test("link down: held; sent after link-up", async () => {
    await sim.close();
    await eventually("link down", () => !link.canSend);
    const p = await createPosting(ctx, {
      room: "101",
      kind: "charge",
      amount: 300,
      source: { type: "staff", ref: "d" },
    });
    await sleep(300);
    assert.equal(await state(p.id), "pending");
    sim = newSim();
    await sim.listen(port, HOST);
    await eventually("accepted after link-up", async () => (await state(p.id)) === "accepted", 8000);
    assert.equal(sentPs().length, 1);
  });

  test("held between DS and DE (resync), sent after DE", async () => {
    sim.send("DS|DA261122|TI100000|");
    await eventually("resync on the link", () => !link.canSend);
    const p = await createPosting(ctx, {
      room: "101",
      kind: "charge",
      amount: 300,
      source: { type: "staff", ref: "s" },
    });
    await sleep(200);
    assert.equal(sentPs().length, 0, "nothing goes between DS and DE");
    sim.send("GI|RN101|G#42|GNRossi, Anna|SF|");
    sim.send("DE|DA261122|TI100001|");
    await eventually("accepted after DE", async () => (await state(p.id)) === "accepted");
  });

  test("no PA: the identical record once more, then failed", async () => {
    sim.postings.silent = true;
    const p = await createPosting(ctx, {
      room: "101",
      kind: "charge",
      amount: 300,
      source: { type: "staff", ref: "q" },
    });
    await eventually("failed", async () => (await state(p.id)) === "failed", 5000);
    const [first, second] = sentPs();
    assert.equal(second, first, "same P#, same DA/TI");
    assert.equal(sentPs().length, 2);
  });
});
