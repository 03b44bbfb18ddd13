/**
 * Inbound calls over TLS (RFC 5626 flows) through Kamailio (test/peers/fixtures): five ports that
 * register over TLS, where nothing of ours listens, are reached over the connection they registered
 * on. A sipp caller (UDP) calls each through Kamailio and the port answers; again after Kamailio cut
 * the connection, after an idle period longer than Kamailio keeps a silent TLS connection, and after
 * Kamailio went silent (stopped: no pong) and came back. Our timers run 30x faster (scaled clock);
 * the registrar's own view (`ul.dump`) is the proof of where the calls go.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import { parseConfig } from "../../../src/config/load.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { buildOffer, formatSdp } from "../../../src/sip/sdp/index.ts";
import { SipPorts } from "../../../src/sip/ua/ports.ts";
import { scaledClock } from "../../helpers/scaled-clock.ts";
import { eventually, freePort, sleep } from "../../integration/support.ts";
import { peerSkip } from "../../peers/available.ts";
import { type Kamailio, startKamailio } from "../../peers/kamailio.ts";
import { startSipp } from "../../peers/sipp.ts";

const skip = peerSkip("kamailio", "kamailio-tls", "sipp", "openssl");
const USERS = ["2001", "2002", "2003", "2004", "2005"];
/** Our clock runs this much faster: 120 s keep-alives and 600 s refreshes take seconds. */
const SCALE = 30;
/**
 * Kamailio closes a TLS connection silent this long (real seconds): an SBC or NAT dropping idle flows.
 * Longer than our widest keep-alive gap (90 s / SCALE = 3 s, plus a loaded machine's timer lag).
 */
const PEER_IDLE_S = 5;

const answer = new TextEncoder().encode(
  formatSdp(buildOffer({ address: "127.0.0.1", port: 40002, sessionId: 2, version: 1 })),
);

/** AoR → {address, received, instance} from Kamailio's location table. */
function bindings(k: Kamailio): Map<string, { address: string; received: string; instance: string }> {
  const out = new Map<string, { address: string; received: string; instance: string }>();
  let aor = "";
  for (const line of k.ulDump().split("\n")) {
    const t = line.trim();
    const value = t.slice(t.indexOf(":") + 1).trim();
    if (t.startsWith("AoR:")) {
      aor = value;
      out.set(aor, { address: "", received: "", instance: "" });
    }
    const b = out.get(aor);
    if (!b) continue;
    if (t.startsWith("Address:")) b.address = value;
    if (t.startsWith("Received:")) b.received = value;
    if (t.startsWith("Instance:")) b.instance = value;
  }
  return out;
}

/** The far end of the flow every port is registered on (one connection for all), as `ip:port`. */
function flowOf(k: Kamailio): string {
  const received = new Set([...bindings(k).values()].map((b) => b.received));
  assert.equal(received.size, 1, `one flow for all ports: ${[...received]}`);
  const m = [...received][0].match(/^sip:([\d.]+:\d+);transport=tls$/);
  assert.ok(m, `Kamailio knows the flow: ${[...received][0]}`);
  return m[1];
}

describe("inbound calls over TLS reach the ports on their flow (RFC 5626) through Kamailio", { skip }, () => {
  let k: Kamailio;
  let ports: SipPorts;
  const log = memoryLogger();
  const answered: string[] = [];

  before(async () => {
    k = await startKamailio({
      sipPort: await freePort(),
      tlsPort: await freePort(),
      ctlPort: await freePort(),
      defines: ["WITH_FLOW_CUT", `TCP_LIFETIME=${PEER_IDLE_S}`],
    });
    ports = new SipPorts({
      config: parseConfig({
        sip: {
          local: { port: await freePort(), transport: "tls" },
          pbx: { address: "127.0.0.1", port: k.tlsPort, expiresSeconds: 600 },
          tls: { caFile: k.caFile ?? null, serverName: "localhost" },
          ports: USERS.map((user) => ({ user, password: "secret" })),
        },
      }).sip,
      clock: scaledClock(SCALE),
      logger: log,
      // Keep-alives every 72–90 s, a pong due within 120 s: 2.4–3 s and 4 s of real time. A Kamailio
      // woken from its pause works off the REGISTERs and handshakes queued meanwhile first, which on
      // a busy machine holds a pong back for seconds (RFC 5626's 10 s are many round trips).
      flow: { keepaliveMs: 90_000, pongTimeoutMs: 120_000 },
    });
    // The IVR's part, reduced to signalling: answer, then hang up once the caller has keyed its digits.
    ports.onInvite = ({ invite, lease }) => {
      const call = invite.accept(answer);
      if (!call) return;
      answered.push(lease.user);
      setTimeout(() => void call.hangup().finally(() => lease.release()), 3500);
    };
    await ports.start();
    await eventually("5 TLS ports registered", () => ports.freePorts() === 5, 15_000);
  });

  after(async () => {
    k?.resume();
    await ports?.stop();
    await k?.stop();
  });

  /** A sipp caller for each port at once, through Kamailio over UDP; each call must be answered. */
  async function callEveryPort(): Promise<void> {
    answered.length = 0;
    const callers = await Promise.all(
      USERS.map((user) =>
        startSipp({
          scenario: "uac-call-dtmf.xml",
          user,
          remote: `127.0.0.1:${k.sipPort}`,
          max: 1,
          extra: ["-timeout", "20s"],
        }),
      ),
    );
    try {
      for (const [i, c] of callers.entries()) {
        const code = await c.exited;
        assert.equal(code, 0, `call to ${USERS[i]} went as scripted:\n${c.messages().slice(-2500)}\n${c.errors()}`);
      }
      assert.deepEqual([...answered].sort(), USERS, "every port answered its call");
      await eventually("ports free again", () => ports.freePorts() === 5, 10_000);
    } finally {
      for (const c of callers) await c.stop();
    }
  }

  test("the REGISTER names an instance and reg-id; the registrar keeps the flow and routes calls there", {
    timeout: 40_000,
  }, async () => {
    const table = bindings(k);
    const instances = new Set<string>();
    for (const u of USERS) {
      const b = table.get(u);
      assert.ok(b, `${u} registered`);
      assert.match(b.address, new RegExp(`^sip:${u}@127\\.0\\.0\\.1:${ports.endpoint.port};transport=tls;ob$`));
      assert.match(b.instance, /^<urn:uuid:[0-9a-f-]{36}>$/);
      instances.add(b.instance);
    }
    assert.equal(instances.size, 5, "an instance id per port");
    flowOf(k);
    for (const s of ports.status()) {
      assert.equal(s.flow?.outbound, true, "Kamailio answered Require: outbound");
      assert.equal(s.flow?.keepaliveSeconds, 90);
    }
    await callEveryPort();
    assert.doesNotMatch(
      k.log(),
      /error on sending to next hop|tcpconn_1st_send/,
      "no 477: nothing went to the Contact",
    );
    assert.match(k.log(), /RELAY INVITE to sip:2005@127\.0\.0\.1:\d+;transport=tls;ob/);
  });

  test("an idle period longer than Kamailio keeps a silent TLS connection: the keep-alives hold the flow", {
    timeout: 60_000,
  }, async () => {
    const before = flowOf(k);
    const pongs = ports.endpoint.transport.stats().pongsReceived;
    // A control connection that says nothing: Kamailio drops it, as it would drop our flow without pings.
    const silent = tls.connect({ host: "127.0.0.1", port: k.tlsPort, rejectUnauthorized: false });
    silent.on("error", () => {});
    const dropped = new Promise<number>((r) => silent.once("close", () => r(Date.now())));
    const t0 = Date.now();
    const droppedAt = await Promise.race([dropped, sleep(25_000).then(() => 0)]);
    assert.ok(droppedAt > 0, "Kamailio closes a silent TLS connection");
    await sleep(2000);
    assert.ok(Date.now() - t0 > PEER_IDLE_S * 1000);
    assert.equal(flowOf(k), before, "the same flow, never re-registered");
    assert.ok(
      ports.status().every((s) => s.state === "registered" && s.flowsLost === 0),
      `no flow lost: ${JSON.stringify(log.lines.filter((l) => l.msg === "SIP flow lost"))}`,
    );
    const t = ports.endpoint.transport.stats();
    assert.ok(t.pongsReceived > pongs, `CRLF pongs came back (${t.pongsReceived - pongs})`);
    assert.ok(ports.status()[0].flow?.lastPong, "the API shows the last pong");
    await callEveryPort();
  });

  test("Kamailio cuts the flow: the ports register again at once on a new connection; calls arrive", {
    timeout: 40_000,
  }, async () => {
    const old = flowOf(k);
    await k.cutFlow(old);
    await k.waitForLog(`FLOW CUT ${old}`);
    await eventually(
      "registered again",
      () => ports.status().every((s) => s.flowsLost === 1 && s.state === "registered"),
      20_000,
    );
    assert.notEqual(flowOf(k), old, "Kamailio routes to the new connection");
    const lost = log.lines.filter((l) => l.msg === "SIP port flow lost, registering again");
    assert.deepEqual(lost.map((l) => l.user).sort(), USERS);
    assert.match(String(lost[0].reason), /connection closed/);
    await callEveryPort();
  });

  test("Kamailio goes silent (no pong): the ports show not registered until it answers again; calls arrive after", {
    timeout: 90_000,
  }, async () => {
    const old = flowOf(k);
    k.pause();
    try {
      // The next ping (≤ 3 s) and its missing pong (4 s).
      await eventually("flow declared dead", () => ports.status().every((s) => s.state !== "registered"), 20_000);
      assert.equal(ports.freePorts(), 0, "no wake-up call is placed on a port nobody can reach");
      for (const s of ports.status()) {
        assert.equal(s.flow, null);
        assert.equal(s.registeredUntil, null);
        assert.match(s.lastError ?? "", /flow lost: no CRLF pong|transport error/);
      }
      await sleep(1000);
      assert.ok(
        ports.status().every((s) => s.state !== "registered"),
        "still not registered while Kamailio is silent",
      );
    } finally {
      k.resume();
    }
    await eventually("registered again", () => ports.freePorts() === 5, 30_000);
    assert.notEqual(flowOf(k), old);
    assert.ok(
      ports.status().every((s) => s.flowsLost === 2),
      `each flow lost once more: ${JSON.stringify(ports.status().map((s) => [s.user, s.flowsLost, s.lastError]))}\n${JSON.stringify(log.lines.filter((l) => /flow|regist/i.test(String(l.msg))).slice(-30))}`,
    );
    await callEveryPort();
  });
});

describe("the registrar's Flow-Timer sets the keep-alive pace", { skip }, () => {
  test("Flow-Timer: 5 in the 200 → a ping at least every 5 s (4–5 s), answered", { timeout: 30_000 }, async () => {
    const k = await startKamailio({
      sipPort: await freePort(),
      tlsPort: await freePort(),
      ctlPort: await freePort(),
      defines: ["FLOW_TIMER=5"],
    });
    const ports = new SipPorts({
      config: parseConfig({
        sip: {
          local: { port: await freePort(), transport: "tls" },
          pbx: { address: "127.0.0.1", port: k.tlsPort, expiresSeconds: 600 },
          tls: { caFile: k.caFile ?? null, serverName: "localhost" },
          ports: [{ user: "2006", password: "secret" }],
        },
      }).sip,
      clock: scaledClock(1),
      logger: memoryLogger(),
    });
    try {
      await ports.start();
      await eventually("registered", () => ports.freePorts() === 1, 15_000);
      assert.equal(ports.status()[0].flow?.keepaliveSeconds, 5);
      const stats = () => ports.endpoint.transport.stats();
      await eventually("a ping within the Flow-Timer", () => stats().keepalivesSent >= 1, 5500);
      await eventually("every ping answered", () => stats().pongsReceived === stats().keepalivesSent, 5000).catch(
        (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(stats())}`),
      );
    } finally {
      await ports.stop();
      await k.stop();
    }
  });
});
