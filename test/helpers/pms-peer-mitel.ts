/**
 * The Mitel PMS simulator as a matrix peer (test/helpers/pms-peers.ts): the appliance dials it over
 * TCP, or they share a socat pty pair. Mitel is room-based (no reservations), has no move message
 * (a check-out + check-in pair within the move window, shortened to 1 s here), no wake-up result
 * and no text messages.
 */
import { DEFAULT_MAID_STATUS } from "../../src/pms/mitel/adapter.ts";
import type { MitelMessage } from "../../src/pms/mitel/messages.ts";
import { MitelPmsSimulator } from "../../src/sim/mitel/simulator.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { HOST } from "../integration/support.ts";
import type { PeerFeatures, PeerGuest, PmsPeer } from "./pms-peers.ts";
import { PtyPair } from "./socat-pty.ts";

export const MITEL_FEATURES: PeerFeatures = {
  wakeupResult: false,
  textMessages: false,
  moveMessage: false,
  sharers: false,
  keepsUnusable: false,
};

/** The move window the matrix runs Mitel with: a lone check-out applies after it. */
export const MITEL_TEST_MOVE_WINDOW_SECONDS = 1;

export function mitelPeer(transport: "tcp" | "serial", hotel = generateHotel({ rooms: 20, occupancy: 0.5 })): PmsPeer {
  const sim = new MitelPmsSimulator({ hotel });
  const pty = transport === "serial" ? new PtyPair() : undefined;
  const line = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;
  // Each message resolves once the appliance ACKed it; a failure shows in the test's own wait.
  const send = (...messages: MitelMessage[]) => {
    for (const m of messages) sim.send(m).catch(() => {});
    return messages.length;
  };
  const name = (g: PeerGuest) => ({ last: g.last, first: g.first ?? "" });
  const maid = (status: number) => DEFAULT_MAID_STATUS[String(status)];
  const countOf = { housekeeping: "STS", "voicemail-count": "MW", "wakeup-result": "none" } as const;
  const mitel = { moveWindowSeconds: MITEL_TEST_MOVE_WINDOW_SECONDS };
  return {
    name: transport === "tcp" ? "mitel-tcp" : "mitel-serial",
    features: MITEL_FEATURES,
    hotel,
    async pmsConfig() {
      if (pty) {
        await pty.start();
        return { protocol: "mitel", transport: "serial", serial: { device: pty.a, ...line }, mitel };
      }
      const port = await sim.listen(0, HOST);
      return { protocol: "mitel", mode: "client", host: HOST, port, mitel };
    },
    async attach() {
      if (pty) await sim.openSerial({ device: pty.b, ...line, pace: false });
    },
    whenLinked: (ms = 8000) => sim.whenConnected(ms),
    checkIn: (room, g) => send({ type: "CHK", room, checkedIn: true }, { type: "NAM", room, op: 1, name: name(g) }),
    checkOut: (room) => send({ type: "CHK", room, checkedIn: false }),
    rename: (room, g) => send({ type: "NAM", room, op: 2, name: name(g) }),
    move: (from, to, g) =>
      send(
        { type: "CHK", room: from, checkedIn: false },
        { type: "CHK", room: to, checkedIn: true },
        { type: "NAM", room: to, op: 1, name: name(g) },
      ),
    dnd: (room, on) => send({ type: "DND", room, on }),
    classOfService: (room, level) => send({ type: "RST", room, level }),
    lamp: (room, on) => send({ type: "MW", room, on }),
    wakeup: (room, hour, minute) => send({ type: "WKP", room, time: { hour, minute } }),
    cancelWakeup: (room) => send({ type: "WKP", room }),
    // Not a Mitel message: the link NAKs it, so nothing reaches the inbox (0 frames to wait for).
    unusable: () => {
      sim.send("ZZZ  101").catch(() => {});
      return 0;
    },
    resync: () => void sim.resync().catch(() => {}),
    startResync: () => void send({ type: "GRS" }),
    endResync: () => void send({ type: "END" }),
    async waitHousekeeping(room, status, ms = 8000) {
      await sim.waitFor({ type: "STS", room, status: maid(status) }, ms);
    },
    async waitVoicemailCount(room, unread, ms = 8000) {
      await sim.waitFor({ type: "MW", room, on: unread > 0 }, ms);
    },
    async waitWakeupResult() {
      throw new Error("Mitel reports no wake-up result");
    },
    receivedCount: (kind) => sim.received.filter((m) => m.type === countOf[kind]).length,
    async cut() {
      if (pty) await pty.stop();
      else sim.drop();
    },
    async restore() {
      if (!pty) return;
      await pty.start();
      await sim.openSerial({ device: pty.b, ...line, pace: false });
    },
    async close() {
      await sim.close();
      await pty?.dispose();
    },
  };
}
