/**
 * Calls from the ports through Kamailio (test/peers/fixtures, with INVITE auth on: every INVITE from
 * a port is challenged 407 first) to sipp room phones: answered, rang out (CANCEL), busy, over UDP,
 * TCP and TLS; and a sipp caller reaching a port directly. Signalling only: the media is another test's business.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../../../src/config/load.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { buildOffer, formatSdp } from "../../../src/sip/sdp/index.ts";
import { SipPorts } from "../../../src/sip/ua/ports.ts";
import { scaledClock } from "../../helpers/scaled-clock.ts";
import { eventually, freePort, sleep } from "../../integration/support.ts";
import { peerSkip } from "../../peers/available.ts";
import { type Kamailio, startKamailio } from "../../peers/kamailio.ts";
import { startSipp } from "../../peers/sipp.ts";

const skip = peerSkip("kamailio", "kamailio-tls", "sipp", "openssl");

const offer = new TextEncoder().encode(
  formatSdp(buildOffer({ address: "127.0.0.1", port: 40000, sessionId: 1, version: 1 })),
);

describe("calls through Kamailio", { skip }, () => {
  let k: Kamailio;
  let ports: SipPorts;
  before(async () => {
    k = await startKamailio({
      sipPort: await freePort(),
      tlsPort: await freePort(),
      ctlPort: await freePort(),
      defines: ["WITH_INVITE_AUTH"],
    });
    ports = new SipPorts({
      config: parseConfig({
        sip: {
          local: { port: await freePort() },
          pbx: { address: "127.0.0.1", port: k.sipPort, expiresSeconds: 600 },
          ports: ["2001", "2005"].map((user) => ({ user, password: "secret" })),
        },
      }).sip,
      clock: scaledClock(1),
      logger: silentLogger,
    });
    await ports.start();
    await eventually("ports registered", () => ports.freePorts() === 2, 5000);
  });
  after(async () => {
    await ports?.stop();
    await k?.stop();
  });

  test("answered: 407 → INVITE with credentials → 180/200, ACK, our BYE; the port is busy meanwhile", {
    timeout: 30000,
  }, async () => {
    const phone = await startSipp({ scenario: "uas-guest-phone.xml", user: "2002", registrar: k.sipPort, max: 1 });
    try {
      await sleep(200);
      const lease = ports.acquirePort();
      assert.ok(lease);
      assert.equal(ports.freePorts(), 1, "a port in a call is busy for others");
      let rang = false;
      const r = await ports.placeCall(lease, {
        callee: "2002",
        sdp: offer,
        ringTimeoutMs: 10_000,
        onRinging: () => {
          rang = true;
        },
      });
      assert.ok(r.answered, `answered: ${JSON.stringify(r)}`);
      assert.ok(rang, "180 reported");
      assert.match(new TextDecoder().decode(r.remoteSdp), /m=audio \d+ RTP\/AVP 0 8 101/);
      assert.match(k.log(), /RELAY INVITE/);
      await sleep(2000); // the phone sends its DTMF 1 s after the ACK; a BYE before that is off-script
      await r.call.hangup();
      lease.release();
      assert.equal(ports.freePorts(), 2);
      assert.equal(await phone.exited, 0, `sipp went as scripted:\n${phone.messages().slice(-2000)}`);
      assert.match(phone.messages(), /Proxy-Authorization|BYE sip:/);
    } finally {
      await phone.stop();
    }
  });

  test("rang out: CANCEL after the ring time, 487 → no-answer", { timeout: 30000 }, async () => {
    const phone = await startSipp({ scenario: "uas-no-answer.xml", user: "2003", registrar: k.sipPort, max: 1 });
    try {
      await sleep(200);
      const lease = ports.acquirePort();
      assert.ok(lease);
      const started = Date.now();
      const r = await ports.placeCall(lease, { callee: "2003", sdp: offer, ringTimeoutMs: 1500 });
      lease.release();
      assert.equal(r.answered, false);
      assert.ok(!r.answered && r.outcome === "no-answer" && r.status === 487, JSON.stringify(r));
      assert.ok(Date.now() - started >= 1400, "rang for the ring time");
      assert.equal(await phone.exited, 0, `sipp saw the CANCEL:\n${phone.messages().slice(-2000)}`);
    } finally {
      await phone.stop();
    }
  });

  test("busy: 486 → busy; unknown extension: 404 → failed", { timeout: 30000 }, async () => {
    const phone = await startSipp({ scenario: "uas-busy.xml", user: "2004", registrar: k.sipPort, max: 1 });
    try {
      await sleep(200);
      const lease = ports.acquirePort();
      assert.ok(lease);
      const r = await ports.placeCall(lease, { callee: "2004", sdp: offer, ringTimeoutMs: 5000 });
      assert.ok(!r.answered && r.outcome === "busy" && r.status === 486, JSON.stringify(r));
      const r2 = await ports.placeCall(lease, { callee: "2999", sdp: offer, ringTimeoutMs: 5000 });
      assert.ok(!r2.answered && r2.outcome === "failed" && r2.status === 404, JSON.stringify(r2));
      lease.release();
      assert.equal(await phone.exited, 0);
    } finally {
      await phone.stop();
    }
  });

  /** A port of its own over `transport` calls a UDP sipp phone through Kamailio and hangs up. */
  async function callOver(transport: "tcp" | "tls", port: string, callee: string): Promise<void> {
    const own = new SipPorts({
      config: parseConfig({
        sip: {
          local: { port: await freePort(), transport },
          pbx: { address: "127.0.0.1", port: transport === "tls" ? k.tlsPort : k.sipPort, expiresSeconds: 600 },
          tls: { caFile: k.caFile ?? null, serverName: "localhost" },
          ports: [{ user: port, password: "secret" }],
        },
      }).sip,
      clock: scaledClock(1),
      logger: silentLogger,
    });
    const phone = await startSipp({ scenario: "uas-guest-phone.xml", user: callee, registrar: k.sipPort, max: 1 });
    try {
      await own.start();
      await eventually(`${transport.toUpperCase()} port registered`, () => own.freePorts() === 1, 5000);
      await sleep(200);
      const lease = own.acquirePort();
      assert.ok(lease);
      const r = await own.placeCall(lease, { callee, sdp: offer, ringTimeoutMs: 10_000 });
      assert.ok(r.answered, JSON.stringify(r));
      await sleep(2000);
      await r.call.hangup();
      lease.release();
      assert.equal(await phone.exited, 0, phone.messages().slice(-1500));
    } finally {
      await own.stop();
      await phone.stop();
    }
  }

  test("over TCP: the port registers and calls over its TCP connection; Kamailio relays to a UDP phone", {
    timeout: 30000,
  }, async () => {
    await callOver("tcp", "2006", "2007");
    assert.match(k.log(), /RX INVITE sip:2007@127\.0\.0\.1 from tcp:/);
  });

  test("over TLS: the INVITE and the BYE go over the port's TLS connection, the answers come back on it", {
    timeout: 30000,
  }, async () => {
    await callOver("tls", "2008", "2009");
    assert.match(k.log(), /RX INVITE sip:2009@127\.0\.0\.1 from tls:/);
    assert.match(k.log(), /RX BYE sip:2009@127\.0\.0\.1:\d+;transport=UDP from tls:/);
  });

  test("a caller reaches a port: answered with our SDP, ACK matched, in-dialog BYE from us", {
    timeout: 30000,
  }, async () => {
    let acked = false;
    let released = false;
    ports.onInvite = ({ invite, lease }) => {
      const call = invite.accept(offer);
      assert.ok(call);
      void invite.confirmed.then((ok) => {
        acked = ok;
      });
      setTimeout(() => {
        void call.hangup().then(() => {
          lease.release();
          released = true;
        });
      }, 3500);
    };
    const caller = await startSipp({
      scenario: "uac-call-dtmf.xml",
      user: "500",
      remote: `127.0.0.1:${ports.endpoint.port}`,
      max: 1,
      extra: ["-timeout", "20s"],
    });
    try {
      assert.equal(await caller.exited, 0, `caller went as scripted:\n${caller.messages().slice(-3000)}`);
      assert.ok(acked, "the ACK of our 200 reached the call");
      await eventually("port released", () => released, 3000);
      assert.match(caller.messages(), /BYE sip:101@127\.0\.0\.1/);
    } finally {
      ports.onInvite = undefined;
      await caller.stop();
    }
  });
});
