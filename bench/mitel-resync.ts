/**
 * (r) A 2,000-room Mitel resync over a 9600-baud serial line: the Mitel PMS simulator sends GRS, per
 * occupied room CHK1, NAM1, RST (and DND, MW where set), END through a socat pty pair, each message
 * its own half-duplex transaction (ENQ, ACK, STX message ETX, ACK), its writes paced at 9600 8N1 (a
 * pty carries bytes at any speed, so the simulator plays the wire: 10 bits a character). The
 * appliance side is MitelLink + mitelAdapter + PmsIngest over a temp store. The clock runs from the
 * resync's start until the ingest has applied every message. The limit is the wire time of the bytes
 * of the exchange at 9600 8N1 — the PMS's ENQs and frames and the appliance's ACKs, which on a
 * half-duplex line cannot overlap (the appliance's own writes are not paced on the pty, so they cost
 * no time here that the limit does not count). Target ≤ 1.05× the limit: the appliance answers within
 * the time a character takes. The ratio to the PMS's bytes alone is printed too. BENCH_MITEL_ROOMS
 * and BENCH_MITEL_BAUD change the size and speed.
 */
import { systemClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { mitelAdapter } from "../src/pms/mitel/adapter.ts";
import { MitelLink } from "../src/pms/mitel/link.ts";
import type { MitelMessage } from "../src/pms/mitel/messages.ts";
import { MitelSerialConnector } from "../src/pms/mitel/serial.ts";
import { PmsIngest } from "../src/services/pms-ingest.ts";
import { resyncMessages } from "../src/sim/mitel/hotel.ts";
import { MitelPmsSimulator } from "../src/sim/mitel/simulator.ts";
import { generateHotel } from "../src/sim/pms/hotel.ts";
import { PtyPair } from "../test/helpers/socat-pty.ts";
import { tempStore, testContext } from "../test/helpers/store.ts";
import { peerPresent } from "../test/peers/available.ts";
import { fmt, line } from "./util.ts";

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function benchMitelResync(): Promise<void> {
  if (!peerPresent("socat")) {
    line("mitel serial resync", "skipped: socat missing (Debian: socat)");
    return;
  }
  const rooms = Number(process.env.BENCH_MITEL_ROOMS ?? 2000);
  const baud = Number(process.env.BENCH_MITEL_BAUD ?? 9600);
  const settings = { baud, dataBits: 8, parity: "none", stopBits: 1 } as const;
  const pty = new PtyPair();
  await pty.start();
  const db = await tempStore();
  const hotel = generateHotel({ rooms, occupancy: 1 });
  const sim = new MitelPmsSimulator({ hotel });
  let ingest: PmsIngest<MitelMessage> | undefined;
  const adapter = mitelAdapter({ charset: "latin1", resyncActive: () => ingest?.resyncActive ?? false });
  const ing = new PmsIngest(testContext(db.store), adapter);
  ingest = ing;
  await ing.init();
  const link = new MitelLink({
    connector: new MitelSerialConnector({ device: pty.a, ...settings, logger: silentLogger }),
    clock: systemClock,
    logger: silentLogger,
    charset: "latin1",
    handlers: { onRecord: (m, raw) => ing.receive(m, raw), onState: () => {} },
  });
  try {
    link.start();
    await sim.openSerial({ device: pty.b, ...settings, pace: true });
    await until("link", () => link.state === "linked", 30_000);
    const stats = sim.stats;
    if (!stats) throw new Error("not connected");
    const out0 = stats.bytesOut;
    const in0 = stats.bytesIn;
    const records = resyncMessages(hotel).length;
    const processed = () => ing.applied + ing.failed;
    const mark = processed();
    const t0 = performance.now();
    const acked = sim.resync();
    await until("the resync", () => processed() >= mark + records, 60 * 60_000);
    const ms = performance.now() - t0;
    await acked;
    const pmsBytes = stats.bytesOut - out0;
    const ackBytes = stats.bytesIn - in0;
    const charMs = (10 / baud) * 1000;
    const limitMs = (pmsBytes + ackBytes) * charMs;
    line("messages (GRS, CHK/NAM/RST/DND/MW per room, END)", fmt(records));
    line("bytes PMS → appliance (ENQ, STX…ETX) / appliance → PMS (ACK)", `${fmt(pmsBytes)} / ${fmt(ackBytes)}`);
    line(`wire-time limit at ${baud} 8N1, half duplex (both ways)`, `${fmt(limitMs / 1000, 1)} s`);
    line("resync time (GRS's ENQ → END applied)", `${fmt(ms / 1000, 1)} s`);
    line("ratio to the wire time (both ways)", fmt(ms / limitMs, 3), "≤ 1.05");
    line("ratio to the PMS's bytes alone", fmt(ms / (pmsBytes * charMs), 3));
    line("NAKs / glare / resent", `${stats.naksReceived} / ${stats.glare} / ${stats.resent}`);
    line("applied / failed", `${fmt(ing.applied)} / ${fmt(ing.failed)}`);
  } finally {
    await link.stop();
    await sim.close();
    await pty.dispose();
    db.cleanup();
  }
}

if (import.meta.main) await benchMitelResync();
