/** FIAS over real TCP in tests: the PMS end of a socket, a link with short timers, polling. */
import assert from "node:assert/strict";
import type net from "node:net";
import { encode } from "../../src/lib/charset.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { type Logger, memoryLogger } from "../../src/lib/logger.ts";
import type { FiasConnector } from "../../src/pms/fias/connection.ts";
import { FrameReader, wrapFrame } from "../../src/pms/fias/frame.ts";
import { FiasLink } from "../../src/pms/fias/link.ts";
import { defaultLinkRecords } from "../../src/pms/fias/link-records.ts";
import { type FiasRecord, parseRecord } from "../../src/pms/fias/record.ts";
import type { PmsState } from "../../src/pms/port.ts";

export const HOST = "127.0.0.1";

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The PMS end of a real socket: parses what the link sends and can answer. */
export class PmsSocket {
  readonly records: FiasRecord[] = [];
  closed = false;
  private readonly reader = new FrameReader();

  constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Uint8Array) => {
      for (const ev of this.reader.push(chunk)) {
        if (ev.kind !== "frame") continue;
        const r = parseRecord(ev.bytes);
        if (r.ok) this.records.push(r.record);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
  }

  send(text: string): void {
    this.socket.write(wrapFrame(encode(text, "latin1")));
  }

  types(): string[] {
    return this.records.map((r) => r.type);
  }

  /** Plays a PMS handshake: LS, wait for our LA, answer LA. */
  async handshake(): Promise<void> {
    this.send("LS|DA260101|TI120000|");
    await waitFor("LD/LR/LA", () => this.types().includes("LA"));
    this.send("LA|DA260101|TI120001|");
  }
}

export function newLink<L extends Logger = ReturnType<typeof memoryLogger>>(
  connector: FiasConnector,
  logger: L = memoryLogger() as unknown as L,
) {
  const states: PmsState[] = [];
  const records: string[] = [];
  const link = new FiasLink({
    connector,
    clock: systemClock,
    logger,
    charset: "latin1",
    linkRecords: defaultLinkRecords(),
    initWaitMs: 200,
    responseTimeoutMs: 2000,
    endWaitMs: 500,
    backoff: { initialMs: 50, maxMs: 200 },
    handlers: {
      onRecord: (r) => records.push(r.type),
      onState: (s) => states.push(s),
    },
  });
  return { link, states, records, logger };
}
