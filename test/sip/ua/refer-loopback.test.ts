/**
 * Blind transfer (RFC 3515) from an answered call, against a scripted far end on loopback UDP: the
 * orders and answers real peers produce that sipp scenarios cannot time (a NOTIFY overtaking the
 * 202, Refer-Sub: false, no final NOTIFY, the far end's BYE while we wait, no answer at all, a
 * digest challenge), and the NOTIFYs that are not ours keeping the answers they always got.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../../../src/config/load.ts";
import { systemClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { buildErrorResponse, type SipRequest, type SipResponse, serialize } from "../../../src/sip/message/index.ts";
import { deriveTimers } from "../../../src/sip/transaction/timers.ts";
import type { SipCall } from "../../../src/sip/ua/call.ts";
import { SipPorts } from "../../../src/sip/ua/ports.ts";
import { pbxSdp, UdpPbx } from "../../helpers/udp-pbx.ts";
import { eventually, freePort, HOST, sleep } from "../../integration/support.ts";

const offer = new TextEncoder().encode(pbxSdp(40000));

let pbx: UdpPbx;
let ports: SipPorts;
/** Answered calls by Call-ID, once their ACK arrived. */
const calls = new Map<string, SipCall>();

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
    // Timer F (no answer to a REFER) in 3.2 s rather than 32 s.
    timers: deriveTimers(50, 400, 500, 0),
  });
  ports.onInvite = ({ invite, lease }) => {
    const call = invite.accept(offer);
    if (!call) return;
    void call.ended.then(() => lease.release());
    void invite.confirmed.then((ok) => {
      if (ok) calls.set(invite.request.callId, call);
    });
  };
  await ports.start();
  await eventually("the port registered", () => ports.freePorts() === 1, 5000);
});

after(async () => {
  await ports?.stop();
  await pbx?.close();
});

/** A call from the PBX to port 2001, answered and ACKed. */
async function answered(callId: string): Promise<SipCall> {
  pbx.invite("2001", callId, pbxSdp(40000));
  await eventually("the 200 OK", () => pbx.responses(callId, 200).length > 0, 3000);
  pbx.ack(callId);
  await eventually("the ACK reached the call", () => calls.has(callId), 3000);
  return calls.get(callId) as SipCall;
}

async function referOf(callId: string, n = 1): Promise<SipRequest> {
  await eventually(`REFER ${n}`, () => pbx.requests(callId, "REFER").length >= n, 5000);
  return pbx.requests(callId, "REFER")[n - 1];
}

function answer(req: SipRequest, status: number, reason: string, extra: [string, string][] = []): void {
  const resp = buildErrorResponse(req, status, reason);
  for (const [n, v] of extra) resp.headers.append(n, v);
  pbx.send(serialize(resp));
}

let notifySeq = 10;

/** A request of the far end in `callId`'s dialog (CSeq above every earlier one). */
function inDialog(callId: string, method: string, extra: string[], body = ""): string {
  const ok = pbx.responses(callId, 200).find((r) => r.cseq.method === "INVITE") as SipResponse;
  const seq = ++notifySeq;
  const branch = `z9hG4bK${method.toLowerCase()}${seq}x`;
  pbx.send(
    [
      `${method} sip:2001@${HOST}:${pbx.appPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${pbx.port};branch=${branch};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}>;tag=pbx${callId}`,
      `To: <sip:500@${HOST}>;tag=${ok.to.tag}`,
      `Call-ID: ${callId}`,
      `CSeq: ${seq} ${method}`,
      ...extra,
      `Content-Length: ${new TextEncoder().encode(body).length}`,
      "",
      body,
    ].join("\r\n"),
  );
  return branch;
}

/** A NOTIFY of the far end's refer subscription in `callId`'s dialog. */
function notify(callId: string, o: { event?: string; state?: string; sipfrag?: string }): string {
  const body = o.sipfrag ?? "";
  return inDialog(
    callId,
    "NOTIFY",
    [
      `Contact: <sip:2101@${HOST}:${pbx.port}>`,
      `Event: ${o.event ?? "refer"}`,
      `Subscription-State: ${o.state ?? "active;expires=60"}`,
      ...(body ? ["Content-Type: message/sipfrag;version=2.0"] : []),
    ],
    body,
  );
}

/** The answer the appliance gave to the request sent with `branch`. */
async function answerTo(branch: string): Promise<SipResponse> {
  const find = () =>
    pbx.inbox.find((m): m is SipResponse => m.kind === "response" && (m.headers.get("Via") ?? "").includes(branch));
  await eventually(`an answer to ${branch}`, () => find() !== undefined, 3000);
  return find() as SipResponse;
}

const byes = (callId: string) => pbx.requests(callId, "BYE").length;

describe("REFER from an answered call (scripted far end)", () => {
  test("the REFER: in the dialog, to the Contact, Refer-To on the ports' domain, Referred-By the port", async () => {
    const call = await answered("r1");
    const result = call.referReport("100");
    const refer = await referOf("r1");
    assert.equal(refer.headers.get("Refer-To"), "<sip:100@hotel.example>");
    assert.equal(refer.headers.get("Referred-By"), "<sip:2001@hotel.example>");
    assert.match(refer.headers.get("Contact") ?? "", /^<sip:2001@127\.0\.0\.1:\d+>$/);
    assert.equal(`${refer.uri.kind === "sip" && refer.uri.port}`, String(pbx.port), "the caller's Contact");
    assert.equal(refer.from.tag, call.dialog.id.localTag);
    assert.equal(refer.to.tag, `pbxr1`);
    answer(refer, 202, "Accepted");
    const trying = await answerTo(notify("r1", { sipfrag: "SIP/2.0 100 Trying\r\n" }));
    assert.equal(trying.status, 200);
    assert.equal(byes("r1"), 0, "still waiting for the referred call's outcome");
    const done = await answerTo(notify("r1", { state: "terminated;reason=noresource", sipfrag: "SIP/2.0 200 OK\r\n" }));
    assert.equal(done.status, 200);
    assert.deepEqual(await result, { result: "accepted", end: "notify-final", status: 202, progress: 200 });
    assert.equal(byes("r1"), 1, "our leg ended by BYE");
    assert.equal(await call.ended, "local-bye");
  });

  test("a NOTIFY that overtakes the 202 is kept: the 202 finishes the transfer at once", async () => {
    const call = await answered("r2");
    const result = call.refer("100");
    const refer = await referOf("r2");
    assert.equal((await answerTo(notify("r2", { sipfrag: "SIP/2.0 200 OK" }))).status, 200);
    answer(refer, 202, "Accepted");
    assert.equal(await result, "accepted");
    await eventually("our BYE", () => byes("r2") === 1, 2000);
  });

  test("a failed referred call (486 in the sipfrag) still ends our leg: the far end has the caller", async () => {
    const call = await answered("r2b");
    const result = call.referReport("100");
    answer(await referOf("r2b"), 202, "Accepted");
    notify("r2b", { state: "terminated;reason=noresource", sipfrag: "SIP/2.0 486 Busy Here\r\n" });
    assert.deepEqual(await result, { result: "accepted", end: "notify-final", status: 202, progress: 486 });
    await eventually("our BYE", () => byes("r2b") === 1, 2000);
  });

  test("Refer-Sub: false (RFC 4488): no NOTIFY to wait for", async () => {
    const call = await answered("r3");
    const result = call.referReport("100");
    answer(await referOf("r3"), 202, "Accepted", [["Refer-Sub", "false"]]);
    assert.deepEqual(await result, { result: "accepted", end: "no-subscription", status: 202 });
    await eventually("our BYE", () => byes("r3") === 1, 2000);
  });

  test("no final NOTIFY: the wait is bounded, then our BYE", async () => {
    const call = await answered("r4");
    const started = Date.now();
    const result = call.referReport("100", { waitMs: 300 });
    answer(await referOf("r4"), 200, "OK");
    notify("r4", { sipfrag: "SIP/2.0 180 Ringing" });
    const r = await result;
    assert.deepEqual(r, { result: "accepted", end: "wait-timeout", status: 200 });
    assert.ok(Date.now() - started >= 300);
    await eventually("our BYE", () => byes("r4") === 1, 2000);
  });

  test("the subscription ends without a status line: done", async () => {
    const call = await answered("r5");
    const result = call.referReport("100");
    answer(await referOf("r5"), 202, "Accepted");
    notify("r5", { state: "terminated;reason=timeout" });
    assert.deepEqual(await result, { result: "accepted", end: "terminated", status: 202 });
  });

  test("the far end hangs up while we wait: accepted, and no BYE of ours", async () => {
    const call = await answered("r6");
    const result = call.referReport("100");
    answer(await referOf("r6"), 202, "Accepted");
    pbx.bye("r6");
    assert.deepEqual(await result, { result: "accepted", end: "call-ended", status: 202 });
    assert.equal(await call.ended, "remote-bye");
    await sleep(200);
    assert.equal(byes("r6"), 0);
  });

  test("refused (603): the call goes on, and a second transfer may follow", async () => {
    const call = await answered("r7");
    const first = call.referReport("0");
    answer(await referOf("r7"), 603, "Decline");
    assert.deepEqual(await first, { result: "refused", end: "rejected", status: 603, reason: "603 Decline" });
    assert.equal(call.isEnded, false);
    const second = call.refer("100");
    const refer2 = await referOf("r7", 2);
    assert.equal(refer2.cseq.seq, pbx.requests("r7", "REFER")[0].cseq.seq + 1);
    answer(refer2, 202, "Accepted");
    notify("r7", { sipfrag: "SIP/2.0 200 OK" });
    assert.equal(await second, "accepted");
  });

  test("no answer to the REFER (Timer F): refused, the call goes on", async () => {
    const call = await answered("r8");
    const r = await call.referReport("100");
    assert.deepEqual(r, { result: "refused", end: "no-answer", reason: "no answer to the REFER" });
    assert.ok(pbx.requests("r8", "REFER").length > 1, "retransmitted over UDP");
    assert.equal(call.isEnded, false);
    assert.equal(byes("r8"), 0);
    pbx.bye("r8");
    assert.equal(await call.ended, "remote-bye");
  });

  test("a 407 is answered with the port's credentials, once", async () => {
    const call = await answered("r9");
    const result = call.referReport("100");
    const first = await referOf("r9");
    answer(first, 407, "Proxy Authentication Required", [
      ["Proxy-Authenticate", 'Digest realm="hotel.example", nonce="abc123", qop="auth", algorithm=MD5'],
    ]);
    const second = await referOf("r9", 2);
    assert.equal(second.cseq.seq, first.cseq.seq + 1);
    assert.match(second.headers.get("Proxy-Authorization") ?? "", /^Digest username="2001", realm="hotel\.example"/);
    answer(second, 407, "Proxy Authentication Required", [
      ["Proxy-Authenticate", 'Digest realm="hotel.example", nonce="def456", qop="auth", algorithm=MD5'],
    ]);
    const r = await result;
    assert.equal(r.result, "refused", "a second challenge without stale=true is a wrong password");
    assert.equal(r.status, 407);
    assert.equal(call.isEnded, false);
    pbx.bye("r9");
  });

  test("a target that cannot be sent is refused before a byte goes out", async () => {
    const call = await answered("r10");
    const r = await call.referReport("1 00");
    assert.equal(r.result, "refused");
    assert.equal(r.end, "not-sent");
    assert.equal(pbx.requests("r10", "REFER").length, 0);
    assert.equal(call.isEnded, false);
    pbx.bye("r10");
  });

  test("NOTIFYs that are not a REFER's keep their answers: 405 in a call, 481 outside any", async () => {
    await answered("r11");
    assert.equal((await answerTo(notify("r11", { sipfrag: "SIP/2.0 200 OK" }))).status, 405, "no REFER sent yet");
    assert.equal((await answerTo(notify("r11", { event: "message-summary" }))).status, 405);
    assert.equal((await answerTo(inDialog("r11", "BYE", []))).status, 200);
    assert.equal((await answerTo(notify("r11", { sipfrag: "SIP/2.0 200 OK" }))).status, 481, "the call is over");
  });
});
