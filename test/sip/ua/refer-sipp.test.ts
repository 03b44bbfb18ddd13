/**
 * Blind transfer (RFC 3515) against sipp callers: a caller reaches port 2001 directly, is answered,
 * and the test (standing in for the voicemail flow's `0 → operator`) transfers it with REFER. The
 * ports register with a bare UDP registrar under the domain `hotel.example`, so the Refer-To and
 * Referred-By show which host a target is referred on.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../../../src/config/load.ts";
import { systemClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { buildOffer, formatSdp } from "../../../src/sip/sdp/index.ts";
import type { CallEndReason } from "../../../src/sip/ua/call.ts";
import { SipPorts } from "../../../src/sip/ua/ports.ts";
import type { ReferReport } from "../../../src/sip/ua/refer-transfer.ts";
import { UdpPbx } from "../../helpers/udp-pbx.ts";
import { eventually, freePort, HOST } from "../../integration/support.ts";
import { peerSkip } from "../../peers/available.ts";
import { startSipp } from "../../peers/sipp.ts";

const skip = peerSkip("sipp");

const offer = new TextEncoder().encode(formatSdp(buildOffer({ address: HOST, port: 40000, sessionId: 1, version: 1 })));

describe("REFER to sipp callers", { skip }, () => {
  let pbx: UdpPbx;
  let ports: SipPorts;
  before(async () => {
    pbx = await UdpPbx.open();
    const sipPort = await freePort();
    pbx.appPort = sipPort;
    ports = new SipPorts({
      config: parseConfig({
        sip: {
          local: { port: sipPort },
          pbx: { address: HOST, port: pbx.port, domain: "hotel.example", registerUsing: "domain", expiresSeconds: 600 },
          ports: [{ user: "2001", password: "secret" }],
        },
      }).sip,
      clock: systemClock,
      logger: silentLogger,
    });
    await ports.start();
    await eventually("the port registered", () => ports.freePorts() === 1, 5000);
  });
  after(async () => {
    await ports?.stop();
    await pbx?.close();
  });

  /** Answers the next call, transfers it to `target` once ACKed; what happened, when it is over. */
  function transferNextCall(target: string) {
    const seen: { report?: ReferReport; endedBy?: CallEndReason; upAfterRefer?: boolean; released?: boolean } = {};
    ports.onInvite = ({ invite, lease }) => {
      const call = invite.accept(offer);
      assert.ok(call);
      void call.ended.then((r) => {
        seen.endedBy = r;
        lease.release();
        seen.released = true;
      });
      void invite.confirmed.then(async (ok) => {
        if (!ok) return;
        seen.report = await call.referReport(target);
        seen.upAfterRefer = !call.isEnded;
      });
    };
    return seen;
  }

  const caller = (scenario: string) =>
    startSipp({
      scenario,
      user: "2001",
      remote: `${HOST}:${ports.endpoint.port}`,
      max: 1,
      extra: ["-timeout", "20s"],
    });

  test("202, NOTIFY 100 Trying then 200 OK, each answered 200, then our BYE: accepted", {
    timeout: 30000,
  }, async () => {
    const seen = transferNextCall("100");
    const sipp = await caller("uac-call-refer.xml");
    try {
      assert.equal(await sipp.exited, 0, `sipp went as scripted:\n${sipp.messages().slice(-4000)}`);
      await eventually("the transfer reported", () => seen.report !== undefined, 3000);
      assert.deepEqual(seen.report, { result: "accepted", end: "notify-final", status: 202, progress: 200 });
      assert.equal(seen.endedBy, "local-bye");
      assert.equal(seen.upAfterRefer, false, "our leg is over when refer() resolves");
      await eventually("port released", () => seen.released === true && ports.freePorts() === 1, 3000);
      assert.match(sipp.log(), /Refer-To: <sip:100@hotel\.example>/);
      assert.match(sipp.log(), /Referred-By: <sip:2001@hotel\.example>/);
      const msgs = sipp.messages();
      assert.match(msgs, /REFER sip:101@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0/, "to the caller's Contact");
      // (The second NOTIFY's sipfrag body is a "SIP/2.0 200 OK" too: count received responses only.)
      const notifyOks = msgs
        .split(/-{20,}/)
        .filter((m) => /received[^\n]*\n\s*SIP\/2\.0 200 OK/.test(m) && /CSeq: [23] NOTIFY/.test(m));
      assert.equal(notifyOks.length, 2, "both NOTIFYs answered 200");
      assert.match(msgs, /BYE sip:101@127\.0\.0\.1/);
    } finally {
      ports.onInvite = undefined;
      await sipp.stop();
    }
  });

  test("405 to the REFER: refused, the call stays up until the caller hangs up", { timeout: 30000 }, async () => {
    const seen = transferNextCall("100");
    const sipp = await caller("uac-call-refer-refused.xml");
    try {
      await eventually("the transfer reported", () => seen.report !== undefined, 10000);
      assert.deepEqual(seen.report, {
        result: "refused",
        end: "rejected",
        status: 405,
        reason: "405 Method Not Allowed",
      });
      assert.equal(seen.upAfterRefer, true, "the call goes on: the flow can tell the caller");
      assert.equal(await sipp.exited, 0, `sipp went as scripted:\n${sipp.messages().slice(-4000)}`);
      await eventually("the caller's BYE ended the call", () => seen.endedBy === "remote-bye", 3000);
      assert.doesNotMatch(sipp.messages(), /BYE sip:101@/, "we sent no BYE");
    } finally {
      ports.onInvite = undefined;
      await sipp.stop();
    }
  });
});
