/**
 * The pre-answer decision on a port's inbound calls (issue 12 §1: a deposit for a vacant room goes
 * to the operator by 302 before answering): redirect and reject against sipp callers, and against a
 * scripted loopback PBX the 302's ACK, a hook that throws, hangs, or answers nonsense (the call is
 * answered, so a bug never leaves a caller ringing), a CANCEL and a stop while it decides.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import {
  answerInboundCalls,
  type InboundCalls,
  type InboundDecision,
  type InboundDecisionCall,
} from "../../src/inbound/sip-inbound.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { SipResponse } from "../../src/sip/message/index.ts";
import { RtpPortPool } from "../../src/sip/rtp/ports.ts";
import { SipPorts } from "../../src/sip/ua/ports.ts";
import { tempStore, testContext } from "../helpers/store.ts";
import { MediaPeer, pbxSdp, UdpPbx } from "../helpers/udp-pbx.ts";
import { eventually, freePort, HOST, sleep } from "../integration/support.ts";
import { peerSkip } from "../peers/available.ts";
import { startSipp } from "../peers/sipp.ts";

const DECIDE_MS = 300;

let pbx: UdpPbx;
let media: MediaPeer;
let ports: SipPorts;
let inbound: InboundCalls;
let cleanupStore: () => void;
/** This test's hook; every call it was asked about. */
let decide: (call: InboundDecisionCall) => Promise<InboundDecision>;
let asked: InboundDecisionCall[] = [];

before(async () => {
  pbx = await UdpPbx.open();
  media = await MediaPeer.open();
  const sipPort = await freePort();
  pbx.appPort = sipPort;
  const config = parseConfig({
    sip: {
      local: { port: sipPort },
      pbx: { address: HOST, port: pbx.port, domain: "hotel.example", registerUsing: "domain", expiresSeconds: 600 },
      ports: [{ user: "2001", password: "secret" }],
    },
  });
  ports = new SipPorts({ config: config.sip, clock: systemClock, logger: silentLogger });
  const s = await tempStore();
  cleanupStore = s.cleanup;
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 2000);
  inbound = answerInboundCalls({
    ctx: testContext(s.store),
    ports,
    rtpPorts: new RtpPortPool(rtpBase, rtpBase + 20),
    bind: HOST,
    codecs: config.sip.media.codecs,
    prompts: { get: () => new Uint8Array(160).fill(0xff) },
    ivr: config.ivr,
    clock: systemClock,
    logger: silentLogger,
    decide: (call) => {
      asked.push(call);
      return decide(call);
    },
    decideTimeoutMs: DECIDE_MS,
  });
  await ports.start();
  await eventually("the port registered", () => ports.freePorts() === 1, 5000);
});

after(async () => {
  await inbound?.stop(1000);
  await ports?.stop();
  await pbx?.close();
  await media?.close();
  cleanupStore?.();
});

beforeEach(async () => {
  asked = [];
  await inbound.idle();
  await eventually("the port is free", () => ports.freePorts() === 1, 3000);
});

const finals = (callId: string) =>
  pbx.inbox.filter((m): m is SipResponse => m.kind === "response" && m.callId === callId && m.status >= 200);

/** The PBX's CANCEL of its INVITE `callId` (same branch, §9.1). */
function cancel(callId: string): void {
  pbx.send(
    [
      `CANCEL sip:2001@${HOST}:${pbx.appPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${pbx.port};branch=z9hG4bK${callId};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}>;tag=pbx${callId}`,
      `To: <sip:500@${HOST}>`,
      `Call-ID: ${callId}`,
      "CSeq: 1 CANCEL",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"),
  );
}

/** The PBX's ACK of a non-2xx final answer to its INVITE `callId` (in the INVITE's transaction, §17.1.1.3). */
function ackFinal(callId: string, resp: SipResponse): void {
  pbx.send(
    [
      `ACK sip:2001@${HOST}:${pbx.appPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${pbx.port};branch=z9hG4bK${callId};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}>;tag=pbx${callId}`,
      `To: <sip:500@${HOST}>;tag=${resp.to.tag}`,
      `Call-ID: ${callId}`,
      "CSeq: 1 ACK",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"),
  );
}

/** The answered call runs the IVR (no room: a prompt, then our BYE). */
async function answeredAndEnded(callId: string): Promise<void> {
  await eventually("the 200 OK", () => pbx.responses(callId, 200).length > 0, 3000);
  pbx.ack(callId);
  await eventually("the service's BYE", () => pbx.requests(callId, "BYE").length > 0, 5000);
}

describe("the decision before answering, with sipp callers", { skip: peerSkip("sipp") }, () => {
  const caller = (scenario: string) =>
    startSipp({ scenario, user: "2001", remote: `${HOST}:${ports.endpoint.port}`, max: 1, extra: ["-timeout", "15s"] });

  test("redirect: 302 Moved Temporarily with Contact <sip:100@domain>, ACKed; the port is free again", {
    timeout: 30000,
  }, async () => {
    decide = async () => ({ action: "redirect", target: "100" });
    const sipp = await caller("uac-call-redirect.xml");
    try {
      assert.equal(await sipp.exited, 0, `sipp went as scripted:\n${sipp.messages().slice(-3000)}`);
      assert.match(sipp.log(), /Contact: <sip:100@hotel\.example>/);
      assert.equal(asked.length, 1);
      assert.equal(asked[0].port, "2001");
      assert.equal(asked[0].info.fromUser, "101");
      assert.equal(asked[0].info.requestUser, "2001");
      await eventually("the port is free", () => ports.freePorts() === 1, 3000);
    } finally {
      await sipp.stop();
    }
  });

  test("reject: 480 Temporarily Unavailable, ACKed", { timeout: 30000 }, async () => {
    decide = async () => ({ action: "reject", status: 480, reason: "Temporarily Unavailable" });
    const sipp = await caller("uac-call-unavailable.xml");
    try {
      assert.equal(await sipp.exited, 0, `sipp went as scripted:\n${sipp.messages().slice(-3000)}`);
      assert.match(sipp.messages(), /SIP\/2\.0 480 Temporarily Unavailable/);
      await eventually("the port is free", () => ports.freePorts() === 1, 3000);
    } finally {
      await sipp.stop();
    }
  });
});

describe("the decision before answering, scripted PBX", () => {
  test("the 302 is retransmitted until its ACK (the transaction's), never answered 200", async () => {
    decide = async () => ({ action: "redirect", target: "sip:operator@desk.example" });
    pbx.invite("2001", "d1", pbxSdp(media.port));
    await eventually("the 302", () => pbx.responses("d1", 302).length >= 2, 3000);
    const redirect = pbx.responses("d1", 302)[0];
    assert.equal(redirect.reason, "Moved Temporarily");
    assert.equal(redirect.headers.get("Contact"), "<sip:operator@desk.example>");
    assert.ok(redirect.to.tag, "our To tag");
    ackFinal("d1", redirect);
    await sleep(100);
    const n = pbx.responses("d1", 302).length;
    await sleep(1200);
    assert.equal(pbx.responses("d1", 302).length, n, "no retransmission after the ACK");
    assert.equal(pbx.responses("d1", 200).length, 0);
  });

  test("a hook that throws: the call is answered as if there were none", async () => {
    decide = async () => {
      throw new Error("store is gone");
    };
    pbx.invite("2001", "d2", pbxSdp(media.port));
    await answeredAndEnded("d2");
    assert.deepEqual(
      finals("d2").map((r) => r.status),
      [200],
    );
  });

  test("a hook that never answers: the call is answered once decideTimeoutMs passed", async () => {
    decide = () => new Promise(() => {});
    const started = Date.now();
    pbx.invite("2001", "d3", pbxSdp(media.port));
    await eventually("the 200 OK", () => pbx.responses("d3", 200).length > 0, 3000);
    assert.ok(Date.now() - started >= DECIDE_MS - 20, `answered after ${Date.now() - started} ms`);
    assert.ok(pbx.responses("d3", 100).length > 0, "100 Trying while it decided");
    await answeredAndEnded("d3");
  });

  test("a decision that cannot be sent (status 200, a malformed target): answered", async () => {
    decide = async () => ({ action: "reject", status: 200, reason: "OK" });
    pbx.invite("2001", "d4", pbxSdp(media.port));
    await answeredAndEnded("d4");
    await inbound.idle();
    decide = async () => ({ action: "redirect", target: "front desk" });
    pbx.invite("2001", "d5", pbxSdp(media.port));
    await answeredAndEnded("d5");
    assert.deepEqual(
      [...finals("d4"), ...finals("d5")].map((r) => r.status),
      [200, 200],
    );
  });

  test("an explicit answer: answered", async () => {
    decide = async () => ({ action: "answer" });
    pbx.invite("2001", "d6", pbxSdp(media.port));
    await answeredAndEnded("d6");
  });

  test("a CANCEL while deciding: 487, and the late decision sends nothing", async () => {
    let decided!: (d: InboundDecision) => void;
    decide = () =>
      new Promise((r) => {
        decided = r;
      });
    pbx.invite("2001", "d7", pbxSdp(media.port));
    await eventually("asked", () => asked.length === 1, 3000);
    cancel("d7");
    await eventually("487", () => pbx.responses("d7", 487).length > 0, 3000);
    decided({ action: "redirect", target: "100" });
    await inbound.idle();
    await sleep(100);
    assert.deepEqual(
      finals("d7").map((r) => `${r.status} ${r.cseq.method}`),
      ["200 CANCEL", "487 INVITE"],
    );
    await eventually("the port is free", () => ports.freePorts() === 1, 3000);
  });
});
