/**
 * A minimal appliance side of a FIAS link for the simulator tests, built from the codec alone so the
 * tests do not depend on the real link implementation. Speaks either framing, keeps every byte it
 * received for byte-exact checks, and sends LS when the test says so.
 */
import { connect, type Socket } from "node:net";
import { type FramingName, framingOf, showBytes } from "../../../src/pms/fias/frame.ts";
import {
  type FiasRecord,
  formatRecord,
  parseRecord,
  recordFromText,
  serializeRecord,
} from "../../../src/pms/fias/record.ts";

export const LINK_INIT = [
  "LD|DA260115|TI120000|V#1.0|IFPB|",
  "LR|RIGI|FLRNG#GNGLGSSF|",
  "LR|RIRE|FLRNRSML|",
  "LA|DA260115|TI120001|",
];

export interface FakeApplianceOptions {
  /**
   * What a conforming appliance does: answer every LS with its LD/LR…/LA — except the answer to its
   * own alive check (`aliveCheck()`), which a liberal appliance takes as "alive" whether LS or LA.
   */
  autoLink?: boolean;
  /** Default "stx-etx". */
  framing?: FramingName;
}

export class FakeAppliance {
  readonly records: FiasRecord[] = [];
  /** Called for each record received, e.g. to send an answer. */
  onRecord?: (rec: FiasRecord, app: FakeAppliance) => void;
  closed = false;
  private cursor = 0;
  private wake?: () => void;
  private bytes: number[] = [];
  private mark = 0;
  private aliveCheckPending = false;

  private constructor(
    private readonly socket: Socket,
    private readonly framing: FramingName,
  ) {
    const reader = framingOf(framing).reader();
    socket.on("data", (chunk: Uint8Array) => {
      for (const b of chunk) this.bytes.push(b);
      for (const ev of reader.push(chunk)) {
        if (ev.kind !== "frame") continue;
        const r = parseRecord(trimLineEnd(ev.bytes));
        if (!r.ok) continue;
        this.records.push(r.record);
        this.onRecord?.(r.record, this);
      }
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  static connect(port: number, opts: FakeApplianceOptions = {}): Promise<FakeAppliance> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("error", reject);
      socket.once("connect", () => {
        const app = new FakeAppliance(socket, opts.framing ?? "stx-etx");
        if (opts.autoLink) {
          app.onRecord = (rec, a) => {
            if (a.aliveCheckPending && (rec.type === "LS" || rec.type === "LA")) a.aliveCheckPending = false;
            else if (rec.type === "LS") a.send(...LINK_INIT);
          };
        }
        resolve(app);
      });
    });
  }

  send(...texts: string[]): void {
    const { wrap } = framingOf(this.framing);
    for (const t of texts) this.socket.write(wrap(serializeRecord(recordFromText(t))));
  }

  /** LS, e.g. after the appliance's init wait when the PMS does not greet. */
  sendLs(): void {
    this.send("LS|DA260115|TI120002|");
  }

  /** LS once linked: the appliance's alive check. With autoLink its answer does not restart the link. */
  aliveCheck(): void {
    this.aliveCheckPending = true;
    this.send("LS|DA260115|TI120500|");
  }

  /** Every byte received, control bytes as <XX>. */
  get rawText(): string {
    return showBytes(Uint8Array.from(this.bytes));
  }

  /** The bytes received since the previous call (or the start), control bytes as <XX>. */
  takeRaw(): string {
    const text = showBytes(Uint8Array.from(this.bytes.slice(this.mark)));
    this.mark = this.bytes.length;
    return text;
  }

  /** The next record (after the last one returned) of the given type. */
  async next(type: string, timeoutMs = 2000): Promise<FiasRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.records.length) {
        const rec = this.records[this.cursor++];
        if (rec.type === type) return rec;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`fake appliance: no ${type} (got ${this.records.map(formatRecord).join(" ")})`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Resolves once the peer has closed the connection. */
  async whenClosed(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("fake appliance: connection still open");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A PMS that ends its records with CR LF inside STX…ETX: the record is what comes before. */
function trimLineEnd(bytes: Uint8Array): Uint8Array {
  let n = bytes.length;
  while (n > 0 && (bytes[n - 1] === 0x0d || bytes[n - 1] === 0x0a)) n--;
  return bytes.subarray(0, n);
}
