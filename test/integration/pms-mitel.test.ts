/**
 * The Mitel PMS link end to end: MitelLink + mitelAdapter on the appliance's side, the Mitel PMS
 * simulator on the other, over TCP (both directions of dialling) and over a socat pty pair; the
 * received messages go through a PmsIngest into a temp store, so the rooms can be checked against
 * the simulator's hotel.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import type { Room } from "../../src/domain/room.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { FiasConnector } from "../../src/pms/fias/connection.ts";
import { TcpClientConnector, TcpServerConnector } from "../../src/pms/fias/tcp.ts";
import { mitelAdapter } from "../../src/pms/mitel/adapter.ts";
import { MitelLink } from "../../src/pms/mitel/link.ts";
import type { MitelMessage } from "../../src/pms/mitel/messages.ts";
import { MITEL_PROFILES, type MitelProfile } from "../../src/pms/mitel/profiles.ts";
import { MitelSerialConnector } from "../../src/pms/mitel/serial.ts";
import type { PmsState } from "../../src/pms/port.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { MitelPmsSimulator } from "../../src/sim/mitel/simulator.ts";
import { generateHotel, type Hotel } from "../../src/sim/pms/hotel.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { PtyPair } from "../helpers/socat-pty.ts";
import { tempStore, testContext } from "../helpers/store.ts";
import { peerSkip } from "../peers/available.ts";
import { eventually, freePort } from "./support.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Harness {
  link: MitelLink;
  sim: MitelPmsSimulator;
  ingest: PmsIngest<MitelMessage>;
  states: PmsState[];
  room(n: string): Promise<Room | undefined>;
  send(text: string): Promise<[boolean, string | undefined]>;
  applied(n: number): Promise<void>;
}

async function harness(
  connect: (sim: MitelPmsSimulator) => Promise<FiasConnector>,
  opts: { hotel?: Hotel; profile?: MitelProfile; uncleanStart?: boolean } = {},
): Promise<Harness> {
  const profile = opts.profile ?? MITEL_PROFILES.sx2000;
  const db = await tempStore();
  cleanups.push(() => db.cleanup());
  const ctx = testContext(db.store);
  let ingest: PmsIngest<MitelMessage> | undefined;
  const adapter = mitelAdapter({ charset: "latin1", profile, resyncActive: () => ingest?.resyncActive ?? false });
  ingest = new PmsIngest(ctx, adapter);
  await ingest.init();
  const sim = new MitelPmsSimulator({ hotel: opts.hotel ?? generateHotel({ rooms: 20, occupancy: 0.5 }), profile });
  const states: PmsState[] = [];
  const i = ingest;
  const link = new MitelLink({
    connector: await connect(sim),
    clock: systemClock,
    logger: silentLogger,
    charset: "latin1",
    profile,
    uncleanStart: opts.uncleanStart,
    backoff: { initialMs: 50, maxMs: 300 },
    handlers: { onRecord: (m, raw) => i.receive(m, raw), onState: (s) => states.push(s) },
  });
  cleanups.push(async () => {
    await link.stop();
    await sim.close();
  });
  link.start();
  await sim.whenConnected(5000);
  await eventually("the link to be up", () => link.state === "linked", 5000);
  return {
    link,
    sim,
    ingest: i,
    states,
    room: (n) => db.store.read(async (q) => (await loadRoom(q, n))?.room),
    send: (text) =>
      new Promise((resolve, reject) => {
        if (!link.sendMessage(text, (ok, why) => resolve([ok, why]))) reject(new Error(`not accepted: ${text}`));
      }),
    applied: (n) => eventually(`${n} messages applied`, () => i.applied + i.failed >= n, 10_000).then(() => i.idle()),
  };
}

const tcpClient = async (sim: MitelPmsSimulator) => {
  const port = await sim.listen(0);
  return new TcpClientConnector({ host: "127.0.0.1", port, logger: silentLogger });
};

const tcpServer = async (sim: MitelPmsSimulator) => {
  const port = await freePort();
  const c = new TcpServerConnector({ host: "127.0.0.1", port, logger: silentLogger });
  // The PMS dials in once the appliance listens.
  setTimeout(() => sim.connect("127.0.0.1", port).catch(() => {}), 100);
  return c;
};

/** The rooms as the hotel states them: occupied, the first guest's name, DND and class of service. */
async function assertMatchesHotel(h: Harness, hotel: Hotel): Promise<void> {
  const firstGuest = new Map<string, (typeof hotel.guests)[number]>();
  for (const g of hotel.guests) if (!firstGuest.has(g.room)) firstGuest.set(g.room, g);
  for (const r of hotel.rooms) {
    const room = await h.room(r.number);
    const g = firstGuest.get(r.number);
    if (!g) {
      assert.ok(!room?.occupied, `room ${r.number} vacant`);
      continue;
    }
    assert.equal(room?.occupied, true, `room ${r.number} occupied`);
    assert.equal(room?.guests[0]?.lastName, g.last.toUpperCase(), `room ${r.number} name`);
    assert.equal(room?.guests[0]?.firstName, g.first.toUpperCase());
    assert.equal(room?.dnd, r.dnd, `room ${r.number} dnd`);
    assert.equal(room?.classOfService, r.cos, `room ${r.number} class of service`);
  }
}

describe("Mitel over TCP", () => {
  test("PMS → appliance: check-in, name, lamp, DND, restriction, wake-up, check-out", async () => {
    const h = await harness(tcpClient);
    await h.sim.send({ type: "CHK", room: "101", checkedIn: true });
    await h.sim.send({ type: "NAM", room: "101", op: 1, name: { last: "SMITH", first: "JOHN" } });
    await h.sim.send({ type: "DND", room: "101", on: true });
    await h.sim.send({ type: "RST", room: "101", level: 1 });
    await h.sim.send({ type: "MW", room: "101", on: true });
    await h.sim.send({ type: "WKP", room: "101", time: { hour: 6, minute: 30 } });
    await h.applied(6);
    const r = await h.room("101");
    assert.equal(r?.occupied, true);
    assert.equal(r?.guests[0]?.lastName, "SMITH");
    assert.equal(r?.guests[0]?.firstName, "JOHN");
    assert.equal(r?.dnd, true);
    assert.equal(r?.classOfService, 1);
    assert.equal(r?.messageLamp, 1);
    await h.sim.send({ type: "CHK", room: "101", checkedIn: false });
    await h.applied(7);
    assert.equal((await h.room("101"))?.occupied, false);
    assert.equal(h.ingest.failed, 0);
  });

  test("appliance → PMS: STS and MW are ACKed; an invalid message is NAKed and never applied", async () => {
    const h = await harness(tcpClient);
    const a = mitelAdapter({ charset: "latin1" });
    const sts = a.render({ kind: "housekeeping", room: "101", status: 3 });
    assert.ok(sts);
    assert.deepEqual(await h.send(sts.text), [true, undefined]);
    assert.deepEqual(await h.sim.waitFor({ type: "STS", room: "101" }), { type: "STS", room: "101", status: 8 });
    const mw = a.render({ kind: "voicemail-count", room: "101", unread: 1, read: 0 });
    assert.ok(mw);
    await h.send(mw.text);
    await h.sim.waitFor({ type: "MW", room: "101", on: true });
    await h.sim.send("CHK3   101");
    await h.sim.send({ type: "CHK", room: "102", checkedIn: true });
    await h.applied(1);
    // The PMS sends a NAKed frame alone 3 more times, then discards it.
    assert.equal(h.sim.stats?.naksReceived, 4);
    assert.equal(h.sim.stats?.discarded, 1);
    assert.equal(h.link.peer.framesRejected, 4);
    assert.equal(h.ingest.applied, 1);
  });

  test("a message the PMS refuses every time is discarded after 6 attempts; the next goes", async () => {
    const h = await harness(tcpClient);
    h.sim.nakNext(6);
    const [ok, why] = await h.send("STS2 101  ");
    assert.equal(ok, true);
    assert.match(why ?? "", /discarded/);
    await h.send("STS3 102  ");
    await h.sim.waitFor({ type: "STS", room: "102" });
    assert.equal(h.link.stats.discarded, 1);
  });

  test("unclean start: RQINZ, the PMS's GRS cycle, and the rooms are the hotel's", async () => {
    const hotel = generateHotel({ rooms: 60, occupancy: 0.6, seed: 7 });
    const h = await harness(tcpClient, { hotel, uncleanStart: true });
    await h.sim.waitFor({ type: "RQINZ" });
    await eventually("the resync", () => h.link.state === "linked" && h.states.includes("resync"), 10_000);
    await eventually("END applied", () => !h.ingest.resyncActive && h.ingest.applied > 100, 10_000);
    await h.ingest.idle();
    await assertMatchesHotel(h, hotel);
    assert.equal(h.ingest.failed, 0);
  });

  test("our messages wait during GRS … END and go after it", async () => {
    const h = await harness(tcpClient);
    const sent: Promise<unknown>[] = [h.sim.send({ type: "GRS" })];
    await eventually("resync", () => h.link.state === "resync", 5000);
    assert.equal(h.link.sendMessage("STS2 101  "), false);
    sent.push(h.sim.send({ type: "CHK", room: "101", checkedIn: true }), h.sim.send({ type: "END" }));
    await Promise.all(sent);
    await eventually("linked", () => h.link.state === "linked", 5000);
    await h.send("STS2 101  ");
    await h.sim.waitFor({ type: "STS" });
  });

  test("server mode: the PMS dials in; Mitel 2 names", async () => {
    const h = await harness(tcpServer, { profile: MITEL_PROFILES.mitel2 });
    await h.sim.send({ type: "CHK", room: "205", checkedIn: true, name: { last: "ROSSI", first: "LUCA" } });
    await h.sim.send({ type: "NAM", room: "205", op: 2, name: { last: "ROSSI", first: "GIULIA" } });
    await h.applied(2);
    const r = await h.room("205");
    assert.equal(r?.guests[0]?.firstName, "GIULIA");
  });

  test("noise, a frame cut short and a bare ENQ change nothing; the next message applies", async () => {
    const h = await harness(tcpClient);
    h.sim.sendRaw("line noise \u0002CHK1 \u0002");
    h.sim.sendRaw("\u0005");
    await h.sim.send({ type: "CHK", room: "101", checkedIn: true });
    await h.applied(1);
    assert.equal((await h.room("101"))?.occupied, true);
    assert.ok(h.link.peer.framesRejected >= 2);
    assert.equal(h.link.state, "linked");
  });

  test("the PMS drops the connection: the link redials and works again", async () => {
    const h = await harness(tcpClient);
    h.sim.drop();
    await eventually("down", () => h.states.includes("down"), 5000);
    await eventually("reconnected", () => h.sim.connections === 2 && h.link.state === "linked", 5000);
    await h.sim.send({ type: "CHK", room: "101", checkedIn: true });
    await h.applied(1);
  });
});

const skip = peerSkip("socat");
const FAST = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;

describe("Mitel over serial (socat pty pair)", () => {
  test("check-in in, STS out, and a resync, every message ACKed", { skip, timeout: 30_000 }, async () => {
    const pty = new PtyPair();
    cleanups.push(() => pty.dispose());
    await pty.start();
    const hotel = generateHotel({ rooms: 30, occupancy: 0.5, seed: 3 });
    const h = await harness(
      async (sim) => {
        setTimeout(() => sim.openSerial({ device: pty.b, ...FAST, pace: false }).catch(() => {}), 50);
        return new MitelSerialConnector({ device: pty.a, ...FAST, logger: silentLogger });
      },
      { hotel },
    );
    await h.sim.send({ type: "CHK", room: "101", checkedIn: true });
    await h.applied(1);
    await h.send("STS2 101  ");
    await h.sim.waitFor({ type: "STS", room: "101" });
    await h.sim.resync();
    await eventually("END applied", () => !h.ingest.resyncActive && h.ingest.applied > 20, 10_000);
    await h.ingest.idle();
    await assertMatchesHotel(h, hotel);
    assert.equal(h.sim.stats?.naksReceived, 0);
    assert.equal(h.link.stats.naksSent, 0);
  });
});
