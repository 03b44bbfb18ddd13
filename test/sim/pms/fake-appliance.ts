/**
 * A minimal appliance side of a FIAS link for the simulator tests, built from the codec alone so the
 * tests do not depend on the real link implementation.
 */
import { connect, type Socket } from "node:net";
import { FrameReader, wrapFrame } from "../../../src/pms/fias/frame.ts";
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

export class FakeAppliance {
  readonly records: FiasRecord[] = [];
  /** Called for each record received, e.g. to send an answer. */
  onRecord?: (rec: FiasRecord, app: FakeAppliance) => void;
  closed = false;
  private cursor = 0;
  private wake?: () => void;

  private constructor(private readonly socket: Socket) {
    const reader = new FrameReader();
    socket.on("data", (chunk: Uint8Array) => {
      for (const ev of reader.push(chunk)) {
        if (ev.kind !== "frame") continue;
        const r = parseRecord(ev.bytes);
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

  static connect(port: number, opts: { autoLink?: boolean } = {}): Promise<FakeAppliance> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("error", reject);
      socket.once("connect", () => {
        const app = new FakeAppliance(socket);
        // What a conforming appliance does: answer every LS with its LD/LR…/LA.
        if (opts.autoLink) app.onRecord = (rec, a) => rec.type === "LS" && a.send(...LINK_INIT);
        resolve(app);
      });
    });
  }

  send(...texts: string[]): void {
    for (const t of texts) this.socket.write(wrapFrame(serializeRecord(recordFromText(t))));
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
