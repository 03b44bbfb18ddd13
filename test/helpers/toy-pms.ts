/**
 * A toy PMS protocol for the ingest tests: frames "IN 101 Smith", "OUT 101", "NAM 101 Jones",
 * "DND 101 1", "WKP 0630 101". PmsIngest knows no protocol; this is what a third one plugs in.
 */
import type { PmsAdapter, PmsEvent } from "../../src/domain/pms-events.ts";
import { decode } from "../../src/lib/charset.ts";

export type Toy = string[];

export const toy: PmsAdapter<Toy> = {
  parse(raw) {
    const words = decode(raw, "latin1").trim().split(/\s+/);
    return words[0] ? { ok: true, frame: words } : { ok: false, reason: "empty frame" };
  },
  typeOf: (f) => f[0] ?? "",
  toEvents(f): PmsEvent[] {
    const [type, a = "", b = ""] = f;
    switch (type) {
      case "IN":
        return [{ kind: "check-in", via: type, room: a, guest: { reservation: "", lastName: b }, resync: false }];
      case "OUT":
        return [{ kind: "check-out", via: type, room: a, resync: false }];
      case "NAM":
        return [{ kind: "guest-change", via: type, room: a, guest: { reservation: "", lastName: b }, resync: false }];
      case "DND":
        return [{ kind: "room-status", via: type, room: a, dnd: b === "1" }];
      case "WKP":
        return [
          {
            kind: "wakeup-set",
            via: type,
            room: b,
            time: { hour: Number(a.slice(0, 2)), minute: Number(a.slice(2)), second: 0, withSeconds: false },
          },
        ];
      default:
        throw new Error(`${type} is not a toy message`);
    }
  },
  render: () => undefined,
  isMessage: () => false,
  printable: (raw) => decode(raw, "latin1"),
};
