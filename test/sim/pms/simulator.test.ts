import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { generateHotel } from "../../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../../src/sim/pms/simulator.ts";
import { FakeAppliance, LINK_INIT } from "./fake-appliance.ts";

describe("PmsSimulator", () => {
  let sim: PmsSimulator;
  let port: number;
  const apps: FakeAppliance[] = [];

  const linkedAppliance = async (): Promise<FakeAppliance> => {
    const app = await FakeAppliance.connect(port);
    apps.push(app);
    await app.next("LS");
    app.send(...LINK_INIT);
    await app.next("LA");
    await sim.whenLinked(1000);
    return app;
  };

  beforeEach(async () => {
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 2000 }) });
    port = await sim.listen(0);
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) app.close();
    await sim.close();
  });

  test("greets with LS and links after LD/LR/LA, answering LA", async () => {
    assert.equal(sim.linked, false);
    const app = await FakeAppliance.connect(port);
    apps.push(app);
    const ls = await app.next("LS");
    assert.match(ls.fields.DA, /^\d{6}$/);
    assert.match(ls.fields.TI, /^\d{6}$/);
    const linked = sim.whenLinked(2000);
    app.send(...LINK_INIT);
    await linked;
    assert.equal(sim.linked, true);
    const la = await app.next("LA");
    assert.match(la.fields.DA, /^\d{6}$/);
    assert.deepEqual([...sim.linkRequests.keys()], ["GI", "RE"]);
    assert.deepEqual(
      sim.received.map((r) => r.record.type),
      ["LD", "LR", "LR", "LA"],
    );
  });

  test("whenLinked rejects on timeout", async () => {
    await assert.rejects(sim.whenLinked(50), /did not complete LD\/LR\/LA within 50 ms/);
  });

  test("answers DR with DS, one GI|SF per guest, DE", async () => {
    const app = await linkedAppliance();
    app.send("DR|DA260115|TI120005|");
    await app.next("DS");
    const guests = sim.hotel.guests.length;
    assert.ok(guests > 1000);
    for (let i = 0; i < guests; i++) {
      const gi = await app.next("GI");
      assert.equal(gi.fields.RN, sim.hotel.guests[i].room);
      assert.equal(gi.fields.SF, "");
    }
    await app.next("DE");
    assert.equal(app.records.filter((r) => r.type === "GI").length, guests);
  });

  test("ignores DR when answerResync is false", async () => {
    await sim.close();
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 10 }), answerResync: false });
    port = await sim.listen(0);
    const app = await linkedAppliance();
    app.send("DR|");
    await sim.waitFor("DR|", 1000);
    await assert.rejects(app.next("DS", 200));
  });

  test("answers an alive check LS with LA", async () => {
    const app = await linkedAppliance();
    app.send("LS|DA260115|TI120010|");
    await app.next("LA");
  });

  test("answers LE with LE", async () => {
    const app = await linkedAppliance();
    app.send("LE|DA260115|TI120010|");
    await app.next("LE");
    assert.equal(sim.linked, false);
  });

  test("send accepts record text and encodes latin1", async () => {
    const app = await linkedAppliance();
    sim.send("GI|RN101|G#1|GNMüller|GFJürgen|");
    const gi = await app.next("GI");
    assert.deepEqual(gi.fields, { RN: "101", "G#": "1", GN: "Müller", GF: "Jürgen" });
  });

  test("waitFor matches listed fields only, including records that came earlier, each once", async () => {
    const app = await linkedAppliance();
    app.send("WA|RN101|DA260116|TI070000|ASOK|", "WA|RN102|DA260116|TI070000|ASNR|");
    await sim.waitFor("WA|RN102|", 1000);
    const first = await sim.waitFor("WA|ASOK|", 1000);
    assert.equal(first.fields.RN, "101");
    await assert.rejects(sim.waitFor("WA|RN101|", 100), /no match within 100 ms/);
    const later = sim.waitFor((r) => r.type === "RE" && r.fields.RS === "3", 1000);
    app.send("RE|RN101|RS3|");
    assert.equal((await later).fields.RN, "101");
  });

  test("waitFor timeout names the pattern and what was received", async () => {
    await linkedAppliance();
    await assert.rejects(sim.waitFor("RE|RN999|RS3|", 50), (err: Error) => {
      assert.match(err.message, /waitFor RE\|RN999\|RS3\|: no match within 50 ms/);
      assert.match(err.message, /LA\|/);
      return true;
    });
  });

  test("a second connection replaces the first", async () => {
    const first = await linkedAppliance();
    const second = await linkedAppliance();
    await first.whenClosed();
    assert.equal(sim.linked, true);
    sim.send("GO|RN101|G#1|");
    await second.next("GO");
    assert.deepEqual(
      sim.received.filter((r) => r.record.type === "LA").map((r) => r.connection),
      [1, 2],
    );
  });

  test("drop closes the connection abruptly and send then fails", async () => {
    const app = await linkedAppliance();
    sim.drop();
    await app.whenClosed();
    assert.equal(sim.connected, false);
    assert.equal(sim.linked, false);
    assert.throws(() => sim.send("GI|RN101|"), /no appliance connected/);
  });

  test("connect() plays the client when the appliance is the server", async () => {
    const { createServer } = await import("node:net");
    const { FrameReader } = await import("../../../src/pms/fias/frame.ts");
    const got: string[] = [];
    const server = createServer((s) => {
      const reader = new FrameReader();
      s.on("data", (c: Uint8Array) => {
        for (const ev of reader.push(c)) if (ev.kind === "frame") got.push(new TextDecoder().decode(ev.bytes));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    assert.ok(addr && typeof addr === "object");
    await sim.connect("127.0.0.1", addr.port);
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(got[0]?.startsWith("LS|DA"));
    await sim.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
