/**
 * Recorded FIAS conversations, replayed against the whole appliance (store, link, ingest, sender,
 * wake-up scheduler, PBX runner) on a FakeClock over an in-memory connection.
 *
 * A conversation file (test/fixtures/fias-conversations/*.conv) is a transcript, one event a line:
 *
 *     # comment                      @start 2026-12-06T07:00:00Z   @timezone UTC
 *     @config {"pms":{"framing":"crlf"}}   @rooms 101 102           @until 400
 *       3.000 app <02>LS|DA261206|TI070003|<03>     bytes the appliance wrote (expected)
 *       3.120 pms <02>LS|DA261206|TI070003|<03>     bytes the PMS sends (input)
 *      13.120 state linked                          the link's state (expected)
 *      15.200 pbx checkin 101 "Mario Rossi 101"     an op the PBX driver carried out (expected)
 *      20.000 housekeeping 101 3                    the front desk sets a room status (input)
 *      40.000 hangup                                the PMS closes the connection (input)
 *
 * Times are seconds from @start; bytes are written as `showBytes` prints them (control bytes <XX>,
 * the rest in the link's charset). Replaying feeds the inputs at their times, jumps the clock from
 * event to event (timers due at an input's time fire before it), lets the appliance's async work
 * settle after each step, and records everything in the same notation. The test compares the whole
 * recording with the file, both directions byte for byte, with the timing. FIAS_RECORD=1 writes the
 * recording back into the file instead (the header is kept), to capture a new conversation; read
 * such a recording line by line against the spec before committing it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { PbxOp } from "../../src/domain/pbx-ops.ts";
import { type Charset, encode } from "../../src/lib/charset.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { AttachConnection, ConnectionEvents, FiasClientConnector } from "../../src/pms/fias/connection.ts";
import { showBytes } from "../../src/pms/fias/frame.ts";
import { defineRoom, patchRoom } from "../../src/services/rooms.ts";
import { MIGRATIONS, tempDir } from "./store.ts";
import { TestDriver } from "./test-driver.ts";

const INPUTS = new Set(["pms", "housekeeping", "hangup"]);

export interface ConversationLine {
  /** Milliseconds from the start. */
  at: number;
  kind: string;
  text: string;
}

export interface Conversation {
  file: string;
  header: string[];
  start: number;
  timezone: string;
  config: Record<string, unknown>;
  /** Milliseconds from the start at which the replay ends. */
  until: number;
  /** Rooms the installer defined before the start (`@rooms 101 102`). */
  rooms: string[];
  lines: ConversationLine[];
}

export function readConversation(file: string): Conversation {
  const c: Conversation = {
    file,
    header: [],
    start: Date.UTC(2026, 11, 6, 7, 0, 0),
    timezone: "UTC",
    config: {},
    until: 0,
    rooms: [],
    lines: [],
  };
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trimEnd();
    const t = line.trim();
    if (t === "" || t.startsWith("#") || t.startsWith("@")) {
      if (c.lines.length === 0) c.header.push(line);
      if (t.startsWith("@")) directive(c, t);
      continue;
    }
    const m = /^(\d+\.\d{3}) (\S+)(?: (.*))?$/.exec(t);
    if (!m) throw new Error(`${file}: cannot read line ${JSON.stringify(line)}`);
    c.lines.push({ at: Math.round(Number(m[1]) * 1000), kind: m[2], text: m[3] ?? "" });
  }
  return c;
}

function directive(c: Conversation, t: string): void {
  const sp = t.indexOf(" ");
  const key = t.slice(1, sp < 0 ? undefined : sp);
  const value = sp < 0 ? "" : t.slice(sp + 1).trim();
  if (key === "start") c.start = Date.parse(value);
  else if (key === "timezone") c.timezone = value;
  else if (key === "config") c.config = JSON.parse(value);
  else if (key === "until") c.until = Math.round(Number(value) * 1000);
  else if (key === "rooms") c.rooms = value.split(" ").filter(Boolean);
  else throw new Error(`${c.file}: unknown directive @${key}`);
}

export function formatLine(l: ConversationLine): string {
  return `${(l.at / 1000).toFixed(3).padStart(8)} ${l.kind}${l.text ? ` ${l.text}` : ""}`;
}

/** `<02>LS|…|<03>` → bytes: <XX> is one byte, everything else is text in the charset. */
export function bytesOf(text: string, charset: Charset): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === "<" && text[i + 3] === ">" && /^[0-9a-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 4;
      continue;
    }
    const next = text.indexOf("<", i + 1);
    const chunk = text.slice(i, next < 0 ? undefined : next);
    out.push(...encode(chunk, charset));
    i += chunk.length;
  }
  return Uint8Array.from(out);
}

function describeOp(op: PbxOp): string {
  const name = "name" in op ? ` ${JSON.stringify(op.name)}` : "";
  const value =
    op.op === "dnd" ? ` ${op.dnd}` : op.op === "cos" ? ` ${op.classOfService}` : op.op === "lamp" ? ` ${op.count}` : "";
  return `${op.op} ${op.room}${name}${value}`;
}

/** The PMS end: one connection per dial, whose bytes the replay records. */
class ReplayConnector implements FiasClientConnector {
  readonly mode = "client";
  readonly target = "replay-pms";
  events: ConnectionEvents | undefined;
  dials = 0;

  constructor(private readonly onWrite: (bytes: Uint8Array) => void) {}

  connect(attach: AttachConnection) {
    this.dials++;
    const n = this.dials;
    let open = true;
    const conn = {
      remote: `replay-pms:${n}`,
      write: (bytes: Uint8Array) => {
        if (open) this.onWrite(bytes.slice());
      },
      close: () => {
        if (!open) return;
        open = false;
        this.events?.onClose("closed by link");
      },
    };
    this.events = attach(conn);
    return Promise.resolve(conn);
  }
}

export interface Replay {
  recorded: ConversationLine[];
  app: Appliance;
  driver: TestDriver;
  /** Stops the appliance and removes its data. */
  close(): Promise<void>;
}

export async function replayConversation(c: Conversation): Promise<Replay> {
  const clock = new FakeClock(c.start);
  const recorded: ConversationLine[] = [];
  const now = () => clock.now() - c.start;
  const tmp = tempDir("bellhop-conv-");
  const driver = new TestDriver();
  const base = { pms: { mode: "client", host: "127.0.0.1", port: 1 }, site: { timezone: c.timezone } };
  const overrides = c.config as { pms?: object; site?: object };
  const config = parseConfig({
    ...overrides,
    site: { ...base.site, ...overrides.site },
    pms: { ...base.pms, ...overrides.pms },
    // The runner is kicked when jobs are queued; its poll only adds replay steps.
    pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }], pollMs: 3_600_000 },
  });
  const charset = config.pms.charset;
  const connector = new ReplayConnector((bytes) => recorded.push({ at: now(), kind: "app", text: showBytes(bytes) }));
  const app = await startAppliance({
    config,
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "test",
    clock,
    connector,
    drivers: { test: driver },
    // Reconnect delays without jitter: a replay is the same every time.
    link: { backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0 } },
    synchronous: "NORMAL",
  });
  const onState = app.monitor.onState.bind(app.monitor);
  app.monitor.onState = (s) => {
    recorded.push({ at: now(), kind: "state", text: s });
    onState(s);
  };
  for (const room of c.rooms) await defineRoom(app.ctx, "api:replay", room, {});
  let opsSeen = 0;
  const settle = async () => {
    let quiet = 0;
    for (let round = 0; round < 100 && quiet < 3; round++) {
      const before = recorded.length + driver.done.length + app.ingest.applied + app.ingest.failed;
      await app.ingest.idle();
      await app.sender.idle();
      await app.wakeups.whenIdle();
      // A pass over due PBX jobs now, as the runner's kick would: its ops are recorded at this time.
      await app.runner.tick();
      for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
      for (; opsSeen < driver.done.length; opsSeen++)
        recorded.push({ at: now(), kind: "pbx", text: describeOp(driver.done[opsSeen]) });
      const after = recorded.length + driver.done.length + app.ingest.applied + app.ingest.failed;
      quiet = after === before ? quiet + 1 : 0;
    }
  };
  await settle();
  const inputs = c.lines.filter((l) => INPUTS.has(l.kind));
  let i = 0;
  for (;;) {
    const nextInput = inputs[i]?.at ?? Number.POSITIVE_INFINITY;
    const nextTimer = (clock.nextTimerAt() ?? Number.POSITIVE_INFINITY) - c.start;
    const target = Math.min(nextInput, nextTimer, c.until);
    // advance(0) too: timers due now must fire.
    clock.advance(Math.max(0, target - now()));
    await settle();
    while (i < inputs.length && inputs[i].at <= now()) {
      const input = inputs[i++];
      recorded.push({ ...input, at: now() });
      await perform(app, connector, input, charset);
      await settle();
    }
    if (now() >= c.until && i >= inputs.length) break;
  }
  return {
    recorded,
    app,
    driver,
    async close() {
      const stopping = app.stop();
      let done = false;
      stopping.finally(() => {
        done = true;
      });
      // stop() waits up to 2 s (on the fake clock) for the PMS's LE.
      for (let k = 0; k < 100 && !done; k++) {
        clock.advance(100);
        await new Promise((r) => setImmediate(r));
      }
      await stopping;
      tmp.cleanup();
    },
  };
}

async function perform(app: Appliance, connector: ReplayConnector, input: ConversationLine, charset: Charset) {
  switch (input.kind) {
    case "pms":
      connector.events?.onData(bytesOf(input.text, charset));
      return;
    case "hangup":
      connector.events?.onClose("closed by the PMS");
      return;
    case "housekeeping": {
      const [room, status] = input.text.split(" ");
      await patchRoom(app.ctx, "api:replay", room, { housekeeping: { status: Number(status) } });
      return;
    }
  }
}

/** Writes the recording back into the conversation file, keeping its header. */
export function saveRecording(c: Conversation, recorded: ConversationLine[]): void {
  const body = recorded.map(formatLine).join("\n");
  writeFileSync(c.file, `${c.header.join("\n")}\n${body}\n`);
}
