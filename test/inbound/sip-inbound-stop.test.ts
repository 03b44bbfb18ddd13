/**
 * A stop with calls in flight (issue 10 §4): systemd kills the appliance after TimeoutStopSec (20 s),
 * so a stop must end the calls rather than wait for them. The PBX is a bare UDP socket on loopback
 * that answers REGISTER and sends the INVITE; the appliance is the real assembly with SIP on.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { createWakeup } from "../../src/services/wakeups.ts";
import {
  buildErrorResponse,
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serialize,
} from "../../src/sip/message/index.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, freePort, HOST } from "../integration/support.ts";

const OFFER = [
  "v=0",
  "o=pbx 1 1 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 40000 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=sendrecv",
  "",
].join("\r\n");

/** The PBX: answers every REGISTER 200, keeps what arrives, sends what the test asks. */
class FakePbx {
  readonly inbox: SipMessage[] = [];
  port = 0;
  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (bytes) => {
      const parsed = parseMessage(new Uint8Array(bytes));
      if (!parsed.ok) return;
      const m = parsed.message;
      this.inbox.push(m);
      if (m.kind === "request" && m.method === "REGISTER") {
        const resp = buildErrorResponse(m, 200, "OK", { toTag: "reg" });
        resp.headers.append("Contact", `${m.headers.get("Contact")};expires=600`);
        this.send(serialize(resp), this.appPort);
      } else if (m.kind === "request" && m.method === "INVITE" && m.from.tag && !m.from.tag.startsWith("pbx")) {
        // A wake-up call from the appliance: it rings, and nobody answers (nor the CANCEL).
        this.send(serialize(buildErrorResponse(m, 180, "Ringing", { toTag: "room" })), this.appPort);
      } else if (m.kind === "request" && m.method === "BYE") {
        this.send(serialize(buildErrorResponse(m, 200, "OK")), this.appPort);
      }
    });
  }
  appPort = 0;

  static async open(): Promise<FakePbx> {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
    const pbx = new FakePbx(socket);
    pbx.port = socket.address().port;
    return pbx;
  }

  send(bytes: Uint8Array | string, port: number): void {
    this.socket.send(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes, port, HOST);
  }

  /** An INVITE to the port `user`, as the PBX routes a guest's call to a feature number. */
  invite(user: string, callId: string): void {
    const body = new TextEncoder().encode(OFFER);
    const lines = [
      `INVITE sip:${user}@${HOST}:${this.appPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bK${callId};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}>;tag=pbx${callId}`,
      `To: <sip:500@${HOST}>`,
      `Call-ID: ${callId}`,
      "CSeq: 1 INVITE",
      `Contact: <sip:2101@${HOST}:${this.port}>`,
      "Content-Type: application/sdp",
      `Content-Length: ${body.length}`,
      "",
      OFFER,
    ];
    this.send(lines.join("\r\n"), this.appPort);
  }

  /** The ACK of the 200 OK to our INVITE `callId`. */
  ack(callId: string): void {
    const ok = this.responses(callId, 200)[0];
    const lines = [
      `ACK sip:2001@${HOST}:${this.appPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bKack${callId};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}>;tag=pbx${callId}`,
      `To: <sip:500@${HOST}>;tag=${ok.to.tag}`,
      `Call-ID: ${callId}`,
      "CSeq: 1 ACK",
      "Content-Length: 0",
      "",
      "",
    ];
    this.send(lines.join("\r\n"), this.appPort);
  }

  responses(callId: string, status: number): SipResponse[] {
    return this.inbox.filter(
      (m): m is SipResponse => m.kind === "response" && m.callId === callId && m.status === status,
    );
  }

  requests(callId: string, method: string): SipRequest[] {
    return this.inbox.filter(
      (m): m is SipRequest => m.kind === "request" && m.callId === callId && m.method === method,
    );
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function applianceWithSip(): Promise<{ app: Appliance; pbx: FakePbx }> {
  const t = tempDir("bellhop-stop-");
  cleanups.push(() => t.cleanup());
  const pbx = await FakePbx.open();
  cleanups.push(() => pbx.close());
  const sipPort = await freePort();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 2000);
  const config = parseConfig({
    pms: { port: await freePort() },
    sip: {
      local: { port: sipPort },
      pbx: { address: HOST, port: pbx.port, expiresSeconds: 600 },
      ports: [{ user: "2001", password: "secret" }],
      media: { portMin: rtpBase, portMax: rtpBase + 20 },
    },
  });
  pbx.appPort = sipPort;
  const app = await startAppliance({
    config,
    dataDir: join(t.dir, "data"),
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "test",
  });
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await app.stop();
  });
  const stop = app.stop;
  app.stop = () => {
    stopped = true;
    return stop();
  };
  await eventually("the port registered", () => app.sip?.freePorts() === 1, 5000);
  return { app, pbx };
}

describe("stop with calls in flight", () => {
  test("a wake-up call ringing, the PBX deaf to the CANCEL: the stop does not wait for it", {
    timeout: 30_000,
  }, async () => {
    const { app, pbx } = await applianceWithSip();
    await defineRoom(app.ctx, "api:tech", "101", { extension: "2101" });
    await createWakeup(app.ctx, "api:desk", { room: "101", at: Date.now() + 500 });
    const invites = () => pbx.inbox.filter((m) => m.kind === "request" && m.method === "INVITE");
    await eventually("the wake-up call rings", () => invites().length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await app.stop();
    const ms = Date.now() - t0;
    assert.ok(ms < 8000, `stop took ${ms} ms`);
    const callId = invites()[0].callId;
    assert.ok(
      pbx.inbox.some((m) => m.kind === "request" && m.method === "CANCEL" && m.callId === callId),
      "the ringing call was CANCELled",
    );
  });

  test("an inbound call answered and never ACKed: stop ends it at once (BYE), not after 64·T1", {
    timeout: 20_000,
  }, async () => {
    const { app, pbx } = await applianceWithSip();
    pbx.invite("2001", "noack1");
    await eventually("the 200 OK", () => pbx.responses("noack1", 200).length > 0, 5000);
    const t0 = Date.now();
    await app.stop();
    const ms = Date.now() - t0;
    assert.ok(ms < 4000, `stop took ${ms} ms`);
    assert.equal(pbx.requests("noack1", "BYE").length, 1, "the call was ended with a BYE");
    // The 2xx is no longer retransmitted once the call is given up.
    const n = pbx.responses("noack1", 200).length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(pbx.responses("noack1", 200).length, n);
  });

  test("an inbound call in the IVR (ACKed, waiting for keys): stop hangs it up at once", {
    timeout: 20_000,
  }, async () => {
    const { app, pbx } = await applianceWithSip();
    pbx.invite("2001", "ivr1");
    await eventually("the 200 OK", () => pbx.responses("ivr1", 200).length > 0, 5000);
    pbx.ack("ivr1");
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await app.stop();
    const ms = Date.now() - t0;
    assert.ok(ms < 4000, `stop took ${ms} ms`);
    assert.equal(pbx.requests("ivr1", "BYE").length, 1, "the call was ended with a BYE");
  });
});
