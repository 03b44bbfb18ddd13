import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { type Clock, FakeClock, systemClock } from "../../../src/lib/clock.ts";
import type { Hotel } from "../../../src/sim/pms/hotel.ts";
import { generateHotel } from "../../../src/sim/pms/hotel.ts";
import { runScript } from "../../../src/sim/pms/script.ts";
import { PmsSimulator, type PmsSimulatorOptions, type PmsVariant } from "../../../src/sim/pms/simulator.ts";
import { FakeAppliance, type FakeApplianceOptions, LINK_INIT } from "./fake-appliance.ts";

// Local noon on 2026-01-15, so every stamp the simulator writes is DA260115|TI120000| in any time zone.
const NOON = new Date(2026, 0, 15, 12, 0, 0).getTime();
const fixedClock: Clock = {
  now: () => NOON,
  setTimeout: systemClock.setTimeout,
  clearTimeout: systemClock.clearTimeout,
};
const STAMP = "DA260115|TI120000|";

const hotel: Hotel = {
  rooms: [
    { number: "101", floor: 1, cos: 3, dnd: false, messageLight: false },
    { number: "102", floor: 1, cos: 3, dnd: false, messageLight: false },
  ],
  guests: [
    {
      room: "101",
      reservation: 1001,
      title: "Sig.",
      first: "Mario",
      last: "Rossi",
      language: "IT",
      vip: "",
      group: "",
      arrival: "260114",
      departure: "260118",
      sharer: false,
    },
    {
      room: "102",
      reservation: 1002,
      title: "Frau",
      first: "Anna",
      last: "Weiß",
      language: "GE",
      vip: "2",
      group: "ACME26",
      arrival: "260113",
      departure: "260120",
      sharer: false,
    },
  ],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const stx = (rec: string) => `<02>${rec}<03>`;
const stxCrLf = (rec: string) => `<02>${rec}<0d><0a><03>`;
const line = (rec: string) => `${rec}<0d><0a>`;

describe("PmsSimulator variants", () => {
  let sim: PmsSimulator;
  let port: number;
  const apps: FakeAppliance[] = [];
  const linkedOn: number[] = [];

  async function start(variant: PmsVariant | undefined, opts: Partial<PmsSimulatorOptions> = {}): Promise<void> {
    sim = new PmsSimulator({ hotel, clock: fixedClock, ...(variant ? { variant } : {}), ...opts });
    sim.on("linked", (n) => linkedOn.push(n));
    port = await sim.listen(0);
  }

  async function appliance(opts: FakeApplianceOptions = {}): Promise<FakeAppliance> {
    const app = await FakeAppliance.connect(port, opts);
    apps.push(app);
    return app;
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) app.close();
    linkedOn.length = 0;
    await sim?.close();
  });

  test("oracle (the default): LS on connect, LA after LD/LR/LA, LA to an alive check", async () => {
    await start(undefined);
    assert.equal(sim.variant, "oracle");
    const app = await appliance();
    await app.next("LS");
    assert.equal(app.takeRaw(), stx(`LS|${STAMP}`));
    app.send(...LINK_INIT);
    await sim.whenLinked(1000);
    await app.next("LA");
    assert.equal(app.takeRaw(), stx(`LA|${STAMP}`));
    assert.deepEqual(linkedOn, [1]);
    app.aliveCheck();
    await app.next("LA");
    assert.equal(app.takeRaw(), stx(`LA|${STAMP}`));
    assert.equal(sim.linked, true);
    assert.deepEqual([sim.connections, sim.links, sim.drops], [1, 1, 0]);
  });

  test("matrix: silent on connect, LS answered with LS, never LA, CR LF inside every frame", async () => {
    await start("matrix");
    const app = await appliance();
    await sleep(100);
    assert.equal(app.takeRaw(), "", "nothing on connect");
    app.sendLs();
    await app.next("LS");
    assert.equal(app.takeRaw(), stxCrLf(`LS|${STAMP}`));

    app.send(...LINK_INIT);
    await sim.whenLinked(1000);
    assert.deepEqual(linkedOn, [1]);
    // Application data follows the appliance's LA; no LA of the simulator's comes before it.
    sim.send("GI|RN101|G#1001|GNRossi, Mario|GVN|");
    await app.next("GI");
    assert.equal(app.takeRaw(), stxCrLf("GI|RN101|G#1001|GNRossi, Mario|GVN|"));

    // The appliance's 5-minute alive check is answered with LS too; the link stays up.
    app.aliveCheck();
    await app.next("LS");
    assert.equal(app.takeRaw(), stxCrLf(`LS|${STAMP}`));
    assert.equal(sim.linked, true);

    app.send("DR|DA260115|TI120010|");
    await app.next("DE");
    assert.equal(
      app.takeRaw(),
      [
        stxCrLf(`DS|${STAMP}`),
        stxCrLf("GI|RN101|G#1001|GNRossi, Mario|GTSig.|GLIT|GVN|GG|GA260114|GD260118|GSN|SF|"),
        stxCrLf("GI|RN102|G#1002|GNWeiß, Anna|GTFrau|GLGE|GV2|GGACME26|GA260113|GD260120|GSN|SF|"),
        stxCrLf(`DE|${STAMP}`),
      ].join(""),
    );
    assert.equal(
      app.records.some((r) => r.type === "LA"),
      false,
    );
    assert.deepEqual([sim.connections, sim.links, sim.drops], [1, 1, 0]);

    sim.sendRaw("raw|");
    await until("raw bytes", () => app.rawText.endsWith("raw|"));
    assert.equal(app.takeRaw(), "raw|", "sendRaw stays raw");
  });

  test("matrix links a conforming appliance that re-sends LD/LR/LA on every LS but its alive check", async () => {
    await start("matrix");
    const app = await appliance({ autoLink: true });
    app.sendLs();
    await sim.whenLinked(1000);
    app.aliveCheck();
    await until("alive answer", () => app.records.filter((r) => r.type === "LS").length === 2);
    await sleep(50);
    assert.deepEqual([sim.links, sim.drops], [1, 0]);
    assert.equal(sim.received.filter((r) => r.record.type === "LD").length, 1);
  });

  test("matrix: a new LD while linked restarts the link and counts a drop", async () => {
    await start("matrix");
    const app = await appliance();
    app.send(...LINK_INIT);
    await sim.whenLinked(1000);
    app.send(...LINK_INIT);
    await until("second link", () => sim.links === 2);
    assert.deepEqual(linkedOn, [1, 1]);
    assert.equal(sim.drops, 1);
    app.close();
    await until("drop on close", () => sim.drops === 2);
    assert.equal(sim.connected, false);
  });

  test("matrix greets when sendLsOnConnect says so", async () => {
    await start("matrix", { sendLsOnConnect: true });
    const app = await appliance();
    await app.next("LS");
    assert.equal(app.takeRaw(), stxCrLf(`LS|${STAMP}`));
  });

  test("silent-la: LS on connect, no LA after LD/LR/LA, LA to an alive check", async () => {
    await start("silent-la");
    const app = await appliance();
    await app.next("LS");
    assert.equal(app.takeRaw(), stx(`LS|${STAMP}`));
    app.sendLs();
    await app.next("LS");
    assert.equal(app.takeRaw(), stx(`LS|${STAMP}`), "LS before the link asks for LD/LR/LA");

    app.send(...LINK_INIT);
    await sim.whenLinked(1000);
    assert.deepEqual(linkedOn, [1]);
    sim.send("GO|RN101|G#1001|");
    await app.next("GO");
    assert.equal(app.takeRaw(), stx("GO|RN101|G#1001|"));

    app.aliveCheck();
    await app.next("LA");
    assert.equal(app.takeRaw(), stx(`LA|${STAMP}`));
    assert.deepEqual([sim.connections, sim.links, sim.drops], [1, 1, 0]);
  });

  test("crlf: records ended by CR LF without STX/ETX, both directions", async () => {
    await start("crlf");
    const app = await appliance({ framing: "crlf" });
    await app.next("LS");
    assert.equal(app.takeRaw(), line(`LS|${STAMP}`));
    app.send(...LINK_INIT);
    await sim.whenLinked(1000);
    await app.next("LA");
    assert.equal(app.takeRaw(), line(`LA|${STAMP}`));
    assert.deepEqual(
      sim.received.map((r) => r.record.type),
      ["LD", "LR", "LR", "LA"],
    );

    app.aliveCheck();
    await app.next("LA");
    assert.equal(app.takeRaw(), line(`LA|${STAMP}`));

    app.send("DR|DA260115|TI120010|");
    await app.next("DE");
    assert.equal(
      app.takeRaw(),
      [
        line(`DS|${STAMP}`),
        line("GI|RN101|G#1001|GNRossi|GFMario|GTSig.|GLIT|GV|GG|GA260114|GD260118|GSN|SF|"),
        line("GI|RN102|G#1002|GNWeiß|GFAnna|GTFrau|GLGE|GV2|GGACME26|GA260113|GD260120|GSN|SF|"),
        line(`DE|${STAMP}`),
      ].join(""),
    );
    assert.deepEqual([sim.connections, sim.links, sim.drops], [1, 1, 0]);
  });

  test("an unknown variant is refused", () => {
    assert.throws(
      () => new PmsSimulator({ hotel, variant: "opera" as PmsVariant }),
      /unknown PMS variant "opera" \(expected oracle, matrix, silent-la, crlf\)/,
    );
  });
});

describe("PmsSimulator counters", () => {
  let sim: PmsSimulator;
  let port: number;
  const apps: FakeAppliance[] = [];

  const linked = async (): Promise<FakeAppliance> => {
    const app = await FakeAppliance.connect(port, { autoLink: true });
    apps.push(app);
    await app.next("LA");
    return app;
  };

  afterEach(async () => {
    for (const app of apps.splice(0)) app.close();
    await sim.close();
  });

  test("connections, links and drops: replaced, dropped, closed; LE, an unlinked close and close() are no drops", async () => {
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 5 }) });
    port = await sim.listen(0);
    assert.deepEqual([sim.connections, sim.links, sim.drops], [0, 0, 0]);

    const first = await linked();
    await linked(); // replaces the first
    await first.whenClosed();
    assert.deepEqual([sim.connections, sim.links, sim.drops], [2, 2, 1]);

    sim.drop();
    assert.deepEqual([sim.connections, sim.links, sim.drops], [2, 2, 2]);

    const unlinked = await FakeAppliance.connect(port);
    apps.push(unlinked);
    await unlinked.next("LS");
    unlinked.close();
    await until("unlinked close", () => !sim.connected);
    assert.deepEqual([sim.connections, sim.links, sim.drops], [3, 2, 2]);

    const orderly = await linked();
    orderly.send("LE|DA260115|TI120000|");
    await orderly.next("LE");
    orderly.close();
    await until("close after LE", () => !sim.connected);
    assert.deepEqual([sim.connections, sim.links, sim.drops], [4, 3, 2]);

    const appliance = await linked();
    appliance.send("LD|DA260115|TI120000|V#1.0|IFPB|"); // restart while linked
    await until("restart", () => sim.drops === 3);
    assert.equal(sim.linked, false);
    await sim.close();
    assert.deepEqual([sim.connections, sim.links, sim.drops], [5, 4, 3]);
  });
});

describe("PmsSimulator clock", () => {
  test("timeouts, timestamps and script sleeps all run on the given clock", async () => {
    const clock = new FakeClock(NOON);
    const sim = new PmsSimulator({ hotel, clock });
    const port = await sim.listen(0);
    try {
      const link = sim.whenLinked(60_000);
      const wait = sim.waitFor("WA|", 30_000);
      const rejected = [
        assert.rejects(link, /within 60000 ms/),
        assert.rejects(wait, /WA\|: no match within 30000 ms/),
      ];
      clock.advance(60_000);
      await Promise.all(rejected);

      const app = await FakeAppliance.connect(port, { autoLink: true });
      const frames: number[] = [];
      sim.on("frame", (f) => frames.push(f.at));
      await app.next("LA");
      assert.equal(app.rawText, `${stx(`LS|DA260115|TI120100|`)}${stx("LA|DA260115|TI120100|")}`);
      assert.ok(sim.received.every((r) => r.at === NOON + 60_000));
      assert.ok(frames.length > 0 && frames.every((at) => at === NOON + 60_000));

      const run = runScript(sim, "sleep 300000\nsend GI|RN101|G#1|\n");
      clock.advance(300_000);
      const result = await run;
      assert.deepEqual(result, { ok: true, failures: [], steps: 2 });
      await app.next("GI");
      app.close();
    } finally {
      await sim.close();
    }
  });
});
