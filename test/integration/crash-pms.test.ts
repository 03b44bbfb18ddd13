/**
 * kill -9 of the compiled binary in the middle of a resync (issue 15 §4), for the PMS links other than
 * FIAS over TCP (crash.test.ts has that one): FIAS over RS-232 and Mitel over TCP and over RS-232. The
 * scenario is crash.test.ts's: linked, a few real-time check-ins the coming resync does not list
 * (ghosts), a resync the simulator starts, SIGKILL once part of it is stored or applied. The restart
 * asks for a resync at link-up (FIAS DR, Mitel RQINZ) as its first application message, the
 * simulator answers with the whole hotel, and the store ends with exactly the hotel's occupied
 * rooms; a clean stop exits 0, and the restart after it asks for nothing.
 *
 * Serial runs on a socat pty pair at 115200 baud, unpaced: both protocols wait for the appliance's
 * ACK of each frame before the next, so a resync arrives frame by frame and the polled kill points
 * land inside it without pacing. The binary dying leaves the
 * simulator with frames it cannot deliver (a real PMS would retry, then give up): the pair is
 * restarted before the next run so no stale frame of the killed resync reaches the restart, and each
 * run begins on a line as a reconnected cable leaves it.
 *
 * Mitel is room-based (no reservations): rooms are compared by occupied rooms and the guests' last
 * names. Its check-outs outside a resync wait for the move window (1 s here); the resync's do not.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { mitelName } from "../../src/sim/mitel/hotel.ts";
import { MitelPmsSimulator } from "../../src/sim/mitel/simulator.ts";
import { generateHotel, type Hotel, resyncRecords } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { apiReady, binaryHarness, type KillPoint, killPoints, type Run, scalar } from "../helpers/binary.ts";
import { PtyPair } from "../helpers/socat-pty.ts";
import { peerSkip } from "../peers/available.ts";
import { eventually, HOST, sleep } from "./support.ts";

const STAMP = "DA260115|TI120000|";
const LINE = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;
const harness = binaryHarness("bellhop-crash-pms-");

/** One protocol and transport as the scenario drives it. */
interface Rig {
  readonly hotel: Hotel;
  /** The resync request and the end of a resync, as the inbox names their types. */
  readonly request: "DR" | "RQINZ";
  readonly resyncEnd: "DE" | "END";
  pmsConfig: Record<string, unknown>;
  /** Starts the binary, opens the simulator's side (serial), resolves once the simulator sees the link up. */
  up(start: () => Run): Promise<Run>;
  /** After a run died or stopped: serial gets a fresh pty pair (see the header). */
  reset(): Promise<void>;
  /** A real-time check-in; `reservation` is the FIAS G# (a Mitel guest has none: the room is the key). */
  checkIn(room: string, last: string, reservation: string): void;
  /** A resync the simulator starts and does not finish before the kill. */
  startResync(): void;
  /** Messages from the appliance so far (a mark for `appSince`). */
  mark(): number;
  /** Types of the application messages (no FIAS link records) the appliance sent after the mark. */
  appSince(mark: number): string[];
  /** Whether the request came after the mark. */
  requested(mark: number): boolean;
  close(): Promise<void>;
}

/** The simulator's line: TCP (the appliance dials it) or one end of a pty pair. */
function line(transport: "tcp" | "serial") {
  const pty = transport === "serial" ? new PtyPair() : undefined;
  return {
    pty,
    async config(listen: () => Promise<number>, extra: Record<string, unknown> = {}) {
      if (pty) {
        await pty.start();
        return { transport: "serial", serial: { device: pty.a, ...LINE }, ...extra };
      }
      return { mode: "client", host: HOST, port: await listen(), ...extra };
    },
    async reset() {
      if (!pty) return;
      await pty.stop();
      await pty.start();
    },
  };
}

async function fiasRig(transport: "serial"): Promise<Rig> {
  const hotel = generateHotel({ rooms: 600, occupancy: 0.8 });
  const sim = new PmsSimulator({ hotel });
  const l = line(transport);
  const pmsConfig = await l.config(() => sim.listen(0, HOST));
  const isApp = (type: string) => !/^L[SDRAE]$/.test(type);
  return {
    hotel,
    request: "DR",
    resyncEnd: "DE",
    pmsConfig,
    async up(start) {
      const linked = once(sim, "linked");
      const run = start();
      if (l.pty) await sim.openSerial({ device: l.pty.b, ...LINE, pace: false });
      await linked;
      return run;
    },
    reset: () => l.reset(),
    checkIn: (room, last, reservation) => sim.send(`GI|RN${room}|G#${reservation}|GN${last}|GSN|`),
    startResync() {
      // DS, a lamp message in the first frames (a replay would count it twice), half the hotel: no DE.
      const records = resyncRecords(hotel);
      sim.send(`DS|${STAMP}`);
      sim.send(`XL|RN${hotel.guests[0]?.room}|MI1|MTCall the front desk|`);
      for (const r of records.slice(0, Math.floor(records.length / 2))) sim.send(r);
    },
    mark: () => sim.received.length,
    appSince: (mark) =>
      sim.received
        .slice(mark)
        .map((r) => r.record.type)
        .filter(isApp),
    requested: (mark) => sim.received.slice(mark).some((r) => r.record.type === "DR"),
    async close() {
      await sim.close();
      await l.pty?.dispose();
    },
  };
}

async function mitelRig(transport: "tcp" | "serial"): Promise<Rig> {
  const hotel = generateHotel({ rooms: 200, occupancy: 0.8 });
  const sim = new MitelPmsSimulator({ hotel });
  const l = line(transport);
  const pmsConfig = await l.config(() => sim.listen(0, HOST), { protocol: "mitel", mitel: { moveWindowSeconds: 1 } });
  // A message is ACKed once the appliance read it; a kill leaves the rest of a resync unACKed.
  const send = (...ms: Parameters<typeof sim.send>[0][]) => {
    for (const m of ms) sim.send(m).catch(() => {});
  };
  return {
    hotel,
    request: "RQINZ",
    resyncEnd: "END",
    pmsConfig,
    async up(start) {
      const connected = once(sim, "connected");
      const run = start();
      if (l.pty) await sim.openSerial({ device: l.pty.b, ...LINE, pace: false });
      await connected;
      return run;
    },
    reset: () => l.reset(),
    checkIn: (room, last) =>
      send({ type: "CHK", room, checkedIn: true }, { type: "NAM", room, op: 1, name: { last, first: "" } }),
    startResync: () => void sim.resync().catch(() => {}),
    mark: () => sim.received.length,
    appSince: (mark) => sim.received.slice(mark).map((m) => m.type),
    requested: (mark) => sim.received.slice(mark).some((m) => m.type === "RQINZ"),
    async close() {
      await sim.close();
      await l.pty?.dispose();
    },
  };
}

/** Occupied rooms and their guests' last names as the resync states them, "room/LAST" sorted. */
function expectedGuests(rig: Rig): string[] {
  const first = new Map<string, string>();
  for (const g of rig.hotel.guests) {
    if (first.has(g.room)) continue;
    first.set(g.room, rig.request === "RQINZ" ? mitelName(g).last : g.last);
  }
  return [...first].map(([room, last]) => `${room}/${last}`).sort();
}

async function scenario(rig: Rig, kill: KillPoint): Promise<void> {
  const { apiPort, dataDir, configFile } = await harness.site("bellhop-crash-pms-run-", { pms: rig.pmsConfig });
  const { hotel } = rig;
  const mitel = rig.request === "RQINZ";
  const occupied = new Set(hotel.guests.map((g) => g.room));
  const ghosts = hotel.rooms.filter((r) => !occupied.has(r.number)).slice(0, 3);
  const requests = () => rig.appSince(0).filter((t) => t === rig.request).length;
  const start = () => harness.start(configFile, dataDir);

  // ---- run 1: linked, a few real-time check-ins, then a resync the kill cuts short ----------------
  let run = await rig.up(start);
  await apiReady(apiPort, ["linked"]);
  const db = harness.openDb(dataDir);
  // FIAS: the first ghost holds a real in-house reservation in the wrong room (a move sent while we
  // were down); the resync lists it in its own room and the stale stay must not survive beside it.
  const movedAway = String(hotel.guests[hotel.guests.length - 1]?.reservation ?? "");
  ghosts.forEach((r, i) => {
    rig.checkIn(r.number, mitel ? "GHOST" : "Ghost", i === 0 ? movedAway : String(900001 + i));
  });
  await eventually("the real-time check-ins", async () => (await scalar(db, "select count(*) from stays")) === 3);
  rig.startResync();
  await eventually(`the kill point (${kill.name})`, () => kill.reached(db), 15_000, 1);
  run.proc.kill("SIGKILL");
  await run.proc.exited;
  assert.equal(run.proc.signalCode, "SIGKILL");
  const atKill = {
    inbox: await scalar(db, "select count(*) from pms_inbox"),
    unapplied: await scalar(db, "select count(*) from pms_inbox where applied_at is null"),
    stays: await scalar(db, "select count(*) from stays where active = 1"),
  };
  const lampStored = await scalar(db, "select count(*) from pms_inbox where type = 'XL'");
  const ended = await scalar(db, `select count(*) from pms_inbox where type = '${rig.resyncEnd}'`);
  assert.equal(ended, 0, `the kill came after the whole resync: ${JSON.stringify(atKill)}`);
  assert.equal(requests(), 0);

  // ---- run 2: unclean start → the request first thing after link-up → the whole hotel -----------
  await rig.reset();
  let mark = rig.mark();
  run = await rig.up(start);
  const linkedAt = Date.now();
  await apiReady(apiPort, ["linked", "resync"]);
  await eventually(rig.request, () => rig.requested(mark), 10_000, 5);
  const askedAt = Date.now();
  assert.ok(askedAt - linkedAt < 2000, `${rig.request} came ${askedAt - linkedAt} ms after link-up`);
  assert.equal(rig.appSince(mark)[0], rig.request, `the first message: ${rig.appSince(mark).slice(0, 5)}`);
  await eventually(
    "the resync to be applied",
    async () =>
      (await scalar(
        db,
        `select count(*) from pms_inbox where type = '${rig.resyncEnd}' and applied_at is not null`,
      )) === 1 && (await scalar(db, "select count(*) from pms_inbox where applied_at is null")) === 0,
    30_000,
    50,
  );
  // Every occupied room has exactly its guest (one stay per reservation, or per room for Mitel).
  const key = mitel ? "room" : "reservation";
  const doubled = await db.execute(
    `select ${key}, count(*) as n from stays where active = 1 group by ${key} having n > 1`,
  );
  assert.deepEqual(doubled.rows, [], "doubled stays");
  const active = await db.execute("select room, reservation, last_name from stays where active = 1");
  if (mitel) {
    const got = active.rows.map((r) => `${r.room}/${r.last_name}`).sort();
    assert.deepEqual(got, expectedGuests(rig));
  } else {
    const got = active.rows.map((r) => `${r.room}/${r.reservation}`).sort();
    assert.deepEqual(got, hotel.guests.map((g) => `${g.room}/${g.reservation}`).sort());
    // Stored before the kill (replayed or not), the lamp message counts once; not yet sent, never.
    const lamp = `select message_lamp from rooms where number = '${hotel.guests[0]?.room}'`;
    assert.equal(await scalar(db, lamp), lampStored, "the lamp message applied once");
  }
  const roomRows = await db.execute("select number, occupied from rooms");
  for (const r of roomRows.rows) {
    assert.equal(Boolean(r.occupied), occupied.has(String(r.number)), `occupied flag of room ${r.number}`);
  }
  assert.equal(await scalar(db, "select count(*) from rooms where occupied = 1"), occupied.size);
  for (const g of ghosts) {
    assert.equal(await scalar(db, `select occupied from rooms where number = '${g.number}'`), 0, `ghost ${g.number}`);
  }
  assert.equal(await scalar(db, "select count(*) from pms_inbox where error is not null"), 0, "records failed");
  assert.equal(await scalar(db, "select count(*) from meta where key = 'pms.resyncWanted' and value = '0'"), 1);
  assert.equal(requests(), 1);
  run.proc.kill("SIGTERM");
  assert.equal(await run.proc.exited, 0, await run.log);
  assert.match(await run.log, /previous run did not stop cleanly/);

  // ---- run 3: after a clean stop, a plain restart asks for no resync ------------------------------
  await rig.reset();
  mark = rig.mark();
  run = await rig.up(start);
  await apiReady(apiPort, ["linked"]);
  // A round trip through the appliance's store: a request decided at link-up would be out by now.
  const late = ghosts[0]?.number ?? "";
  rig.checkIn(late, mitel ? "LATE" : "Late", "999999");
  await eventually(
    "the round trip",
    async () => (await scalar(db, `select count(*) from stays where active = 1 and room = '${late}'`)) === 1,
  );
  await sleep(200);
  assert.deepEqual(
    rig.appSince(mark).filter((t) => t === rig.request),
    [],
    `${rig.request} after a clean stop`,
  );
  run.proc.kill("SIGTERM");
  assert.equal(await run.proc.exited, 0, await run.log);
  assert.doesNotMatch(await run.log, /did not stop cleanly/);
  if (process.env.CRASH_VERBOSE) console.log(`killed at ${JSON.stringify(atKill)}`);
}

const stored = killPoints[0] as KillPoint;
/** Deeper than crash.test.ts's "partly applied": a quarter of the occupied rooms in besides the 3 ghosts. */
const quarter = (occupied: number): KillPoint => ({
  name: "a quarter applied",
  reached: async (db) => (await scalar(db, "select count(*) from stays where active = 1")) > 3 + occupied / 4,
});
const socat = peerSkip("socat");
const variants: { name: string; rig: () => Promise<Rig>; skip: string | false }[] = [
  { name: "FIAS over serial", rig: () => fiasRig("serial"), skip: socat },
  { name: "Mitel over TCP", rig: () => mitelRig("tcp"), skip: false },
  { name: "Mitel over serial", rig: () => mitelRig("serial"), skip: socat },
];
const kills: { name: string; at: (occupied: number) => KillPoint }[] = [
  { name: stored.name, at: () => stored },
  { name: quarter(0).name, at: quarter },
];

describe("crash recovery of the compiled binary over serial and Mitel", () => {
  for (const v of variants) {
    for (const kill of kills) {
      test(`${v.name}: kill -9 mid-resync (${kill.name}): the restart asks for a resync first and ends with exactly the hotel's rooms; a restart after a clean stop does not`, {
        timeout: 40_000,
        skip: v.skip,
      }, async () => {
        const rig = await v.rig();
        harness.defer(() => rig.close());
        await scenario(rig, kill.at(new Set(rig.hotel.guests.map((g) => g.room)).size));
      });
    }
  }
});
