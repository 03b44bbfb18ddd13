/**
 * The RFC 5626 §4.4.1 CRLF keep-alive of a flow on a FakeClock: pings every 80–100 % of the
 * interval, the pong within 10 s, a flow declared dead once (missing pong, failed ping, closed
 * connection); and the flows of the ports (one keep-alive per connection, however many ports share
 * it; every port told when it dies; the dead connection closed).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import type { CloseHandler, PongHandler } from "../../../src/sip/transport/types.ts";
import { FlowKeeper, type FlowTransport } from "../../../src/sip/ua/flows.ts";
import { KeepAlive, type KeepAliveOptions } from "../../../src/sip/ua/keepalive.ts";
import { flowTimer, instanceId, registrarUsesOutbound } from "../../../src/sip/ua/outbound.ts";

/** Lets the rejection of a ping reach its handler. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function keepalive(o: Partial<KeepAliveOptions> = {}) {
  const clock = new FakeClock();
  const pings: number[] = [];
  const deaths: string[] = [];
  const ka = new KeepAlive({
    clock,
    intervalMs: 100_000,
    random: () => 1,
    strict: true,
    ping: async () => {
      pings.push(clock.now());
    },
    onDead: (reason) => deaths.push(reason),
    ...o,
  });
  return { clock, ka, pings, deaths };
}

describe("CRLF keep-alive (RFC 5626 §4.4.1)", () => {
  test("pings at the interval while pongs come back; lastPong follows them", () => {
    const { clock, ka, pings, deaths } = keepalive();
    const t0 = clock.now();
    ka.start();
    assert.equal(ka.state, "waiting");
    clock.advance(99_999);
    assert.equal(pings.length, 0);
    clock.advance(1);
    assert.deepEqual(pings, [t0 + 100_000]);
    assert.equal(ka.state, "awaiting-pong");
    clock.advance(300);
    ka.pong();
    assert.equal(ka.lastPong, t0 + 100_300);
    assert.equal(ka.state, "waiting");
    clock.advance(100_000);
    assert.equal(pings.length, 2, "the next wait starts at the pong");
    ka.pong();
    assert.equal(ka.pongs, 2);
    assert.equal(deaths.length, 0);
  });

  test("a peer that always answers keeps the flow up for good", () => {
    const clock = new FakeClock();
    const deaths: string[] = [];
    const ka: KeepAlive = new KeepAlive({
      clock,
      intervalMs: 120_000,
      ping: async () => {
        clock.setTimeout(() => ka.pong(), 40);
      },
      onDead: (r) => deaths.push(r),
    });
    ka.start();
    clock.advance(24 * 3600_000);
    assert.deepEqual(deaths, []);
    assert.ok(ka.pings >= 720 && ka.pings <= 900, `a day at 96–120 s: ${ka.pings} pings`);
    assert.equal(ka.pongs, ka.pings);
  });

  test("each wait is 80–100 % of the interval (random spread)", () => {
    const { clock, ka, pings } = keepalive({ random: () => 0 });
    const t0 = clock.now();
    ka.start();
    clock.advance(80_000);
    assert.deepEqual(pings, [t0 + 80_000]);
  });

  test("a pong missing for 10 s kills the flow, once; nothing is sent after", () => {
    const { clock, ka, pings, deaths } = keepalive();
    ka.start();
    clock.advance(100_000);
    clock.advance(9_999);
    assert.deepEqual(deaths, []);
    clock.advance(1);
    assert.deepEqual(deaths, ["no CRLF pong within 10 s"]);
    assert.equal(ka.state, "dead");
    ka.pong();
    ka.closed("later");
    clock.advance(1_000_000);
    assert.equal(pings.length, 1);
    assert.equal(deaths.length, 1);
  });

  test("a pong timeout of its own; a late pong does not revive the flow", () => {
    const { clock, ka, deaths } = keepalive({ pongTimeoutMs: 2_000 });
    ka.start();
    clock.advance(102_000);
    assert.deepEqual(deaths, ["no CRLF pong within 2 s"]);
    ka.pong();
    assert.equal(ka.state, "dead");
  });

  test("a ping that cannot be sent, or the connection closing, kills the flow", async () => {
    const failing = keepalive({ ping: () => Promise.reject(new Error("connection tls-1 is closed")) });
    failing.ka.start();
    failing.clock.advance(100_000);
    await settle();
    assert.deepEqual(failing.deaths, ["keep-alive not sent: connection tls-1 is closed"]);

    const closing = keepalive();
    closing.ka.start();
    closing.clock.advance(50_000);
    closing.ka.closed("closed by peer");
    assert.deepEqual(closing.deaths, ["closed by peer"]);
    closing.clock.advance(1_000_000);
    assert.equal(closing.pings.length, 0);
  });

  test("an unsolicited pong changes nothing; stop ends it without a death", () => {
    const { clock, ka, pings, deaths } = keepalive();
    ka.start();
    clock.advance(50_000);
    ka.pong();
    assert.equal(ka.lastPong, null);
    clock.advance(50_000);
    assert.equal(pings.length, 1, "the schedule was not moved by the stray pong");
    ka.stop();
    clock.advance(1_000_000);
    assert.equal(ka.state, "stopped");
    assert.deepEqual(deaths, []);
  });

  test("a peer not known to answer pings: no pong is no death; once it has answered one, it is", () => {
    const { clock, ka, pings, deaths } = keepalive({ strict: false });
    ka.start();
    clock.advance(100_000 + 10_000);
    assert.deepEqual(deaths, [], "a registrar without outbound may ignore CRLF pings");
    assert.equal(ka.state, "waiting");
    clock.advance(100_000);
    assert.equal(pings.length, 2, "the pings go on (NATs and idle timers)");
    ka.pong();
    assert.equal(ka.strict, true, "it answered: from now on a missing pong counts");
    clock.advance(110_000);
    assert.deepEqual(deaths, ["no CRLF pong within 10 s"]);
  });

  test("requirePongs (the registrar said Require: outbound) makes the first missing pong count", () => {
    const { clock, ka, deaths } = keepalive({ strict: false });
    ka.requirePongs();
    ka.start();
    clock.advance(110_000);
    assert.deepEqual(deaths, ["no CRLF pong within 10 s"]);
  });

  test("a shorter interval (a new Flow-Timer) moves the next ping earlier, never later", () => {
    const { clock, ka, pings } = keepalive();
    const t0 = clock.now();
    ka.start();
    clock.advance(10_000);
    ka.setInterval(30_000);
    clock.advance(30_000);
    assert.deepEqual(pings, [t0 + 40_000]);
    ka.pong();
    ka.setInterval(200_000);
    clock.advance(30_000);
    assert.equal(pings.length, 2, "a longer interval does not postpone the ping already due");
    ka.pong();
    clock.advance(199_999);
    assert.equal(pings.length, 2);
    clock.advance(1);
    assert.equal(pings.length, 3, "then the longer interval applies");
  });
});

class FakeTransport implements FlowTransport {
  open = new Set<string>();
  pinged: string[] = [];
  closedByUs: string[] = [];
  private pongs = new Set<PongHandler>();
  private closes = new Set<CloseHandler>();
  onPong(h: PongHandler) {
    this.pongs.add(h);
    return () => this.pongs.delete(h);
  }
  onConnectionClose(h: CloseHandler) {
    this.closes.add(h);
    return () => this.closes.delete(h);
  }
  async ping(id: string) {
    if (!this.open.has(id)) throw new Error(`connection ${id} is not open`);
    this.pinged.push(id);
  }
  isOpen(id: string) {
    return this.open.has(id);
  }
  closeConnection(id: string) {
    if (!this.open.has(id)) return false;
    this.closedByUs.push(id);
    this.close(id, "closed locally");
    return true;
  }
  pong(id: string) {
    for (const h of this.pongs) h(id);
  }
  close(id: string, reason: string) {
    this.open.delete(id);
    for (const h of this.closes)
      h({ connectionId: id, remote: { transport: "tls", address: "127.0.0.1", port: 5061 }, reason });
  }
}

describe("the ports' flows", () => {
  function keeper() {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    transport.open.add("tls-1");
    const flows = new FlowKeeper(transport, clock, silentLogger, { keepaliveMs: 60_000, random: () => 1 });
    const deaths: string[] = [];
    const ports = ["2001", "2002", "2003", "2004", "2005"].map((user) => ({ user }));
    const outbound = { outbound: true };
    for (const p of ports) assert.ok(flows.watch("tls-1", p, outbound, (r) => deaths.push(`${p.user}: ${r}`)));
    return { clock, transport, flows, deaths, ports };
  }

  test("five ports on one connection: one ping per interval, not five", () => {
    const { clock, transport, flows } = keeper();
    assert.equal(flows.size, 1);
    clock.advance(60_000);
    assert.deepEqual(transport.pinged, ["tls-1"]);
    transport.pong("tls-1");
    assert.equal(flows.info("tls-1")?.lastPong, clock.now());
    clock.advance(60_000);
    assert.deepEqual(transport.pinged, ["tls-1", "tls-1"]);
  });

  test("no pong: the connection is closed and every port hears once", () => {
    const { clock, transport, flows, deaths } = keeper();
    clock.advance(70_000);
    assert.deepEqual(transport.closedByUs, ["tls-1"]);
    assert.equal(deaths.length, 5);
    assert.ok(deaths.every((d) => d.endsWith("no CRLF pong within 10 s")));
    assert.equal(flows.size, 0);
  });

  test("closed by the peer: every port hears, with the reason", () => {
    const { transport, deaths } = keeper();
    transport.close("tls-1", "closed by peer");
    assert.deepEqual(
      deaths,
      ["2001", "2002", "2003", "2004", "2005"].map((u) => `${u}: connection closed: closed by peer`),
    );
    assert.deepEqual(transport.closedByUs, []);
  });

  test("the smallest Flow-Timer of the ports sets the pace; the last port leaving stops the pings", () => {
    const { clock, transport, flows, ports } = keeper();
    flows.watch("tls-1", ports[0], { flowTimerSeconds: 20, outbound: true }, () => {});
    assert.equal(flows.info("tls-1")?.keepaliveMs, 20_000);
    clock.advance(20_000);
    assert.equal(transport.pinged.length, 1);
    transport.pong("tls-1");
    for (const p of ports) flows.unwatch("tls-1", p);
    assert.equal(flows.size, 0);
    clock.advance(1_000_000);
    assert.equal(transport.pinged.length, 1);
  });

  test("a registrar without outbound: pings without pongs kill nothing; a closed connection still does", () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    transport.open.add("tls-2");
    const flows = new FlowKeeper(transport, clock, silentLogger, { keepaliveMs: 60_000, random: () => 1 });
    const deaths: string[] = [];
    flows.watch("tls-2", {}, { outbound: false }, (r) => deaths.push(r));
    assert.equal(flows.info("tls-2")?.pongsRequired, false);
    clock.advance(10 * 60_000);
    assert.ok(transport.pinged.length >= 8);
    assert.deepEqual(deaths, []);
    transport.close("tls-2", "closed by peer");
    assert.deepEqual(deaths, ["connection closed: closed by peer"]);
  });

  test("a connection already closed cannot be watched", () => {
    const { flows } = keeper();
    assert.equal(
      flows.watch("tls-9", {}, { outbound: true }, () => {}),
      false,
    );
  });
});

describe("RFC 5626 values", () => {
  test("the instance id is a stable v5 UUID of the AoR, different per port", () => {
    const a = instanceId("sip:2001@hotel.test");
    assert.match(a, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(instanceId("sip:2001@hotel.test"), a);
    assert.notEqual(instanceId("sip:2002@hotel.test"), a);
    // RFC 4122 v5 in the URL namespace, as Python's uuid.uuid5(uuid.NAMESPACE_URL, "sip:2001@hotel.test").
    assert.equal(a, "urn:uuid:1389446f-39c3-5c22-8a0d-375bcce73a0a");
  });

  test("Require: outbound and Flow-Timer", () => {
    assert.equal(registrarUsesOutbound(["outbound"]), true);
    assert.equal(registrarUsesOutbound(["timer, Outbound"]), true);
    assert.equal(registrarUsesOutbound(["timer"]), false);
    assert.equal(registrarUsesOutbound([]), false);
    assert.equal(flowTimer(" 25 "), 25);
    assert.equal(flowTimer("0"), undefined);
    assert.equal(flowTimer("x"), undefined);
    assert.equal(flowTimer(undefined), undefined);
  });
});
