/**
 * The PMS at the other end of the appliance, in protocol-neutral words, so one integration suite
 * (test/integration/pms-matrix.test.ts) runs for every protocol and transport the appliance speaks:
 * FIAS over TCP, FIAS over RS-232 (a socat pty pair), Mitel over TCP and over RS-232. Each peer
 * wraps its protocol's simulator from src/sim and says which features its protocol has, so a test
 * of a feature the protocol lacks is skipped with that reason rather than faked.
 */
import { generateHotel, type Hotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { HOST } from "../integration/support.ts";
import { PtyPair } from "./socat-pty.ts";

export type PeerName = "fias-tcp" | "fias-serial" | "mitel-tcp" | "mitel-serial";

export interface PeerGuest {
  /** FIAS G#; a Mitel PMS has none (the room is the key). */
  reservation: string;
  last: string;
  first?: string;
}

/** What a protocol can say; a test of a missing feature is skipped with the reason. */
export interface PeerFeatures {
  /** The PMS hears how its wake-up went (FIAS WA). */
  wakeupResult: boolean;
  /** Text messages for the guest (FIAS XL/XD). */
  textMessages: boolean;
  /** Room moves in one message (FIAS GC RO); else a check-out + check-in pair. */
  moveMessage: boolean;
  /** Several reservations in one room (FIAS sharers). */
  sharers: boolean;
  /** A message read but not applicable is stored with its error (FIAS); else the link refuses it. */
  keepsUnusable: boolean;
}

export interface PmsPeer {
  readonly name: PeerName;
  readonly features: PeerFeatures;
  /** The guests of the simulator's hotel, as a resync sends them. */
  readonly hotel: Hotel;
  /** The `pms` section of the appliance's config for this peer (before the appliance starts). */
  pmsConfig(): Promise<Record<string, unknown>>;
  /** After the appliance started: open the line / dial / wait to be dialled. */
  attach(): Promise<void>;
  /** Resolves when the simulator counts the link as up. */
  whenLinked(timeoutMs?: number): Promise<void>;
  /** Messages into the appliance; each returns how many frames it sent (the ingest counts frames). */
  checkIn(room: string, g: PeerGuest): number;
  checkOut(room: string, g: PeerGuest): number;
  rename(room: string, g: PeerGuest): number;
  move(from: string, to: string, g: PeerGuest): number;
  dnd(room: string, on: boolean): number;
  classOfService(room: string, cos: number): number;
  lamp(room: string, on: boolean): number;
  wakeup(room: string, hour: number, minute: number): number;
  cancelWakeup(room: string, hour: number, minute: number): number;
  /** A message the appliance cannot apply (a room number no API could address). */
  unusable(): number;
  /** The whole hotel as a database resync. */
  resync(): void;
  /** Opens a resync and leaves it open (nothing may go out until `endResync`). */
  startResync(): void;
  endResync(): void;
  /** Messages out of the appliance. */
  waitHousekeeping(room: string, status: number, timeoutMs?: number): Promise<void>;
  waitVoicemailCount(room: string, unread: number, timeoutMs?: number): Promise<void>;
  waitWakeupResult(room: string, timeoutMs?: number): Promise<void>;
  /** How many messages of that kind the PMS received so far. */
  receivedCount(kind: "housekeeping" | "voicemail-count" | "wakeup-result"): number;
  /** Takes the line away (TCP: the connection; serial: the pty) until `restore`. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export const FIAS_FEATURES: PeerFeatures = {
  wakeupResult: true,
  textMessages: true,
  moveMessage: true,
  sharers: true,
  keepsUnusable: true,
};

const TYPE_OF = { housekeeping: "RE", "voicemail-count": "RE", "wakeup-result": "WA" } as const;
const p2 = (n: number) => String(n).padStart(2, "0");

/** FIAS, the appliance dialling the simulator over TCP (the Oracle IFC way) or on a pty pair. */
export function fiasPeer(transport: "tcp" | "serial", hotel = generateHotel({ rooms: 20, occupancy: 0.5 })): PmsPeer {
  const sim = new PmsSimulator({ hotel });
  const pty = transport === "serial" ? new PtyPair() : undefined;
  const line = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;
  let port = 0;
  const send = (...records: string[]) => {
    for (const r of records) sim.send(r);
    return records.length;
  };
  const stamp = "DA260115|TI120000|";
  const guest = (g: PeerGuest) => `G#${g.reservation}|GN${g.last}|${g.first ? `GF${g.first}|` : ""}GSN|`;
  const kindMatch = (kind: keyof typeof TYPE_OF, f: Record<string, string>) =>
    kind === "housekeeping" ? f.RS !== undefined : kind === "voicemail-count" ? f.VM !== undefined : true;
  return {
    name: transport === "tcp" ? "fias-tcp" : "fias-serial",
    features: FIAS_FEATURES,
    hotel,
    async pmsConfig() {
      if (pty) {
        await pty.start();
        return { transport: "serial", serial: { device: pty.a, ...line } };
      }
      port = await sim.listen(0, HOST);
      return { mode: "client", host: HOST, port };
    },
    async attach() {
      if (pty) await sim.openSerial({ device: pty.b, ...line, pace: false });
    },
    whenLinked: (ms = 8000) => sim.whenLinked(ms),
    checkIn: (room, g) => send(`GI|RN${room}|${guest(g)}`),
    checkOut: (room, g) => send(`GO|RN${room}|G#${g.reservation}|`),
    rename: (room, g) => send(`GC|RN${room}|${guest(g)}`),
    move: (from, to, g) => send(`GC|RN${to}|RO${from}|${guest(g)}`),
    dnd: (room, on) => send(`RE|RN${room}|DN${on ? "Y" : "N"}|`),
    classOfService: (room, cos) => send(`RE|RN${room}|CS${cos}|`),
    lamp: (room, on) => send(`RE|RN${room}|ML${on ? "Y" : "N"}|`),
    wakeup: (room, h, m) => send(`WR|RN${room}|TI${p2(h)}${p2(m)}00|`),
    cancelWakeup: (room, h, m) => send(`WC|RN${room}|TI${p2(h)}${p2(m)}00|`),
    unusable: () => send("GI|RN1/2|G#9|GNBad|GSN|"),
    resync: () => sim.resync(),
    startResync: () => void send(`DS|${stamp}`),
    endResync: () => void send(`DE|${stamp}`),
    async waitHousekeeping(room, status, ms = 8000) {
      await sim.waitFor(`RE|RN${room}|RS${status}|`, ms);
    },
    async waitVoicemailCount(room, unread, ms = 8000) {
      // VM is unread then read, two digits each ("0103": 1 new, 3 heard).
      await sim.waitFor(
        (r) => r.type === "RE" && r.fields.RN === room && Number(r.fields.VM?.slice(0, 2)) === unread,
        ms,
      );
    },
    async waitWakeupResult(room, ms = 8000) {
      await sim.waitFor((r) => r.type === "WA" && r.fields.RN === room, ms);
    },
    receivedCount: (kind) =>
      sim.received.filter((r) => r.record.type === TYPE_OF[kind] && kindMatch(kind, r.record.fields)).length,
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
