import assert from "node:assert/strict";
import net from "node:net";
import { afterEach, describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { SipStreamFramer } from "../../../src/sip/message/stream.ts";
import type { ConnectionClosed } from "../../../src/sip/transport/types.ts";
import { sipMessage, text } from "../../helpers/sip-test-framer.ts";
import { closeAll, makeLayer, sleep, type TestLayer, waitFor } from "../../helpers/sip-transport.ts";

const opened: TestLayer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeAll(opened);
});

/** A bare TCP client that records what it receives and whether it was closed. */
class RawClient {
  received = "";
  closed = false;
  constructor(readonly socket: net.Socket) {
    sockets.push(socket);
    socket.on("data", (d: Uint8Array) => {
      this.received += text(d);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }
}

async function tcpServer(opts: Parameters<typeof makeLayer>[0] = {}) {
  const t = makeLayer(opts, opened);
  const port = await t.layer.listen({ kind: "tcp", bind: "127.0.0.1", port: 0 });
  return { ...t, port, to: { transport: "tcp", address: "127.0.0.1", port } as const };
}

describe("sip transport: tcp", () => {
  test("sends to one remote share one connection, concurrent sends included", async () => {
    const b = await tcpServer();
    const a = makeLayer({}, opened);
    await a.layer.listen({ kind: "tcp", bind: "127.0.0.1", port: 0 });
    await Promise.all([
      a.layer.send(b.to, sipMessage("OPTIONS sip:1 SIP/2.0")),
      a.layer.send(b.to, sipMessage("OPTIONS sip:2 SIP/2.0")),
    ]);
    await a.layer.send(b.to, sipMessage("OPTIONS sip:3 SIP/2.0"));
    await waitFor("three messages", () => b.inbox.length === 3);
    assert.deepEqual(
      b.inbox.map((m) => text(m.bytes).split("\r\n")[0]),
      ["OPTIONS sip:1 SIP/2.0", "OPTIONS sip:2 SIP/2.0", "OPTIONS sip:3 SIP/2.0"],
    );
    assert.equal(new Set(b.inbox.map((m) => m.connectionId)).size, 1);
    assert.equal(a.layer.stats().connections.opened, 1);
    assert.equal(a.layer.stats().streamMessagesOut, 3);
    assert.equal(b.layer.stats().connections.accepted, 1);
    assert.equal(b.layer.stats().connections.open, 1);
    assert.equal(b.inbox[0]?.remote.transport, "tcp");
    assert.equal(b.inbox[0]?.local.port, b.port);
  });

  test("a response goes back over the connection the request came on (RFC 3261 §18.2.2)", async () => {
    const b = await tcpServer();
    const a = makeLayer({}, opened);
    await a.layer.send(b.to, sipMessage("INVITE sip:b SIP/2.0"));
    await waitFor("request", () => b.inbox.length === 1);
    const req = b.inbox[0];
    assert.ok(req?.connectionId);
    assert.notEqual(req.remote.port, b.port);
    await b.layer.send(req.remote, sipMessage("SIP/2.0 100 Trying"), { connectionId: req.connectionId });
    await b.layer.send(req.remote, sipMessage("SIP/2.0 200 OK")); // by remote address:port alone
    await waitFor("responses", () => a.inbox.length === 2);
    assert.equal(b.layer.stats().connections.opened, 0, "no new connection from the server side");
    assert.equal(a.layer.stats().connections.opened, 1);
    assert.deepEqual(a.inbox[0]?.remote, b.to);
    assert.equal(a.inbox[0]?.connectionId, a.inbox[1]?.connectionId);
    assert.match(text(a.inbox[1]?.bytes ?? new Uint8Array()), /^SIP\/2\.0 200 OK/);
  });

  test("split and coalesced messages are framed, bytes intact", async () => {
    const b = await tcpServer();
    const c = await RawClient.connect(b.port);
    const m1 = sipMessage("MESSAGE sip:1 SIP/2.0", "hello\r\n\r\nworld");
    const m2 = sipMessage("MESSAGE sip:2 SIP/2.0", "two");
    const m3 = sipMessage("MESSAGE sip:3 SIP/2.0");
    const m4 = sipMessage("MESSAGE sip:4 SIP/2.0", "four");
    // m1 in three pieces, split inside the header end and the body.
    c.write(m1.subarray(0, 10));
    await sleep(5);
    c.write(m1.subarray(10, m1.length - 14));
    await sleep(5);
    c.write(m1.subarray(m1.length - 14));
    // m2, m3 and half of m4 in one write, then the rest.
    const joined = new Uint8Array(m2.length + m3.length + 20);
    joined.set(m2);
    joined.set(m3, m2.length);
    joined.set(m4.subarray(0, 20), m2.length + m3.length);
    c.write(joined);
    await sleep(5);
    c.write(m4.subarray(20));
    await waitFor("four messages", () => b.inbox.length === 4);
    assert.deepEqual(
      b.inbox.map((m) => text(m.bytes)),
      [m1, m2, m3, m4].map(text),
    );
  });

  test("a CRLFCRLF keep-alive is answered with CRLF (RFC 5626)", async () => {
    const b = await tcpServer();
    const c = await RawClient.connect(b.port);
    c.write("\r\n\r\n");
    await waitFor("pong", () => c.received === "\r\n");
    c.write(sipMessage("OPTIONS sip:b SIP/2.0"));
    c.write("\r\n\r\n");
    await waitFor("message and second pong", () => b.inbox.length === 1 && c.received === "\r\n\r\n");
    assert.equal(b.layer.stats().keepalivesAnswered, 2);
    assert.equal(c.closed, false);
  });

  test("our own pings (RFC 5626 flows): each answered pong is reported on its connection, however many", async () => {
    const b = await tcpServer();
    const framer = () => {
      const f = new SipStreamFramer();
      return { push: (c: Uint8Array) => f.push(c), buffered: () => f.buffered, expectPong: () => f.expectPong() };
    };
    const a = makeLayer({ framer }, opened);
    await a.layer.send(b.to, sipMessage("OPTIONS sip:b SIP/2.0"));
    await waitFor("request", () => b.inbox.length === 1);
    const back = b.inbox[0];
    await b.layer.send(back.remote, sipMessage("OPTIONS sip:a SIP/2.0"), { connectionId: back.connectionId });
    await waitFor("answer", () => a.inbox.length === 1);
    const id = a.inbox[0].connectionId ?? "";
    assert.ok(a.layer.isOpen(id));
    const pongs: string[] = [];
    a.layer.onPong((c) => pongs.push(c));
    for (let i = 1; i <= 3; i++) {
      await a.layer.ping(id);
      await waitFor(`pong ${i}`, () => pongs.length === i);
    }
    assert.deepEqual(pongs, [id, id, id]);
    assert.equal(a.layer.stats().keepalivesSent, 3);
    assert.equal(a.layer.stats().pongsReceived, 3);
    assert.equal(b.layer.stats().keepalivesAnswered, 3, "each pong answered a ping: none was taken for a ping");
    a.layer.closeConnection(id);
    assert.equal(a.layer.isOpen(id), false);
    await assert.rejects(a.layer.ping(id), /not open/);
  });

  test("a half-open stream is closed after the read timeout; other connections keep working", async () => {
    const b = await tcpServer({ readTimeoutMs: 150 });
    const closes: ConnectionClosed[] = [];
    b.layer.onConnectionClose((c) => closes.push(c));
    const stalled = await RawClient.connect(b.port);
    const drip = await RawClient.connect(b.port);
    const healthy = await RawClient.connect(b.port);
    const started = Date.now();
    stalled.write(sipMessage("INVITE sip:x SIP/2.0", "0123456789").subarray(0, 60));
    // A slow drip does not extend the deadline: it runs from the message's first byte.
    const partial = sipMessage("INVITE sip:y SIP/2.0", "0123456789");
    const dripping = (async () => {
      for (let i = 0; i < 10 && !drip.closed; i++) {
        drip.write(partial.subarray(i, i + 1));
        await sleep(40);
      }
    })();
    for (let i = 0; i < 3; i++) {
      healthy.write(sipMessage(`OPTIONS sip:${i} SIP/2.0`));
      await sleep(30);
    }
    await waitFor("stalled closed", () => stalled.closed && drip.closed, 1500);
    await dripping;
    assert.ok(Date.now() - started >= 140, "not before the read timeout");
    healthy.write(sipMessage("OPTIONS sip:after SIP/2.0"));
    await waitFor("healthy still delivers", () => b.inbox.length === 4);
    assert.equal(healthy.closed, false);
    assert.equal(b.layer.stats().connections.timedOut, 2);
    assert.equal(b.layer.stats().connections.open, 1);
    assert.equal(closes.length, 2);
    assert.match(closes[0]?.reason ?? "", /read-timeout/);
  });

  test("at the connection limit the connection idle longest is closed", async () => {
    const b = await tcpServer({ maxConnections: 2 });
    const c1 = await RawClient.connect(b.port);
    c1.write(sipMessage("OPTIONS sip:1 SIP/2.0"));
    await waitFor("c1", () => b.inbox.length === 1);
    await sleep(5);
    const c2 = await RawClient.connect(b.port);
    c2.write(sipMessage("OPTIONS sip:2 SIP/2.0"));
    await waitFor("c2", () => b.inbox.length === 2);
    await sleep(5);
    c1.write(sipMessage("OPTIONS sip:1b SIP/2.0")); // c1 is now the more recently active one
    await waitFor("c1 again", () => b.inbox.length === 3);
    const c3 = await RawClient.connect(b.port);
    c3.write(sipMessage("OPTIONS sip:3 SIP/2.0"));
    await waitFor("c2 evicted", () => c2.closed);
    await waitFor("c3", () => b.inbox.length === 4);
    c1.write(sipMessage("OPTIONS sip:1c SIP/2.0"));
    await waitFor("c1 still works", () => b.inbox.length === 5);
    const s = b.layer.stats().connections;
    assert.equal(s.evicted, 1);
    assert.equal(s.open, 2);
    assert.equal(s.accepted, 3);
    assert.equal(c1.closed || c3.closed, false);
  });

  test("the access filter refuses a TCP connection at once", async () => {
    const t = makeLayer({ allow: (addr) => addr === "::1" }, opened);
    const port4 = await t.layer.listen({ kind: "tcp", bind: "127.0.0.1", port: 0 });
    const port6 = await t.layer.listen({ kind: "tcp", bind: "::1", port: 0 });
    const refused = await RawClient.connect(port4, "127.0.0.1");
    refused.write(sipMessage("OPTIONS sip:no SIP/2.0"));
    await waitFor("refused closed", () => refused.closed);
    const ok = await RawClient.connect(port6, "::1");
    ok.write(sipMessage("OPTIONS sip:yes SIP/2.0"));
    await waitFor("allowed message", () => t.inbox.length === 1);
    assert.equal(t.inbox[0]?.remote.address, "::1");
    const s = t.layer.stats();
    assert.equal(s.connections.refused, 1);
    assert.equal(s.dropped.notAllowed, 1);
    assert.equal(s.connections.accepted, 1);
  });

  test("a 100 KB message and garbage close their connections only, counted", async () => {
    const b = await tcpServer();
    const big = await RawClient.connect(b.port);
    const head = "MESSAGE sip:big SIP/2.0\r\nContent-Length: 100000\r\n\r\n";
    big.write(head);
    for (let i = 0; i < 10; i++) big.write(new Uint8Array(10_000).fill(0x61));
    const garbage = await RawClient.connect(b.port);
    garbage.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a]));
    await waitFor("both closed", () => big.closed && garbage.closed);
    const s = b.layer.stats();
    assert.equal(s.dropped.oversized, 1);
    assert.equal(s.dropped.framing, 1);
    assert.equal(s.streamMessagesIn, 0);
    const c = await RawClient.connect(b.port);
    c.write(sipMessage("OPTIONS sip:ok SIP/2.0"));
    await waitFor("the layer still works", () => b.inbox.length === 1);
  });

  test("a peer that stops reading is disconnected once the write buffer limit is reached", async () => {
    const b = await tcpServer({ maxWriteBufferBytes: 256 * 1024 });
    const c = await RawClient.connect(b.port);
    c.socket.pause();
    c.write(sipMessage("SUBSCRIBE sip:b SIP/2.0"));
    await waitFor("request", () => b.inbox.length === 1);
    const from = b.inbox[0]?.remote;
    assert.ok(from);
    const notify = sipMessage("NOTIFY sip:c SIP/2.0", "x".repeat(60_000));
    const sends: Array<Promise<unknown>> = [];
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      sends.push(b.layer.send(from, notify).catch((err) => (failure = err)));
      if (i % 20 === 19) await sleep(1);
    }
    assert.match(String((failure as Error)?.message), /write buffer full|closed/);
    await Promise.all(sends);
    await waitFor("closed", () => b.layer.stats().connections.open === 0);
  });

  test("a connection idle past the idle timeout is closed (fake clock)", async () => {
    const clock = new FakeClock();
    const b = await tcpServer({ clock, idleTimeoutMs: 1000 });
    const closes: ConnectionClosed[] = [];
    b.layer.onConnectionClose((c) => closes.push(c));
    const c = await RawClient.connect(b.port);
    c.write(sipMessage("OPTIONS sip:1 SIP/2.0"));
    await waitFor("message", () => b.inbox.length === 1);
    clock.advance(600);
    c.write(sipMessage("OPTIONS sip:2 SIP/2.0"));
    await waitFor("second message", () => b.inbox.length === 2);
    clock.advance(600); // 600 ms since the last activity
    await sleep(10);
    assert.equal(c.closed, false);
    clock.advance(400);
    await waitFor("closed", () => c.closed);
    assert.equal(b.layer.stats().connections.idleClosed, 1);
    assert.equal(closes[0]?.reason, "idle timeout");
  });

  test("a refused connect rejects with its code and is counted", async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((r) =>
      probe.listen(0, "127.0.0.1", () => r((probe.address() as net.AddressInfo).port)),
    );
    await new Promise((r) => probe.close(r));
    const a = makeLayer({}, opened);
    await assert.rejects(
      a.layer.send({ transport: "tcp", address: "127.0.0.1", port }, sipMessage("X sip:a SIP/2.0")),
      {
        code: "ECONNREFUSED",
      },
    );
    assert.equal(a.layer.stats().connections.failed, 1);
    assert.equal(a.layer.stats().connections.open, 0);
  });

  test("close() ends listeners and connections", async () => {
    const b = await tcpServer();
    const c = await RawClient.connect(b.port);
    c.write(sipMessage("OPTIONS sip:1 SIP/2.0"));
    await waitFor("message", () => b.inbox.length === 1);
    await b.layer.close();
    await waitFor("client closed", () => c.closed);
    await assert.rejects(RawClient.connect(b.port));
    assert.equal(b.layer.stats().connections.open, 0);
  });
});
