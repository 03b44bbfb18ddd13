/**
 * Issue 10, the SIP findings, written as the attacks: the appliance's SIP ports (SipPorts) on
 * loopback UDP/TCP, a scripted registrar as the PBX at 127.0.0.1 (trusted), phones at 127.0.0.2–19
 * (the phone network: allowed, not trusted) and an outsider at 127.0.0.30 (not allowed). Each test
 * asserts the refusal, the counter, the log budget, and that the legitimate peer keeps working.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { afterEach, describe, test } from "node:test";
import { parseConfig } from "../../../src/config/load.ts";
import { systemClock } from "../../../src/lib/clock.ts";
import { createLogger, type Level } from "../../../src/lib/logger.ts";
import { buildErrorResponse } from "../../../src/sip/message/index.ts";
import type { MessageSummary } from "../../../src/sip/ua/mwi-body.ts";
import { SipPorts, type SipPortsOptions } from "../../../src/sip/ua/ports.ts";
import { fakeRegistrar, garbage, UdpPeer, uniqueRequest } from "../../helpers/sip-peer.ts";
import { eventually, freePort, sleep } from "../../integration/support.ts";

const PBX = "127.0.0.1";
const phoneAddress = (n: number) => `127.0.0.${n}`;
const OUTSIDER = "127.0.0.30";
const isPhoneNetwork = (a: string) => {
  const m = /^127\.0\.0\.(\d+)$/.exec(a);
  return m !== null && Number(m[1]) >= 2 && Number(m[1]) <= 19;
};

interface LogLine {
  level: Level;
  msg: string;
  bytes: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Mailbox 21nn belongs to the room whose phone is 127.0.0.nn. */
const summary = (user: string): MessageSummary => ({
  waiting: false,
  account: `sip:${user}@hotel.test`,
  newMessages: 0,
  oldMessages: 0,
});

async function startPorts(limits: Record<string, number> = {}, transport: "udp" | "tcp" = "udp") {
  const registrar = await fakeRegistrar(PBX);
  cleanups.push(() => registrar.close());
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: "info",
    sink: (line, level) => lines.push({ level, msg: JSON.parse(line).msg, bytes: line.length + 1 }),
  });
  const config = parseConfig({
    sip: {
      bind: "127.0.0.1",
      local: { port: await freePort(), transport },
      pbx: { address: PBX, port: registrar.port, expiresSeconds: 600 },
      // Over TCP the scripted registrar (UDP) cannot answer: no port registers there.
      ports: transport === "udp" ? [{ user: "2001", password: "x" }] : [],
      limits,
    },
  }).sip;
  const options: SipPortsOptions = {
    config,
    clock: systemClock,
    logger,
    allowAlso: isPhoneNetwork,
    summaryFor: async (user: string) => (/^21\d\d$/.test(user) ? summary(user) : undefined),
    // The room's known phone (issue 10 §1: a mailbox is watched only from its phone or the PBX).
    mailboxPhoneOf: async (user: string) =>
      /^21\d\d$/.test(user) ? `${phoneAddress(Number(user.slice(2)))}:5060` : null,
  };
  const ports = new SipPorts(options);
  await ports.start();
  cleanups.push(() => ports.stop());
  if (transport === "udp") {
    await eventually("port 2001 registered", () => ports.status()[0]?.state === "registered", 5000);
  }
  return { ports, registrar, lines, port: ports.endpoint.port };
}

async function peer(address: string): Promise<UdpPeer> {
  const p = await UdpPeer.open(address);
  // Answer our NOTIFYs, as a phone does, until the ports have stopped (their final NOTIFYs too).
  p.onRequest = (req) => buildErrorResponse(req, 200, "OK");
  cleanups.unshift(() => p.close());
  return p;
}

function subscribe(p: UdpPeer, user: string): string {
  return uniqueRequest(
    "SUBSCRIBE",
    { address: p.address, port: p.port },
    {
      user,
      headers: ["Event: message-summary", "Expires: 600", "Accept: application/simple-message-summary"],
    },
  );
}

const callIdOf = (raw: string) => /Call-ID: (\S+)/.exec(raw)?.[1] ?? "";

async function finalOf(p: UdpPeer, callId: string, timeoutMs = 2000) {
  await eventually(`a final answer to ${callId}`, () => p.responses(callId).some((r) => r.status >= 200), timeoutMs);
  const r = p.responses(callId).find((x) => x.status >= 200);
  assert.ok(r);
  return r;
}

describe("SIP under attack (issue 10)", () => {
  test("a bare CR in a header value: 400 or dropped, counted, never an exception; REGISTER and OPTIONS still work", async () => {
    const { ports, registrar, lines, port } = await startPorts();
    const phone = await peer(phoneAddress(2));
    const from = { address: phone.address, port: phone.port };
    const inSubject = uniqueRequest("OPTIONS", from, { headers: ["Subject: wake\rup"] });
    phone.send(port, inSubject);
    const r400 = await finalOf(phone, callIdOf(inSubject));
    assert.equal(r400.status, 400);
    assert.equal(r400.reason, "bare CR in a header field");
    // In the Via (or any header a response copies) there is no safe answer: dropped.
    for (let i = 0; i < 50; i++) {
      const raw = uniqueRequest("OPTIONS", from);
      phone.send(port, raw.replace(";rport", "\r;rport"));
      phone.send(port, raw.replace(/^(To: .*)$/m, "$1\r"));
    }
    const bareLf = uniqueRequest("OPTIONS", from, {
      headers: ["Subject: a\nVia: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKx"],
    });
    phone.send(port, bareLf);
    assert.equal((await finalOf(phone, callIdOf(bareLf))).status, 400);
    const legit = uniqueRequest("OPTIONS", from);
    phone.send(port, legit);
    assert.equal((await finalOf(phone, callIdOf(legit))).status, 200);
    await eventually("all counted", () => ports.limits().malformed.received === 102);
    assert.deepEqual(ports.limits().malformed, { received: 102, answered400: 2, dropped: 100 });
    assert.equal(ports.traffic().droppedMalformed, 100);
    // The port registered, and registers again (a refresh) while this goes on.
    const before = registrar.registers;
    await ports.stop();
    assert.ok(registrar.registers > before, "unregistered at stop: the port's transactions still work");
    assert.deepEqual(
      lines.filter((l) => l.level === "error"),
      [],
      "no error-level line",
    );
    assert.equal(lines.filter((l) => l.msg === "malformed SIP message").length, 1, "the rest only counted");
  });

  test("SUBSCRIBE flood from one host: capped per source (503 + Retry-After, counted); another host still subscribes", async () => {
    const { ports, lines, port } = await startPorts({ subscriptionsPerSource: 8, subscriptionsTotal: 12 });
    const attacker = await peer(phoneAddress(2));
    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      const raw = subscribe(attacker, "2102");
      sent.push(callIdOf(raw));
      attacker.send(port, raw);
    }
    const answers = await Promise.all(sent.map((id) => finalOf(attacker, id, 5000)));
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 503);
    assert.equal(ok.length, 8);
    assert.equal(refused.length, 52);
    assert.equal(refused[0].headers.get("Retry-After"), "60");
    let s = ports.limits().subscriptions;
    assert.deepEqual([s.live, s.refusedPerSource, s.refusedTotal], [8, 52, 0]);
    // Another room's phone is not affected.
    const neighbour = await peer(phoneAddress(3));
    const mine = subscribe(neighbour, "2103");
    neighbour.send(port, mine);
    assert.equal((await finalOf(neighbour, callIdOf(mine))).status, 200);
    // The total cap (12) holds for every host.
    const third = await peer(phoneAddress(4));
    const results: number[] = [];
    for (let i = 0; i < 5; i++) {
      const raw = subscribe(third, "2104");
      third.send(port, raw);
      results.push((await finalOf(third, callIdOf(raw))).status);
    }
    assert.deepEqual(results, [200, 200, 200, 503, 503]);
    s = ports.limits().subscriptions;
    assert.deepEqual([s.live, s.refusedTotal], [12, 2]);
    assert.equal(lines.filter((l) => l.msg.startsWith("SIP: too many subscriptions")).length, 1);
    assert.equal(lines.filter((l) => l.level === "error").length, 0);
  });

  test("a request flood from the phone network: live transactions never above the cap, RSS bounded, the PBX answered", async () => {
    const cap = 512;
    const { ports, lines, port } = await startPorts({ serverTransactions: cap, serverTransactionsPerSource: 64 });
    const flooders = await Promise.all([2, 3, 4, 5, 6, 7, 8, 9].map((n) => peer(phoneAddress(n))));
    const outsider = await peer(OUTSIDER);
    for (const f of flooders) f.keep = 0;
    const pbx = await peer(PBX);
    // A full collection, and the freed pages given back (as the appliance does after a burst:
    // runtime/memory-trim.ts). Without the second step RSS is the high-water mark, which in a long
    // test process (a large heap from earlier files, so rarer collections) rose to +145 MB.
    const gc = () => {
      const bun = (globalThis as { Bun?: { gc(force: boolean): void; shrink?(): void } }).Bun;
      bun?.gc(true);
      bun?.shrink?.();
    };
    gc();
    const { rss: rss0, heapUsed: heap0 } = process.memoryUsage();
    let maxLive = 0;
    const TOTAL = 20_000;
    const methods = ["INVITE", "SUBSCRIBE", "OPTIONS", "BYE", "garbage"];
    for (let i = 0; i < TOTAL; i++) {
      // Two of every five rounds come from one heavy flooder, some from the outsider, the rest from
      // the other phones in turn; each round is one of each method.
      const k = Math.floor(i / methods.length);
      const src = k % 5 < 2 ? flooders[0] : k % 17 === 0 ? outsider : flooders[1 + (k % 7)];
      const from = { address: src.address, port: src.port };
      const method = methods[i % methods.length];
      if (method === "garbage") src.send(port, garbage(i));
      else
        src.send(
          port,
          uniqueRequest(method, from, {
            user: method === "SUBSCRIBE" ? "2999" : "2001",
            toTag: method === "BYE" ? "gone" : undefined,
            headers: method === "SUBSCRIBE" ? ["Event: message-summary"] : [],
          }),
        );
      if (i % 250 === 249) {
        // Let the endpoint read (loopback drops what overflows the socket buffer, as a NIC would).
        await sleep(2);
        maxLive = Math.max(maxLive, ports.limits().serverTransactions.live);
      }
      if (i === TOTAL / 2) {
        // A call from the PBX in the middle of it: answered (480: no IVR here), never 503.
        const invite = uniqueRequest("INVITE", { address: pbx.address, port: pbx.port });
        pbx.send(port, invite);
        assert.equal((await finalOf(pbx, callIdOf(invite))).status, 480);
      }
    }
    await sleep(200);
    const s = ports.limits().serverTransactions;
    maxLive = Math.max(maxLive, s.live);
    gc();
    const growthMb = (process.memoryUsage().rss - rss0) / 1e6;
    // What is still held after a full collection: the live transactions and nothing else.
    const heldMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
    assert.ok(maxLive <= cap, `live ${maxLive} > cap ${cap}`);
    assert.ok(s.refusedPerSource > 0, "the heavy flooder hit its per-source cap");
    assert.ok(s.refusedTotal > 0, "the phone network as a whole hit the cap less the PBX's reserve");
    assert.ok(s.stateless > 0, "OPTIONS and unknown-dialog BYEs were answered without a transaction");
    assert.ok(ports.traffic().droppedNotAllowed > 0, "the outsider was dropped before parsing");
    // Uncapped, the same flood holds ~5,500 transactions: +40 MB heap after a collection (+75 MB RSS
    // in a process of its own). The heap is the measure here: in the suite's long-lived process RSS
    // also moves with the allocator's pages from earlier files (+57 MB seen on a quiet machine for a
    // flood that held +4 MB); bench (j) measures RSS in a process of its own (≤ 30 MB). The RSS bound
    // only catches a runaway.
    assert.ok(heldMb < 15, `${heldMb.toFixed(1)} MB still held after a collection`);
    assert.ok(growthMb < 150, `RSS grew ${growthMb.toFixed(1)} MB`);
    // The log stayed within its budget: a line or two per kind of event, whatever the rate.
    const logBytes = lines.reduce((n, l) => n + l.bytes, 0);
    assert.ok(lines.length < 30 && logBytes < 10_000, `${lines.length} lines, ${logBytes} bytes logged`);
    assert.equal(lines.filter((l) => l.level === "error").length, 0);
    console.log(
      `flood: ${TOTAL} requests, max live ${maxLive}/${cap}, refused ${s.refusedTotal}+${s.refusedPerSource}, ` +
        `stateless ${s.stateless}, RSS +${growthMb.toFixed(1)} MB, heap held +${heldMb.toFixed(1)} MB, ${lines.length} log lines`,
    );
  });

  test("TCP connections per source: beyond the cap closed at once and counted; other hosts and the PBX connect", async () => {
    const { ports, port } = await startPorts({ connectionsPerSource: 4 }, "tcp");
    const open = (localAddress: string) =>
      new Promise<{ socket: net.Socket; closed: Promise<void> }>((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port, localAddress });
        socket.on("error", () => {});
        const closed = new Promise<void>((r) => socket.once("close", () => r()));
        socket.once("connect", () => resolve({ socket, closed }));
        socket.once("error", reject);
      });
    const attacker = await Promise.all(Array.from({ length: 10 }, () => open(phoneAddress(2))));
    cleanups.push(() => {
      for (const c of attacker) c.socket.destroy();
    });
    const closedAtOnce = await Promise.all(
      attacker.map((c) => Promise.race([c.closed.then(() => true), sleep(500).then(() => false)])),
    );
    assert.equal(closedAtOnce.filter(Boolean).length, 6);
    assert.equal(ports.limits().connections.refusedPerSource, 6);
    // Another phone gets its OPTIONS answered on its connection.
    const other = await open(phoneAddress(3));
    cleanups.push(() => {
      other.socket.destroy();
    });
    const reply = new Promise<string>((resolve) => other.socket.once("data", (b) => resolve(b.toString())));
    other.socket.write(
      uniqueRequest("OPTIONS", { address: phoneAddress(3), port: other.socket.localPort ?? 0 }).replace(
        "SIP/2.0/UDP",
        "SIP/2.0/TCP",
      ),
    );
    assert.match(await reply, /^SIP\/2\.0 200 OK/);
    // The PBX is exempt.
    const pbx = await Promise.all(Array.from({ length: 6 }, () => open(PBX)));
    cleanups.push(() => {
      for (const c of pbx) c.socket.destroy();
    });
    await sleep(200);
    assert.equal(pbx.filter((c) => c.socket.destroyed).length, 0);
    assert.equal(ports.limits().connections.refusedPerSource, 6);
  });
});
