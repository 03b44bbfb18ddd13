/**
 * (q) Postings against the PMS simulator answering PA at once, over real TCP: 1,000 postings through
 * the store, the posting sender (one in flight), a FiasLink and the ingest that applies each PA. The
 * baseline, measured in the same run on the same link, is a bare FIAS round trip: a PS written to
 * the link and its PA read back, no store. The ratio is the cost of what a posting adds: the commit
 * before it is sent, the PA stored in the inbox and applied.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { allCapabilities } from "../src/domain/pbx-ops.ts";
import { systemClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { networkSet } from "../src/lib/networks.ts";
import { FiasLink } from "../src/pms/fias/link.ts";
import { defaultLinkRecords } from "../src/pms/fias/link-records.ts";
import { postingLinkRecords } from "../src/pms/fias/posting-link-records.ts";
import type { FiasRecord } from "../src/pms/fias/record.ts";
import { TcpClientConnector } from "../src/pms/fias/tcp.ts";
import type { ServiceContext } from "../src/services/context.ts";
import { PmsIngest } from "../src/services/pms-ingest.ts";
import { PostingSender } from "../src/services/posting-sender.ts";
import { createPosting, listPostings } from "../src/services/postings.ts";
import { checkInRoom } from "../src/services/rooms.ts";
import { generateHotel } from "../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../src/sim/pms/simulator.ts";
import { openStore } from "../src/store/db.ts";
import { fmt, line } from "./util.ts";

const N = 1000;
const HOST = "127.0.0.1";

export async function benchPostings(): Promise<void> {
  // FULL is the appliance's own durability: a posting is committed before it is sent; NORMAL shows
  // how much of the added time is the disk's.
  await run("FULL");
  await run("NORMAL");
}

async function run(synchronous: "FULL" | "NORMAL"): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-"));
  const store = await openStore({
    dataDir: dir,
    migrationsFolder: resolve(import.meta.dirname, "../migrations"),
    synchronous,
  });
  const config = parseConfig({});
  const ctx: ServiceContext = {
    store,
    clock: systemClock,
    logger: silentLogger,
    timezone: "Europe/Rome",
    rooms: config.rooms,
    pms: { splitGuestName: true },
    phones: { ...config.phones, networks: networkSet(config.phones.networks) },
    pbxLinks: () => [{ name: "bench", capabilities: allCapabilities }],
    hooks: { pbxJobsQueued() {}, pmsOutboxQueued() {}, wakeupsChanged() {} },
    voicemail: config.voicemail,
    voicemailDir: join(dir, "voicemail"),
  };
  const sim = new PmsSimulator({ hotel: generateHotel({ rooms: 10, occupancy: 0 }), answerPostings: true });
  const port = await sim.listen(0, HOST);
  const ingest = new PmsIngest(ctx, "latin1");
  // Baseline mode: a PA goes to this waiter instead of the ingest.
  let bare: ((rec: FiasRecord) => void) | undefined;
  const link = new FiasLink({
    connector: new TcpClientConnector({ host: HOST, port, logger: silentLogger }),
    clock: systemClock,
    logger: silentLogger,
    charset: "latin1",
    linkRecords: [...defaultLinkRecords(), ...postingLinkRecords()],
    initWaitMs: 50,
    handlers: {
      onRecord: (r, raw) => (bare ? bare(r) : ingest.receive(r, raw)),
      onState: () => {},
      onReady: () => sender.linkReady(),
    },
  });
  const sender = new PostingSender(ctx, link);
  let answered = 0;
  let allAnswered: () => void = () => {};
  ctx.hooks.postingAnswered = (a) => {
    sender.answered(a);
    if (++answered === N) allAnswered();
  };
  await sender.init();
  link.start();
  await sim.whenLinked();
  while (!link.canSend) await new Promise((r) => setTimeout(r, 5));
  await checkInRoom(ctx, "bench", "101", { reservation: "42", lastName: "Rossi" });

  try {
    // Bare round trips: PS out, PA in, nothing stored.
    const trip = (seq: number) =>
      new Promise<void>((done) => {
        bare = () => done();
        if (!link.sendMessage(`PS|RN101|PTC|TA100|DA261122|TI100000|P#${seq}|`)) throw new Error("link cannot send");
      });
    for (let i = 1; i <= 100; i++) await trip(i); // warm-up
    let t0 = performance.now();
    for (let i = 1; i <= N; i++) await trip(i);
    const bareMs = (performance.now() - t0) / N;
    bare = undefined;

    for (let i = 0; i < N; i++)
      await createPosting(ctx, {
        room: "101",
        kind: "charge",
        amount: 100 + i,
        source: { type: "staff", ref: `b${i}` },
      });
    const done = new Promise<void>((r) => {
      allAnswered = r;
    });
    t0 = performance.now();
    sender.kick();
    await done;
    await ingest.idle();
    await sender.idle();
    const totalMs = performance.now() - t0;
    const accepted = (await listPostings(ctx, { state: "accepted", limit: 1000 })).length;
    if (accepted !== N) throw new Error(`only ${accepted} of ${N} postings accepted`);
    const perPosting = totalMs / N;
    console.log(`  store synchronous=${synchronous}`);
    line("bare FIAS round trip (PS → PA), mean", `${fmt(bareMs, 3)} ms`);
    line(`${N} postings, one in flight: throughput`, `${fmt((N / totalMs) * 1000)} postings/s`);
    line("per posting (send, PA, stored and applied), mean", `${fmt(perPosting, 3)} ms`);
    line(
      "added per posting vs the bare round trip",
      `${fmt(perPosting - bareMs, 3)} ms (×${fmt(perPosting / bareMs, 1)})`,
    );
  } finally {
    sender.stop();
    await link.stop();
    await sim.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchPostings();
