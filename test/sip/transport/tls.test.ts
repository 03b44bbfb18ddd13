import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { sipMessage, text } from "../../helpers/sip-test-framer.ts";
import {
  closeAll,
  makeLayer,
  type SelfSigned,
  selfSignedCert,
  type TestLayer,
  waitFor,
} from "../../helpers/sip-transport.ts";
import { peerSkip } from "../../peers/available.ts";

const opened: TestLayer[] = [];
let cert: SelfSigned;
// The certificate is made with openssl: without it these tests are skipped, with the peers' notice.
const skip = peerSkip("openssl");

before(async () => {
  if (!skip) cert = await selfSignedCert();
});
afterEach(() => closeAll(opened));
after(() => cert?.remove());

async function tlsServer(opts: Parameters<typeof makeLayer>[0] = {}) {
  const t = makeLayer(opts, opened);
  const port = await t.layer.listen({
    kind: "tls",
    bind: "127.0.0.1",
    port: 0,
    tls: { key: cert.key, cert: cert.cert },
  });
  return { ...t, port, to: { transport: "tls", address: "127.0.0.1", port } as const };
}

describe("sip transport: tls", { skip }, () => {
  test("connections per source: counted from the raw accept, so unfinished handshakes count too", async () => {
    const b = await tlsServer({ maxConnectionsPerSource: 3, trusted: (a) => a === "127.0.0.1" });
    // Raw TCP sockets from 127.0.0.2 that never start a handshake: the fourth on is closed at once.
    const raw = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: "127.0.0.1", port: b.port, localAddress: "127.0.0.2" }, () => resolve(s));
            s.on("error", () => {});
          }),
      ),
    );
    await waitFor("three refused", () => b.layer.stats().connections.overSourceLimit === 3);
    await waitFor("three closed", () => raw.filter((s) => s.destroyed || s.readableEnded).length === 3);
    // A trusted address is exempt, and a real client from it still gets through.
    const a = makeLayer({ tls: { ca: cert.cert } }, opened);
    await a.layer.send(b.to, sipMessage("OPTIONS sip:pbx SIP/2.0"));
    await waitFor("request over tls", () => b.inbox.length === 1);
    for (const s of raw) s.destroy();
  });

  test("a client trusting the CA file talks to a TLS listener, both ways over one connection", async () => {
    const b = await tlsServer();
    const a = makeLayer({ tls: { ca: await readFile(cert.certFile, "utf8") } }, opened);
    await a.layer.send(b.to, sipMessage("REGISTER sip:pbx SIP/2.0"));
    await waitFor("request over tls", () => b.inbox.length === 1);
    const req = b.inbox[0];
    assert.ok(req);
    assert.equal(req.remote.transport, "tls");
    assert.match(req.connectionId ?? "", /^tls-/);
    await b.layer.send(req.remote, sipMessage("SIP/2.0 200 OK"), { connectionId: req.connectionId });
    await waitFor("response over tls", () => a.inbox.length === 1);
    assert.match(text(a.inbox[0]?.bytes ?? new Uint8Array()), /^SIP\/2\.0 200 OK/);
    await a.layer.send(b.to, sipMessage("OPTIONS sip:pbx SIP/2.0"));
    await waitFor("second request", () => b.inbox.length === 2);
    assert.equal(a.layer.stats().connections.opened, 1);
    assert.equal(b.layer.stats().connections.opened, 0);
  });

  test("SNI name: a name in the certificate verifies, another one fails", async () => {
    const b = await tlsServer();
    const a = makeLayer({ tls: { ca: cert.cert, servername: "localhost" } }, opened);
    await a.layer.send(b.to, sipMessage("OPTIONS sip:pbx SIP/2.0"));
    await waitFor("request", () => b.inbox.length === 1);
    const c = makeLayer({ tls: { ca: cert.cert } }, opened);
    await assert.rejects(c.layer.send(b.to, sipMessage("OPTIONS sip:pbx SIP/2.0"), { serverName: "pbx.example.com" }), {
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });

  test("a client without the CA fails with a certificate error; nothing is delivered", async () => {
    const b = await tlsServer();
    const a = makeLayer({}, opened);
    await assert.rejects(a.layer.send(b.to, sipMessage("REGISTER sip:pbx SIP/2.0")), (err: { code?: string }) => {
      assert.ok(
        ["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"].includes(
          err.code ?? "",
        ),
        `unexpected code ${err.code}`,
      );
      return true;
    });
    assert.equal(a.layer.stats().connections.failed, 1);
    assert.equal(a.layer.stats().connections.open, 0);
    assert.equal(b.inbox.length, 0);
  });

  test("verification is off only when configured so, with a warning", async () => {
    const b = await tlsServer();
    const log = memoryLogger();
    const a = makeLayer({ tls: { rejectUnauthorized: false }, logger: log }, opened);
    assert.ok(log.lines.some((l) => l.level === "warn" && /verification is OFF/.test(String(l.msg))));
    await a.layer.send(b.to, sipMessage("OPTIONS sip:pbx SIP/2.0"));
    await waitFor("request", () => b.inbox.length === 1);
  });

  test("the access filter refuses a TLS connection before the handshake", async () => {
    const b = await tlsServer({ allow: () => false });
    const a = makeLayer({ tls: { ca: cert.cert } }, opened);
    await assert.rejects(a.layer.send(b.to, sipMessage("OPTIONS sip:pbx SIP/2.0")));
    await waitFor("refusal counted", () => b.layer.stats().connections.refused === 1);
    assert.equal(b.layer.stats().connections.accepted, 0);
  });

  test("a TLS connect that never completes the handshake times out (fake clock)", async () => {
    const mute = net.createServer((s) => s.on("error", () => {}));
    const port = await new Promise<number>((r) =>
      mute.listen(0, "127.0.0.1", () => r((mute.address() as net.AddressInfo).port)),
    );
    let accepted = 0;
    mute.on("connection", () => accepted++);
    try {
      const clock = new FakeClock();
      const a = makeLayer({ clock, connectTimeoutMs: 5000, tls: { ca: cert.cert } }, opened);
      const sending = a.layer.send(
        { transport: "tls", address: "127.0.0.1", port },
        sipMessage("OPTIONS sip:x SIP/2.0"),
      );
      await waitFor("tcp accepted", () => accepted === 1);
      clock.advance(5000);
      await assert.rejects(sending, { code: "ETIMEDOUT" });
      assert.equal(a.layer.stats().connections.failed, 1);
    } finally {
      mute.close();
    }
  });

  test("a tls listener without key and cert is refused", async () => {
    const t = makeLayer({}, opened);
    await assert.rejects(t.layer.listen({ kind: "tls", bind: "127.0.0.1", port: 0 }), /key and tls.cert/);
  });
});
