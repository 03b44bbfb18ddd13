import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { MitelLink } from "../../../src/pms/mitel/link.ts";
import type { MitelLinkOptions } from "../../../src/pms/mitel/link-options.ts";
import type { MitelMessage } from "../../../src/pms/mitel/messages.ts";
import type { PmsState, PmsTraceEntry } from "../../../src/pms/port.ts";
import { flush, MitelClientConnector, MitelServerConnector } from "./memory.ts";

const STS = "STS2 101  ";
const MW = "MW 1 101  ";

function harness(
  connector: MitelClientConnector | MitelServerConnector = new MitelClientConnector(),
  opts: Partial<MitelLinkOptions> = {},
) {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const states: PmsState[] = [];
  const messages: MitelMessage[] = [];
  const traces: PmsTraceEntry[] = [];
  let ready = 0;
  const link = new MitelLink({
    connector,
    clock,
    logger,
    charset: "latin1",
    backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0 },
    holdDeliveryMs: 0,
    handlers: {
      onRecord: (m) => messages.push(m),
      onState: (s) => states.push(s),
      onTrace: (e) => traces.push(e),
      onReady: () => ready++,
    },
    ...opts,
  });
  const verdicts: [boolean, string | undefined][] = [];
  const send = (text: string) => link.sendMessage(text, (ok, why) => verdicts.push([ok, why]));
  return { link, clock, logger, states, messages, traces, verdicts, send, ready: () => ready };
}

async function started(opts: Partial<MitelLinkOptions> = {}) {
  const c = new MitelClientConnector();
  const h = harness(c, opts);
  h.link.start();
  await flush();
  return { ...h, c, peer: c.peer };
}

describe("Mitel link: PMS → system", () => {
  test("an open connection is linked at once (no link start)", async () => {
    const h = await started();
    assert.equal(h.link.state, "linked");
    assert.deepEqual(h.states, ["linked"]);
    assert.equal(h.ready(), 1);
    assert.equal(h.link.canSend, true);
  });

  test("ENQ → ACK, message → ACK and delivered (the worked exchange)", async () => {
    const h = await started();
    h.peer.enq();
    assert.deepEqual(h.peer.take(), ["ACK"]);
    h.peer.frame("CHK1   101");
    assert.deepEqual(h.peer.take(), ["ACK"]);
    assert.deepEqual(h.messages, [{ type: "CHK", room: "101", checkedIn: true }]);
    assert.equal(h.traces.at(-1)?.text, "CHK1   101");
  });

  test("an invalid message is NAKed, logged, not delivered; the frame sent again alone is taken", async () => {
    const h = await started();
    h.peer.send("CHK3   101");
    assert.deepEqual(h.peer.take(), ["ACK", "NAK"]);
    assert.equal(h.messages.length, 0);
    assert.match(h.traces.at(-1)?.error ?? "", /CHK status "3"/);
    assert.equal(h.link.peer.framesRejected, 1);
    assert.ok(h.logger.lines.some((l) => l.msg === "mitel: message rejected"));
    h.peer.frame("CHK1   101");
    assert.deepEqual(h.peer.take(), ["ACK"]);
    assert.equal(h.messages.length, 1);
  });

  test("an ACKed message goes up at our answer to the PMS's next bid, or after holdDeliveryMs", async () => {
    const h = await started({ holdDeliveryMs: 5 });
    h.peer.send("CHK1   101");
    assert.deepEqual(h.messages, [], "not while the PMS may bid again at once");
    h.peer.enq();
    assert.deepEqual(h.peer.take(), ["ACK", "ACK", "ACK"]);
    assert.equal(h.messages.length, 1, "right after our ACK to its next ENQ");
    h.peer.frame("CHK0   101");
    h.clock.advance(4);
    assert.equal(h.messages.length, 1);
    h.clock.advance(1);
    assert.equal(h.messages.length, 2);
    h.peer.send("CHK1   102");
    h.peer.hangUp();
    assert.equal(h.messages.length, 3, "a closing connection hands up what it ACKed");
  });

  test("AREYUTHERE is ACKed and goes no further", async () => {
    const h = await started();
    h.peer.send("AREYUTHERE");
    assert.deepEqual(h.peer.take(), ["ACK", "ACK"]);
    assert.equal(h.messages.length, 0);
    assert.equal(h.link.stats.areYouThere, 1);
  });

  test("an ENQ storm cannot hold the line: the grant keeps its end", async () => {
    const h = await started();
    h.peer.enq();
    h.send(STS);
    for (let t = 0; t < 3000; t += 500) {
      h.clock.advance(500);
      h.peer.enq();
    }
    const written = h.peer.take();
    assert.ok(written.includes("ENQ"), "our bid after the first grant's 3 s");
  });

  test("a repeated ENQ while the line is the PMS's is ACKed again; the grant lapses after 3 s", async () => {
    const h = await started();
    h.peer.enq();
    h.clock.advance(2000);
    h.peer.enq();
    assert.deepEqual(h.peer.take(), ["ACK", "ACK"]);
    h.send(STS);
    assert.deepEqual(h.peer.take(), [], "the line is the PMS's");
    h.clock.advance(3000);
    assert.deepEqual(h.peer.take(), ["ENQ"]);
  });

  test("requireEnq: a message without a line bid is NAKed", async () => {
    const h = await started({ requireEnq: true });
    h.peer.frame("CHK1   101");
    assert.deepEqual(h.peer.take(), ["NAK"]);
    assert.equal(h.messages.length, 0);
    h.peer.send("CHK1   101");
    assert.deepEqual(h.peer.take(), ["ACK", "ACK"]);
  });

  test("garbage is counted and traced; a flood drops the connection", async () => {
    const h = await started({ maxGarbageBytesPerSecond: 100 });
    h.peer.inject("zz");
    assert.equal(h.link.peer.garbageBytes, 2);
    assert.equal(h.traces.at(-1)?.error, "garbage");
    h.peer.inject("x".repeat(200));
    assert.equal(h.peer.closed, true);
    assert.equal(h.link.state, "down");
  });

  test("a stalled frame is dropped after 3 s, an oversized one is NAKed", async () => {
    const h = await started({ maxMessageBytes: 40 });
    h.peer.inject("\u0002CHK1");
    h.clock.advance(3000);
    assert.equal(h.traces.at(-1)?.error, "abandoned");
    h.peer.frame("X".repeat(80));
    assert.deepEqual(h.peer.take(), ["NAK"]);
  });
});

describe("Mitel link: system → PMS", () => {
  test("ENQ, ACK, message, ACK → delivered", async () => {
    const h = await started();
    assert.equal(h.send(STS), true);
    assert.deepEqual(h.peer.take(), ["ENQ"]);
    h.peer.ack();
    assert.deepEqual(h.peer.take(), [STS]);
    assert.deepEqual(h.verdicts, []);
    h.peer.ack();
    assert.deepEqual(h.verdicts, [[true, undefined]]);
  });

  test("text that is not a message of ours is refused", async () => {
    const h = await started();
    assert.equal(h.link.sendMessage("CHK1   101"), false);
    assert.equal(h.link.sendMessage("GI|RN101|"), false);
  });

  test("NAK to ENQ: busy, ENQ again after 3 s", async () => {
    const h = await started();
    h.send(STS);
    h.peer.take();
    h.peer.nak();
    h.clock.advance(2999);
    assert.deepEqual(h.peer.take(), []);
    h.clock.advance(1);
    assert.deepEqual(h.peer.take(), ["ENQ"]);
  });

  test("no answer to 21 ENQs: PMS down, the message given back, ENQ every 3 s until ACK; then PMS up", async () => {
    const h = await started();
    h.send(STS);
    for (let i = 0; i < 20; i++) h.clock.advance(3000);
    assert.equal(h.peer.take().length, 21);
    assert.equal(h.link.state, "linked");
    h.clock.advance(3000);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.verdicts.length, 1);
    assert.equal(h.verdicts[0][0], false);
    assert.match(h.verdicts[0][1] ?? "", /PMS down: no answer to 21 line bids/);
    assert.equal(h.link.canSend, false);
    assert.ok(h.logger.lines.some((l) => l.msg === "mitel: PMS down"));
    assert.deepEqual(h.peer.take(), ["ENQ"], "a probe at once");
    h.clock.advance(3000);
    assert.deepEqual(h.peer.take(), ["ENQ"], "and every 3 s");
    h.peer.ack();
    assert.equal(h.link.state, "linked");
    assert.equal(h.ready(), 2);
    // The outbox sends again while the probe's grant is held: no new bid.
    h.send(STS);
    assert.deepEqual(h.peer.take(), [STS]);
    h.peer.ack();
    assert.deepEqual(h.verdicts.at(-1), [true, undefined]);
  });

  test("PMS down ends at any sign of life, e.g. its own ENQ", async () => {
    const h = await started({ enqAttempts: 2 });
    h.send(STS);
    h.clock.advance(6000);
    assert.equal(h.link.state, "connecting");
    h.peer.take();
    h.peer.enq();
    assert.equal(h.link.state, "linked");
    assert.deepEqual(h.peer.take(), ["ACK"]);
  });

  test("no answer to the message: again from ENQ, 6 attempts, then PMS down", async () => {
    const h = await started();
    h.send(STS);
    for (let i = 0; i < 6; i++) {
      h.peer.ack();
      h.clock.advance(3000);
    }
    const written = h.peer.take();
    assert.equal(written.filter((t) => t === STS).length, 6);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.verdicts[0][0], false);
    assert.equal(h.link.stats.retries, 5);
  });

  test("a message NAKed on every attempt is discarded, logged, and the next one goes", async () => {
    const h = await started();
    h.send(STS);
    h.send(MW);
    for (let i = 0; i < 6; i++) {
      h.peer.ack();
      h.peer.nak();
    }
    assert.deepEqual(h.verdicts, [[true, "NAKed by the PMS 6 times: discarded"]]);
    assert.equal(h.link.stats.discarded, 1);
    assert.ok(h.logger.lines.some((l) => String(l.msg).includes("refused a message on every attempt")));
    assert.equal(h.link.state, "linked");
    assert.equal(h.peer.take().at(-1), "ENQ");
    h.peer.ack();
    assert.equal(h.peer.take().at(-1), MW);
  });

  test("a charge (MR) NAKed on every attempt is reported not delivered: it must not count as posted", async () => {
    const h = await started({ messageAttempts: 2 });
    h.send("MR 0012101  ");
    for (let i = 0; i < 2; i++) {
      h.peer.ack();
      h.peer.nak();
    }
    assert.deepEqual(h.verdicts, [[false, "NAKed by the PMS 2 times: discarded"]]);
    assert.equal(h.link.state, "linked");
  });

  test("glare: the PMS's ENQ while ours waits is ignored; the system goes first", async () => {
    const h = await started();
    h.send(STS);
    assert.deepEqual(h.peer.take(), ["ENQ"]);
    h.peer.enq();
    assert.deepEqual(h.peer.take(), [], "no ACK to the PMS's bid");
    assert.equal(h.link.stats.glare, 1);
    h.peer.ack();
    assert.deepEqual(h.peer.take(), [STS]);
    h.peer.ack();
    // The PMS bids again after its 6 s back-off.
    h.clock.advance(6000);
    h.peer.send("CHK1   101");
    assert.deepEqual(h.peer.take(), ["ACK", "ACK"]);
  });

  test("the PMS's ENQ during our transaction is granted right after it", async () => {
    const h = await started();
    h.send(STS);
    h.send(MW);
    h.peer.ack();
    h.peer.enq();
    assert.deepEqual(h.peer.take(), ["ENQ", STS]);
    h.peer.ack();
    assert.deepEqual(h.peer.take(), ["ACK"], "the PMS's turn before our next message");
    h.peer.frame("DND1   101");
    assert.deepEqual(h.peer.take(), ["ACK", "ENQ"]);
  });

  test("stray ACK/NAK are counted and ignored", async () => {
    const h = await started();
    h.peer.ack();
    h.peer.nak();
    assert.equal(h.link.stats.strayAnswers, 2);
    assert.deepEqual(h.peer.take(), []);
  });
});

describe("Mitel link: resync and RQINZ", () => {
  test("GRS … END: state resync, our messages held until END", async () => {
    const h = await started();
    h.peer.enq();
    h.send(STS); // queued: the line is the PMS's
    h.peer.frame("GRS       ");
    assert.equal(h.link.state, "resync");
    assert.equal(h.link.canSend, false);
    assert.equal(h.link.sendMessage(MW), false);
    h.peer.send("CHK1   101");
    h.peer.send("NAM1 SMITH,JOHN             101");
    assert.ok(!h.peer.take().includes("ENQ"), "nothing of ours during the cycle");
    h.peer.send("END       ");
    assert.equal(h.link.state, "linked");
    assert.deepEqual(h.peer.take(), ["ACK", "ACK", "ENQ"]);
    assert.deepEqual(
      h.messages.map((m) => m.type),
      ["GRS", "CHK", "NAM", "END"],
    );
    assert.deepEqual(h.states, ["linked", "resync", "linked"]);
  });

  test("a GRS cycle with nothing received for resyncIdleMs is abandoned", async () => {
    const h = await started({ resyncIdleMs: 10_000 });
    h.peer.send("GRS       ");
    h.clock.advance(9000);
    h.peer.send("CHK1   101");
    h.clock.advance(9000);
    assert.equal(h.link.state, "resync");
    h.clock.advance(1000);
    assert.equal(h.link.state, "linked");
    assert.ok(h.logger.lines.some((l) => l.msg === "mitel: GRS cycle abandoned: no END"));
  });

  test("unclean start: RQINZ first, once; a second request joins it", async () => {
    const h = await started({ uncleanStart: true });
    assert.deepEqual(h.peer.take(), ["ENQ"]);
    let joined = false;
    assert.equal(
      h.link.sendMessage("RQINZ     ", () => (joined = true)),
      true,
    );
    h.peer.ack();
    assert.deepEqual(h.peer.take(), ["RQINZ     "]);
    h.peer.ack();
    assert.equal(joined, true);
    assert.deepEqual(h.peer.take(), []);
    // The appliance's own request right after the ACK joins it too; after a GRS a new one goes out.
    assert.equal(h.link.sendMessage("RQINZ     "), true);
    assert.deepEqual(h.peer.take(), []);
    h.peer.send("GRS       ");
    h.peer.send("END       ");
    h.peer.take();
    h.link.sendMessage("RQINZ     ");
    assert.deepEqual(h.peer.take(), ["ENQ"]);
    h.peer.ack();
    h.peer.ack();
    // A new connection does not ask again once the PMS acknowledged it.
    h.peer.hangUp();
    h.clock.advance(1000);
    await flush();
    assert.deepEqual(h.c.peer.take(), []);
  });

  test("unclean start: asked again on the next connection if the first was lost", async () => {
    const h = await started({ uncleanStart: true });
    h.peer.hangUp();
    h.clock.advance(1000);
    await flush();
    assert.deepEqual(h.c.peer.take(), ["ENQ"]);
  });
});

describe("Mitel link: connections", () => {
  test("connection lost: waiting messages given back, state down, redial with backoff", async () => {
    const h = await started();
    h.send(STS);
    h.peer.hangUp();
    assert.equal(h.verdicts[0][0], false);
    assert.match(h.verdicts[0][1] ?? "", /connection closed/);
    assert.equal(h.link.state, "down");
    assert.equal(h.link.peer.connectionsLost, 1);
    h.clock.advance(1000);
    await flush();
    assert.equal(h.c.peers.length, 2);
    assert.equal(h.link.state, "linked");
  });

  test("server: a new connection takes over only once it speaks", async () => {
    const s = new MitelServerConnector();
    const h = harness(s);
    h.link.start();
    await flush();
    const a = s.dial();
    const b = s.dial();
    assert.equal(a.closed, false);
    assert.equal(h.link.remote, a.conn.remote);
    b.hangUp();
    assert.equal(a.closed, false, "a silent stray connection changes nothing");
    const c = s.dial();
    c.send("CHK1   101");
    assert.equal(a.closed, true);
    assert.equal(h.link.remote, c.conn.remote);
    assert.equal(h.messages.length, 1);
  });

  test("stop lets a transaction on the wire finish, gives the rest back", async () => {
    const h = await started();
    h.send(STS);
    h.send(MW);
    h.peer.ack();
    const stopped = h.link.stop();
    assert.equal(h.link.canSend, false);
    assert.deepEqual(h.verdicts, [[false, "link stopped"]]);
    h.peer.ack();
    await stopped;
    assert.deepEqual(h.verdicts.at(-1), [true, undefined]);
    assert.equal(h.link.state, "down");
    assert.equal(h.peer.closed, true);
  });

  test("stop does not wait longer than endWaitMs for a silent PMS", async () => {
    const h = await started();
    h.send(STS);
    const stopped = h.link.stop();
    h.clock.advance(2000);
    await stopped;
    assert.equal(h.link.state, "down");
  });

  test("a throwing handler does not break the link", async () => {
    const c = new MitelClientConnector();
    const h = harness(c);
    h.link.o.handlers.onRecord = () => {
      throw new Error("boom");
    };
    h.link.start();
    await flush();
    c.peer.send("CHK1   101");
    c.peer.send("CHK0   101");
    assert.deepEqual(c.peer.take(), ["ACK", "ACK", "ACK", "ACK"]);
  });
});
