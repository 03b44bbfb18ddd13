import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Charset } from "../../../src/lib/charset.ts";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { FiasLink, type FiasLinkOptions } from "../../../src/pms/fias/link.ts";
import { defaultLinkRecords } from "../../../src/pms/fias/link-records.ts";
import { type FiasRecord, formatRecord, recordFromText } from "../../../src/pms/fias/record.ts";
import type { PmsState, PmsTraceEntry } from "../../../src/pms/port.ts";
import { flush, MemoryClientConnector, type MemoryPeer, MemoryServerConnector } from "../../helpers/fias-memory.ts";

const LS = "LS|DA260101|TI120000|";
const LA = "LA|DA260101|TI120001|";
const LE = "LE|DA260101|TI120002|";
const LR_COUNT = defaultLinkRecords().length;
const HANDSHAKE = ["LD", ...Array(LR_COUNT).fill("LR"), "LA"];

interface Harness {
  link: FiasLink;
  clock: FakeClock;
  states: PmsState[];
  records: string[];
  raws: Uint8Array[];
  traces: PmsTraceEntry[];
  ready: () => number;
  logger: ReturnType<typeof memoryLogger>;
}

function harness(
  connector: MemoryClientConnector | MemoryServerConnector,
  opts: Partial<FiasLinkOptions> = {},
): Harness {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const states: PmsState[] = [];
  const records: string[] = [];
  const raws: Uint8Array[] = [];
  const traces: PmsTraceEntry[] = [];
  let ready = 0;
  const link = new FiasLink({
    connector,
    clock,
    logger,
    charset: "latin1",
    linkRecords: defaultLinkRecords(),
    backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0 },
    handlers: {
      onRecord: (rec: FiasRecord, raw: Uint8Array) => {
        records.push(formatRecord(rec));
        raws.push(raw);
      },
      onState: (s) => states.push(s),
      onTrace: (e) => traces.push(e),
      onReady: () => ready++,
    },
    ...opts,
  });
  return { link, clock, states, records, raws, traces, ready: () => ready, logger };
}

function client(opts: Partial<FiasLinkOptions> = {}, charset: Charset = "latin1") {
  const connector = new MemoryClientConnector(charset);
  return { connector, ...harness(connector, { charset, ...opts }) };
}

/** Starts the link and runs the PMS side of a normal handshake. */
function linkUp(h: Harness & { connector: MemoryClientConnector }): MemoryPeer {
  h.link.start();
  const pms = h.connector.peer;
  pms.send(LS);
  assert.deepEqual(pms.takeTypes(), HANDSHAKE);
  pms.send(LA);
  assert.equal(h.link.state, "linked");
  return pms;
}

const GI = "GI|RN101|G#42|GNSmith|";

describe("FiasLink handshake", () => {
  test("LS is answered with LD, every LR and LA; the PMS's LA makes the link ready", () => {
    const h = client();
    h.link.start();
    assert.equal(h.link.state, "connecting");
    assert.equal(h.link.canSend, false);
    const pms = h.connector.peer;
    pms.send(LS);
    const out = pms.take();
    assert.deepEqual(
      out.map((t) => t.slice(0, 2)),
      HANDSHAKE,
    );
    const ld = recordFromText(out[0]);
    assert.deepEqual(Object.keys(ld.fields), ["DA", "TI", "V#", "IF"]);
    assert.equal(ld.fields.DA.length, 6);
    assert.equal(ld.fields.TI.length, 6);
    assert.equal(ld.fields["V#"], "1.0");
    assert.equal(ld.fields.IF, "PB");
    assert.deepEqual(out.slice(1, 1 + LR_COUNT), defaultLinkRecords().map(formatRecord));
    assert.equal(h.link.state, "connecting");
    assert.equal(h.ready(), 0);

    pms.send(LA);
    assert.equal(h.link.state, "linked");
    assert.equal(h.link.canSend, true);
    assert.equal(h.ready(), 1);
    assert.deepEqual(h.states, ["connecting", "linked"]);
    assert.deepEqual(pms.take(), [], "LA is not answered");
  });

  test("DA/TI of link records come from the injected clock and local-time function", () => {
    const h = client({
      localTime: (ms) => {
        const d = new Date(ms);
        return {
          year: d.getUTCFullYear(),
          month: d.getUTCMonth() + 1,
          day: d.getUTCDate(),
          hour: d.getUTCHours(),
          minute: d.getUTCMinutes(),
          second: d.getUTCSeconds(),
        };
      },
      version: "2.1",
      interfaceFamily: "VM",
    });
    h.link.start();
    h.connector.peer.send(LS);
    assert.equal(h.connector.peer.take()[0], "LD|DA260101|TI120000|V#2.1|IFVM|");
  });

  test("LS mid-stream redoes the handshake and holds sending until the next LA", () => {
    const h = client();
    const pms = linkUp(h);
    pms.send(GI, LS);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.link.send(recordFromText("RE|RN101|RS3|")), false);
    pms.send(LA);
    assert.equal(h.link.state, "linked");
    assert.equal(h.ready(), 2);
    assert.deepEqual(h.states, ["connecting", "linked", "connecting", "linked"]);
    assert.deepEqual(h.records, [GI]);
  });

  test("PMS silent for the init wait: we send LS, then answer its LS", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    h.clock.advance(2999);
    assert.deepEqual(pms.take(), []);
    h.clock.advance(1);
    assert.deepEqual(pms.takeTypes(), ["LS"]);
    pms.send(LS);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    pms.send(LA);
    assert.equal(h.link.state, "linked");
  });

  test("PMS answering our LS with LA links at once", () => {
    const h = client();
    h.link.start();
    h.clock.advance(3000);
    const pms = h.connector.peer;
    assert.deepEqual(pms.takeTypes(), ["LS"]);
    pms.send(LA);
    assert.equal(h.link.state, "linked");
    assert.equal(h.ready(), 1);
  });

  test("PMS speaking first within the init wait: we never send LS", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    h.clock.advance(1000);
    pms.send(LS);
    pms.take();
    h.clock.advance(5000);
    assert.deepEqual(pms.take(), []);
  });

  test("no reply to our init LS: drop and reconnect", async () => {
    const h = client();
    h.link.start();
    h.clock.advance(3000);
    h.clock.advance(30_000);
    assert.equal(h.connector.peers[0].closed, true);
    assert.equal(h.link.state, "down");
    h.clock.advance(1000);
    assert.equal(h.connector.attempts, 2);
    assert.equal(h.link.state, "connecting");
  });

  test("no LA after our handshake: the link is up after the grace time, never dropped for it", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    pms.send(LS);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    h.clock.advance(9_999);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.link.send(recordFromText("RE|RN101|RS3|")), false, "nothing goes out during the grace time");
    h.clock.advance(1);
    assert.equal(h.link.state, "linked");
    assert.equal(h.ready(), 1);
    assert.equal(h.link.peer.linkConfirmedBy, "silence");
    assert.equal(h.link.peer.greeting, "pms");
    h.clock.advance(120_000);
    assert.equal(pms.closed, false);
    assert.equal(h.link.send(recordFromText("RE|RN101|RS3|")), true);
    assert.deepEqual(pms.take(), ["RE|RN101|RS3|"]);
  });

  test("the grace time is configurable", () => {
    const h = client({ linkGraceMs: 2000 });
    h.link.start();
    h.connector.peer.send(LS);
    h.clock.advance(1999);
    assert.equal(h.link.state, "connecting");
    h.clock.advance(1);
    assert.equal(h.link.state, "linked");
  });

  test("the PMS's first application record after our LA makes the link up at once", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    pms.send(LS);
    pms.take();
    h.clock.advance(500);
    pms.send(GI);
    assert.equal(h.link.state, "linked");
    assert.equal(h.link.peer.linkConfirmedBy, "data");
    assert.deepEqual(h.records, [GI]);
    assert.deepEqual(h.states, ["connecting", "linked"]);
    h.clock.advance(10_000);
    assert.equal(h.ready(), 1, "the grace timer does not confirm twice");
  });

  test("Matrix-style start: our LS answered with LS, no LA ever, data follows", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    h.clock.advance(3000);
    assert.deepEqual(pms.takeTypes(), ["LS"]);
    h.clock.advance(100);
    pms.send(LS);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    assert.equal(h.link.peer.greeting, "appliance");
    h.clock.advance(40_000);
    assert.equal(pms.closed, false, "no response timer runs for an LA");
    assert.equal(h.link.state, "linked");
    assert.equal(h.link.peer.linkConfirmedBy, "silence");
    pms.send(GI);
    assert.deepEqual(h.records, [GI]);
    assert.equal(h.link.peer.connectionsLost, 0);
  });

  test("data in answer to our init LS: we send LD/LR/LA and the next record confirms", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    h.clock.advance(3000);
    pms.take();
    pms.send(GI);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    assert.equal(h.link.state, "connecting");
    pms.send("GO|RN101|G#42|");
    assert.equal(h.link.state, "linked");
    assert.deepEqual(h.records, [GI, "GO|RN101|G#42|"]);
  });

  test("an LE during the grace time: no link until the PMS's LS", () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    pms.send(LS);
    pms.take();
    pms.send(LE);
    assert.deepEqual(pms.takeTypes(), ["LE"]);
    h.clock.advance(20_000);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.link.canSend, false);
  });

  test("LD and LR from the PMS are ignored; application records are delivered in order with raw bytes", () => {
    const h = client();
    const pms = linkUp(h);
    pms.send("LD|DA260101|TI120000|V#8.14|IFPB|", "LR|RIGI|FLRN|", GI, "GO|RN101|G#42|", "XL|RN101|G#42|MI1|MTHi|");
    assert.deepEqual(h.records, [GI, "GO|RN101|G#42|", "XL|RN101|G#42|MI1|MTHi|"]);
    assert.equal(new TextDecoder().decode(h.raws[0]), GI);
    assert.deepEqual(pms.take(), []);
  });

  test("state notifications only on change", () => {
    const h = client();
    const pms = linkUp(h);
    pms.send(LA, LA, GI);
    assert.deepEqual(h.states, ["connecting", "linked"]);
  });
});

describe("FiasLink alive check", () => {
  test("after aliveSeconds without traffic we send LS; LA keeps the link", () => {
    const h = client();
    const pms = linkUp(h);
    h.clock.advance(299_999);
    assert.deepEqual(pms.take(), []);
    h.clock.advance(1);
    assert.deepEqual(pms.takeTypes(), ["LS"]);
    pms.send(LA);
    assert.equal(h.link.state, "linked");
    assert.equal(h.link.canSend, true);
    h.clock.advance(299_999);
    assert.deepEqual(pms.take(), []);
    h.clock.advance(1);
    assert.deepEqual(pms.takeTypes(), ["LS"]);
    assert.deepEqual(h.states, ["connecting", "linked"]);
  });

  test("traffic postpones the alive LS", () => {
    const h = client();
    const pms = linkUp(h);
    h.clock.advance(200_000);
    pms.send(GI);
    h.clock.advance(299_999);
    assert.deepEqual(pms.take(), []);
    h.clock.advance(1);
    assert.deepEqual(pms.takeTypes(), ["LS"]);
  });

  test("any record answers the alive LS", () => {
    const h = client();
    const pms = linkUp(h);
    h.clock.advance(300_000);
    pms.take();
    h.clock.advance(10_000);
    pms.send(GI);
    h.clock.advance(25_000);
    assert.equal(pms.closed, false);
  });

  test("an LS answering the alive LS means alive: no handshake, the link stays up", () => {
    const h = client();
    const pms = linkUp(h);
    assert.equal(h.link.peer.aliveAnswer, null);
    h.clock.advance(300_000);
    assert.deepEqual(pms.takeTypes(), ["LS"]);
    h.clock.advance(200);
    pms.send(LS);
    assert.deepEqual(pms.take(), []);
    assert.equal(h.link.state, "linked");
    assert.equal(h.link.peer.aliveAnswer, "LS");
    h.clock.advance(60_000);
    assert.equal(pms.closed, false);
    assert.deepEqual(h.states, ["connecting", "linked"]);
    assert.equal(h.ready(), 1);
  });

  test("an LS the PMS sends on its own while linked restarts the link", () => {
    const h = client();
    const pms = linkUp(h);
    h.clock.advance(100_000);
    pms.send(LS);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    assert.equal(h.link.state, "connecting");
    pms.send(LA);
    assert.equal(h.link.peer.linkStarts, 2);
  });

  test("the alive answer is recorded: LA, or any record", () => {
    const h = client();
    const pms = linkUp(h);
    h.clock.advance(300_000);
    pms.take();
    pms.send(LA);
    assert.equal(h.link.peer.aliveAnswer, "LA");
    h.clock.advance(300_000);
    pms.take();
    pms.send(GI);
    assert.equal(h.link.peer.aliveAnswer, "data");
  });

  test("no reply to the alive LS: drop, reconnect with backoff, reset after a good link", async () => {
    const h = client({ aliveSeconds: 60 });
    linkUp(h);
    h.clock.advance(60_000);
    h.clock.advance(30_000);
    assert.equal(h.connector.peers[0].closed, true);
    assert.equal(h.link.state, "down");
    assert.deepEqual(h.states, ["connecting", "linked", "down"]);

    h.connector.refuse = 2;
    h.clock.advance(1000);
    assert.equal(h.connector.attempts, 2);
    await flush();
    h.clock.advance(1999);
    assert.equal(h.connector.attempts, 2);
    h.clock.advance(1);
    assert.equal(h.connector.attempts, 3);
    await flush();
    h.clock.advance(3999);
    assert.equal(h.connector.attempts, 3);
    h.clock.advance(1);
    assert.equal(h.connector.attempts, 4);
    assert.equal(h.link.state, "connecting");

    const pms = h.connector.peer;
    pms.send(LS, LA);
    assert.equal(h.link.state, "linked");
    pms.hangUp();
    assert.equal(h.link.state, "down");
    h.clock.advance(1000);
    assert.equal(h.connector.attempts, 5, "backoff restarts at initialMs after a good link");
  });

  test("PMS closing the connection: state down and reconnect", () => {
    const h = client();
    const pms = linkUp(h);
    pms.hangUp();
    assert.equal(h.link.state, "down");
    assert.equal(h.link.canSend, false);
    h.clock.advance(1000);
    assert.equal(h.connector.peers.length, 2);
    assert.equal(h.link.state, "connecting");
    assert.equal(pms.writesAfterClose, 0);
  });
});

describe("FiasLink LE", () => {
  test("LE from the PMS is answered once; nothing goes out until LS", () => {
    const h = client();
    const pms = linkUp(h);
    pms.send(LE);
    assert.deepEqual(pms.takeTypes(), ["LE"]);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.link.canSend, false);
    assert.equal(pms.closed, false);
    assert.equal(h.link.send(recordFromText("RE|RN101|RS3|")), false);
    pms.send(LE);
    assert.deepEqual(pms.take(), [], "a second LE is not echoed");
    pms.send(LS);
    assert.deepEqual(pms.takeTypes(), HANDSHAKE);
    pms.send(LA);
    assert.equal(h.link.canSend, true);
    assert.equal(h.link.send(recordFromText("RE|RN101|RS3|")), true);
    assert.deepEqual(pms.take(), ["RE|RN101|RS3|"]);
    assert.deepEqual(h.states, ["connecting", "linked", "connecting", "linked"]);
  });
});

describe("FiasLink resync", () => {
  test("DS…DE: state resync, send() refused in between, DS and DE delivered", () => {
    const h = client();
    const pms = linkUp(h);
    const re = recordFromText("RE|RN101|RS3|");
    pms.send("DS|DA260101|TI120500|");
    assert.equal(h.link.state, "resync");
    assert.equal(h.link.canSend, false);
    assert.equal(h.link.send(re), false);
    pms.send("GI|RN101|G#42|GSN|SF|");
    assert.equal(h.link.send(re), false);
    assert.deepEqual(pms.take(), []);
    pms.send("DE|DA260101|TI120501|");
    assert.equal(h.link.state, "linked");
    assert.equal(h.ready(), 2);
    assert.equal(h.link.send(re), true);
    assert.deepEqual(pms.take(), ["RE|RN101|RS3|"]);
    assert.deepEqual(h.records, ["DS|DA260101|TI120500|", "GI|RN101|G#42|GSN|SF|", "DE|DA260101|TI120501|"]);
    assert.deepEqual(h.states, ["connecting", "linked", "resync", "linked"]);
  });

  test("connection lost during resync: state down", () => {
    const h = client();
    const pms = linkUp(h);
    pms.send("DS|");
    pms.hangUp();
    assert.equal(h.link.state, "down");
    h.clock.advance(1000);
    h.connector.peer.send(LS, LA);
    assert.equal(h.link.state, "linked", "a new connection does not inherit the resync");
  });
});

describe("FiasLink malformed input", () => {
  test("garbage and bad records are traced as errors; the link stays up", () => {
    const h = client();
    const pms = linkUp(h);
    h.traces.length = 0;
    pms.inject("\r\njunk\x02GI|RN1\x02GI|RN102|\x03\x02G\x03\x02GI|RN103|X|\x03");
    pms.send(GI);
    assert.equal(h.link.state, "linked");
    assert.deepEqual(h.records, ["GI|RN102|", GI]);
    const errors = h.traces.filter((t) => t.error);
    assert.equal(errors.length, 4);
    assert.equal(errors[0].text, "junk", "the line end before the junk is filler");
    assert.equal(errors[1].text, "GI|RN1");
    assert.ok(errors.every((e) => e.dir === "in"));
    const warns = () => h.logger.lines.filter((l) => l.level === "warn" && String(l.msg).startsWith("fias: malformed"));
    assert.equal(warns().length, 1, "one line now, the rest counted (log budget)");
    h.clock.advance(60_000);
    assert.deepEqual(
      warns().map((l) => l.msg),
      ["fias: malformed frame", "fias: malformed frame (3 more not logged)"],
    );
    assert.equal(h.link.peer.framesRejected, 4);
    assert.equal(h.link.peer.garbageBytes, 10, "junk and the unterminated GI|RN1");
    assert.equal(pms.closed, false);
  });

  test("a throwing handler does not break the link", () => {
    const connector = new MemoryClientConnector();
    const seen: string[] = [];
    const h = harness(connector, {
      handlers: {
        onRecord: (r) => {
          seen.push(r.type);
          throw new Error("boom");
        },
        onState: () => {
          throw new Error("boom");
        },
      },
    });
    h.link.start();
    connector.peer.send(LS, LA, GI, "GO|RN101|");
    assert.equal(h.link.state, "linked");
    assert.deepEqual(seen, ["GI", "GO"]);
  });
});

describe("FiasLink send and trace", () => {
  test("send() before the link is up writes nothing", () => {
    const h = client();
    assert.equal(h.link.send(recordFromText("RE|RN1|RS1|")), false);
    h.link.start();
    assert.equal(h.link.send(recordFromText("RE|RN1|RS1|")), false);
    assert.deepEqual(h.connector.peer.written, []);
  });

  test("send() frames the record in the configured charset and traces it", () => {
    const h = client({}, "cp850");
    const pms = linkUp(h);
    h.traces.length = 0;
    assert.equal(h.link.send({ type: "XL", fields: { RN: "101", MT: "Grüße|" } }), true);
    const last = pms.written.at(-1);
    assert.ok(last);
    assert.deepEqual([...last], [0x02, ...new TextEncoder().encode("XL|RN101|MTGr"), 0x81, 0xe1, 0x65, 0x7c, 0x03]);
    assert.deepEqual(pms.take(), ["XL|RN101|MTGrüße|"]);
    assert.equal(h.traces.length, 1);
    assert.equal(h.traces[0].dir, "out");
    assert.equal(h.traces[0].at, h.clock.now());
  });

  test("every frame in and out is traced", () => {
    const h = client();
    linkUp(h);
    const dirs = h.traces.map((t) => `${t.dir} ${t.text.slice(0, 2)}`);
    assert.deepEqual(dirs, ["in LS", ...HANDSHAKE.map((t) => `out ${t}`), "in LA"]);
  });
});

describe("FiasLink stop", () => {
  test("sends LE, waits for the peer's LE, closes, and stops reconnecting", async () => {
    const h = client();
    const pms = linkUp(h);
    let done = false;
    const stopping = h.link.stop().then(() => {
      done = true;
    });
    assert.deepEqual(pms.takeTypes(), ["LE"]);
    assert.equal(h.link.canSend, false);
    await flush();
    assert.equal(done, false);
    assert.equal(pms.closed, false);
    pms.send(LE);
    await stopping;
    assert.equal(pms.closed, true);
    assert.deepEqual(pms.take(), [], "the peer's LE is not answered");
    assert.equal(h.link.state, "down");
    h.clock.advance(120_000);
    assert.equal(h.connector.attempts, 1);
    assert.equal(h.clock.pendingTimers(), 0);
    await h.link.stop();
  });

  test("gives up waiting for the peer's LE after 2 s", async () => {
    const h = client();
    const pms = linkUp(h);
    let done = false;
    const stopping = h.link.stop().then(() => {
      done = true;
    });
    h.clock.advance(1999);
    await flush();
    assert.equal(done, false);
    h.clock.advance(1);
    await stopping;
    assert.equal(pms.closed, true);
    assert.equal(h.link.state, "down");
  });

  test("is idempotent", async () => {
    const h = client();
    const pms = linkUp(h);
    const a = h.link.stop();
    const b = h.link.stop();
    assert.equal(a, b);
    assert.deepEqual(pms.takeTypes(), ["LE"]);
    pms.send(LE);
    await a;
    await h.link.stop();
    assert.deepEqual(h.states, ["connecting", "linked", "down"]);
  });

  test("while not linked: closes without LE", async () => {
    const h = client();
    h.link.start();
    const pms = h.connector.peer;
    await h.link.stop();
    assert.deepEqual(pms.take(), []);
    assert.equal(pms.closed, true);
    assert.equal(h.link.state, "down");
  });

  test("before start: resolves; start afterwards does nothing", async () => {
    const h = client();
    await h.link.stop();
    h.link.start();
    assert.equal(h.connector.attempts, 0);
  });

  test("while waiting to reconnect: no further dials", async () => {
    const h = client();
    h.connector.refuse = 1;
    h.link.start();
    await flush();
    await h.link.stop();
    h.clock.advance(120_000);
    assert.equal(h.connector.attempts, 1);
  });
});

describe("FiasLink server mode", () => {
  test("a new PMS connection takes over only once it started the link; the old one works until then", async () => {
    const connector = new MemoryServerConnector();
    const h = harness(connector);
    h.link.start();
    await flush();
    assert.equal(connector.listening, true);
    assert.equal(h.link.state, "down");

    const first = connector.dial();
    first.send(LS, LA);
    assert.equal(h.link.state, "linked");
    first.take();

    const second = connector.dial();
    assert.equal(first.closed, false, "the live PMS connection stays");
    assert.equal(h.link.state, "linked");
    assert.equal(h.link.remote, "pms-in:1");
    // The newcomer's records before its link start are refused, the live one's are applied.
    second.send(GI);
    first.send("GO|RN101|G#42|");
    assert.deepEqual(h.records, ["GO|RN101|G#42|"]);
    assert.equal(h.link.peer.recordsRefused, 1);
    assert.equal(h.link.send(recordFromText("RE|RN101|RS3|")), true);
    assert.deepEqual(first.take(), ["RE|RN101|RS3|"]);
    assert.deepEqual(second.take(), []);

    second.send(LS);
    assert.deepEqual(second.takeTypes(), HANDSHAKE);
    assert.equal(first.closed, false, "not before the link start completed");
    second.send(LA);
    assert.equal(first.closed, true);
    assert.equal(h.link.remote, "pms-in:2");
    assert.equal(h.link.state, "linked");
    assert.deepEqual(h.states, ["connecting", "linked"], "the link never went down");
    assert.equal(first.writesAfterClose, 0);
    second.send(GI);
    assert.deepEqual(h.records, ["GO|RN101|G#42|", GI]);

    second.hangUp();
    assert.equal(h.link.state, "down");
    h.clock.advance(120_000);
    assert.equal(connector.listens, 1, "server mode keeps listening; nothing to redial");

    await h.link.stop();
    assert.equal(connector.listening, false);
  });

  test("a newcomer that never starts the link is dropped; the live link is untouched", async () => {
    const connector = new MemoryServerConnector();
    const h = harness(connector);
    h.link.start();
    await flush();
    const first = connector.dial();
    first.send(LS, LA);
    const probe = connector.dial();
    h.clock.advance(3000);
    assert.deepEqual(probe.takeTypes(), ["LS"], "it gets our LS after the init wait");
    h.clock.advance(30_000);
    assert.equal(probe.closed, true, "no answer to our LS: dropped");
    assert.equal(first.closed, false);
    assert.deepEqual(h.states, ["connecting", "linked"]);
    first.send(GI);
    assert.deepEqual(h.records, [GI]);
  });

  test("with no live connection, records before the link start are refused all the same", async () => {
    const connector = new MemoryServerConnector();
    const h = harness(connector);
    h.link.start();
    await flush();
    const pms = connector.dial();
    pms.send(GI, "GO|RN101|G#42|");
    assert.deepEqual(h.records, []);
    assert.equal(h.link.peer.recordsRefused, 2);
    pms.send(LS, LA, GI);
    assert.deepEqual(h.records, [GI]);
  });
});
