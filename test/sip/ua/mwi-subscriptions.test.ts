/**
 * Phones subscribing to message-summary (RFC 6665 + RFC 3842): a real SipEndpoint on 127.0.0.1 UDP
 * with MwiSubscriptions attached, against sipp running test/fixtures/sipp/uac-subscribe-mwi.xml and
 * against a scripted loopback phone (a bare UDP socket). Subscription expiry runs on a FakeClock
 * given to MwiSubscriptions only; the endpoint's transactions keep real (shrunk) time.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, test } from "node:test";
import { type Clock, FakeClock, systemClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { Dialog, DialogError, dialogKey, incomingDialogId } from "../../../src/sip/dialog/dialog.ts";
import { hopOf } from "../../../src/sip/dialog/next-hop.ts";
import {
  buildErrorResponse,
  formatUri,
  parseMessage,
  parseUri,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serialize,
} from "../../../src/sip/message/index.ts";
import { deriveTimers } from "../../../src/sip/transaction/timers.ts";
import { SipEndpoint } from "../../../src/sip/ua/endpoint.ts";
import type { MessageSummary } from "../../../src/sip/ua/mwi-body.ts";
import { MwiSubscriptions, type MwiSubscriptionsOptions } from "../../../src/sip/ua/mwi-subscriptions.ts";
import { eventually, freePort } from "../../integration/support.ts";
import { peerSkip } from "../../peers/available.ts";

const SCENARIO = resolve(import.meta.dirname ?? ".", "../../fixtures/sipp/uac-subscribe-mwi.xml");
const HOST = "127.0.0.1";

function summary(user: string, newMessages: number): MessageSummary {
  return { waiting: newMessages > 0, account: `sip:${user}@hotel.test`, newMessages, oldMessages: 0 };
}

interface Notifier {
  ep: SipEndpoint;
  subs: MwiSubscriptions;
  /** Mailboxes that exist, by user. */
  mailboxes: Map<string, MessageSummary>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNotifier(opts: Partial<MwiSubscriptionsOptions> & { clock?: Clock } = {}): Promise<Notifier> {
  const ep = new SipEndpoint({
    bind: HOST,
    port: 0,
    transport: "udp",
    allow: () => true,
    clock: systemClock,
    logger: silentLogger,
    // T1 = 10 ms: a NOTIFY nobody answers times out (Timer F) after 640 ms.
    timers: deriveTimers(10, 40, 50),
  });
  await ep.start();
  const mailboxes = new Map<string, MessageSummary>([
    ["2101", summary("2101", 2)],
    ["2102", summary("2102", 0)],
  ]);
  const subs = new MwiSubscriptions(ep, {
    logger: silentLogger,
    summaryFor: async (user) => mailboxes.get(user),
    // Who may subscribe is tested in mwi-access.test.ts; here everyone on loopback may.
    authorize: async () => undefined,
    ...opts,
    clock: opts.clock ?? systemClock,
  });
  const detach = subs.attach();
  cleanups.push(async () => {
    detach();
    await subs.close();
    await ep.close();
  });
  return { ep, subs, mailboxes };
}

/** A scripted phone on a bare UDP socket: sends raw requests, keeps what arrives, answers NOTIFYs. */
class Phone {
  readonly inbox: SipMessage[] = [];
  /** Status for NOTIFYs (null: leave them unanswered). */
  notifyStatus: number | null = 200;
  port = 0;
  private cseq = 0;
  readonly callId = `${Math.random().toString(36).slice(2)}@phone`;
  readonly fromTag = `ph${Math.random().toString(36).slice(2, 8)}`;
  /** The notifier's tag, from the first 200 to our SUBSCRIBE. */
  toTag: string | undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly notifierPort: number,
  ) {
    socket.on("message", (bytes) => this.receive(new Uint8Array(bytes)));
  }

  static async open(notifierPort: number): Promise<Phone> {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
    const phone = new Phone(socket, notifierPort);
    phone.port = socket.address().port;
    cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
    return phone;
  }

  private receive(bytes: Uint8Array): void {
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return;
    const m = parsed.message;
    this.inbox.push(m);
    if (m.kind === "request" && m.method === "NOTIFY" && this.notifyStatus !== null) {
      const reason = this.notifyStatus === 200 ? "OK" : "Nope";
      this.sendBytes(serialize(buildErrorResponse(m, this.notifyStatus, reason, { toTag: this.fromTag })));
    }
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.send(bytes, this.notifierPort, HOST);
  }

  /** Sends a SUBSCRIBE; `inDialog` puts the notifier's tag in To. Returns its CSeq. */
  subscribe(
    o: {
      user?: string;
      expires?: number | null;
      event?: string;
      inDialog?: boolean;
      cseq?: number;
      accept?: string;
      contact?: string | null;
      extra?: string[];
    } = {},
  ): number {
    const user = o.user ?? "2101";
    const cseq = o.cseq ?? ++this.cseq;
    const lines = [
      `SUBSCRIBE sip:${user}@${HOST}:${this.notifierPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      "Max-Forwards: 70",
      `From: <sip:${user}@${HOST}:${this.port}>;tag=${this.fromTag}`,
      `To: <sip:${user}@${HOST}:${this.notifierPort}>${o.inDialog ? `;tag=${this.toTag}` : ""}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} SUBSCRIBE`,
      ...(o.contact === null ? [] : [`Contact: ${o.contact ?? `<sip:${user}@${HOST}:${this.port}>`}`]),
      `Event: ${o.event ?? "message-summary"}`,
      `Accept: ${o.accept ?? "application/simple-message-summary"}`,
      ...(o.expires === null ? [] : [`Expires: ${o.expires ?? 120}`]),
      ...(o.extra ?? []),
      "Content-Length: 0",
      "",
      "",
    ];
    this.sendBytes(new TextEncoder().encode(lines.join("\r\n")));
    return cseq;
  }

  /** Sends an arbitrary request (OPTIONS…), out of dialog. */
  request(method: string): void {
    const lines = [
      `${method} sip:2101@${HOST}:${this.notifierPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      "Max-Forwards: 70",
      `From: <sip:2101@${HOST}:${this.port}>;tag=${this.fromTag}`,
      `To: <sip:2101@${HOST}:${this.notifierPort}>`,
      `Call-ID: x${this.callId}`,
      `CSeq: 1 ${method}`,
      "Content-Length: 0",
      "",
      "",
    ];
    this.sendBytes(new TextEncoder().encode(lines.join("\r\n")));
  }

  /** The final response to our request with this CSeq (records the To tag of a 200). */
  async response(cseq: number, method = "SUBSCRIBE"): Promise<SipResponse> {
    let found: SipResponse | undefined;
    await eventually(`response to ${method} ${cseq}`, () => {
      found = this.inbox.find(
        (m): m is SipResponse =>
          m.kind === "response" && m.status >= 200 && m.cseq.seq === cseq && m.cseq.method === method,
      );
      return found !== undefined;
    });
    if (!found) throw new Error("unreachable");
    if (found.status === 200 && this.toTag === undefined) this.toTag = found.to.tag;
    return found;
  }

  notifies(): SipRequest[] {
    return this.inbox.filter((m): m is SipRequest => m.kind === "request" && m.method === "NOTIFY");
  }

  async notify(n: number): Promise<SipRequest> {
    await eventually(`NOTIFY #${n}`, () => this.notifies().length >= n, 3000);
    return this.notifies()[n - 1];
  }
}

function body(m: SipMessage): string {
  return new TextDecoder().decode(m.body);
}

/** Runs sipp to the end; resolves its exit status and the message trace. */
async function runSipp(
  notifierPort: number,
  onStarted: () => void,
): Promise<{ code: number | null; trace: string; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-sipp-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const messageFile = join(dir, "messages.log");
  const args = [
    `${HOST}:${notifierPort}`,
    "-sf",
    SCENARIO,
    "-i",
    HOST,
    "-p",
    String(await freePort()),
    "-m",
    "1",
    "-nostdin",
    "-timeout",
    "15",
    "-trace_msg",
    "-message_file",
    messageFile,
    "-trace_logs",
    "-log_file",
    join(dir, "actions.log"),
  ];
  const child = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  onStarted();
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), "utf8");
    } catch {
      return "";
    }
  };
  return { code, trace: `${read("messages.log")}\n--- actions ---\n${read("actions.log")}`, output };
}

describe("MWI subscriptions: sipp as the phone", { skip: peerSkip("sipp") }, () => {
  test("SUBSCRIBE → 200 + NOTIFY (yes); notify() → NOTIFY (no); SUBSCRIBE Expires: 0 → 200 + terminated NOTIFY", async () => {
    const n = await startNotifier();
    let outcome: { sent: number; reached: string[]; failed: number } | undefined;
    const run = await runSipp(n.ep.port, () => {
      // Once sipp's subscription is in, change the lamp. NOTIFYs of one subscription are serialized, so
      // this one leaves only after sipp has answered the first.
      eventually("sipp subscribed", () => n.subs.has("2101"), 10_000)
        .then(async () => {
          n.mailboxes.set("2101", summary("2101", 0));
          outcome = await n.subs.notify("2101", summary("2101", 0));
        })
        .catch(() => {}); // sipp's exit status tells
    });
    if (run.code !== 0) console.error(`sipp exit ${run.code}\n${run.output}\n${run.trace}`);
    assert.equal(run.code, 0, "sipp ran the scenario to the end");
    assert.deepEqual(outcome, { sent: 1, reached: [HOST], failed: 0 });
    assert.equal(n.subs.has("2101"), false);
    assert.equal(n.subs.count(), 0);
  });
});

describe("MWI subscriptions: loopback phone", () => {
  test("a new subscription: 200 with To tag, clamped Expires and Contact; the NOTIFY is in the new dialog", async () => {
    const n = await startNotifier({ maxExpires: 600 });
    const phone = await Phone.open(n.ep.port);
    const ok = await phone.response(phone.subscribe({ expires: 7200 }));
    assert.equal(ok.status, 200);
    assert.ok(ok.to.tag, "To tag");
    assert.equal(ok.expires, 600, "clamped to maxExpires");
    assert.equal(
      formatUri(ok.contacts === "*" ? parseUri("sip:x") : ok.contacts[0].uri),
      `sip:2101@${HOST}:${n.ep.port}`,
    );

    const notify = await phone.notify(1);
    assert.equal(formatUri(notify.uri), `sip:2101@${HOST}:${phone.port}`, "Request-URI = the SUBSCRIBE's Contact");
    assert.equal(notify.callId, phone.callId);
    assert.equal(notify.from.tag, ok.to.tag, "From tag = our To tag");
    assert.equal(notify.to.tag, phone.fromTag, "To tag = the subscriber's From tag");
    assert.equal(notify.cseq.method, "NOTIFY");
    assert.match(notify.topVia?.branch ?? "", /^z9hG4bK/);
    assert.equal(notify.headers.get("Event"), "message-summary");
    assert.equal(notify.headers.get("Subscription-State"), "active;expires=600");
    assert.equal(notify.headers.get("Content-Type"), "application/simple-message-summary");
    assert.equal(
      body(notify),
      "Messages-Waiting: yes\r\nMessage-Account: sip:2101@hotel.test\r\nVoice-Message: 2/0 (0/0)\r\n",
    );
    assert.equal(n.subs.has("2101"), true);
    assert.equal(n.subs.count(), 1);
  });

  test("no Expires: the default (3600) clamped; a later NOTIFY takes the next CSeq", async () => {
    const n = await startNotifier({ maxExpires: 1800 });
    const phone = await Phone.open(n.ep.port);
    assert.equal((await phone.response(phone.subscribe({ expires: null }))).expires, 1800);
    const first = await phone.notify(1);
    assert.deepEqual(await n.subs.notify("2101", summary("2101", 5)), { sent: 1, reached: [HOST], failed: 0 });
    const second = await phone.notify(2);
    assert.equal(second.cseq.seq, first.cseq.seq + 1);
    assert.match(body(second), /Voice-Message: 5\/0/);
    assert.deepEqual(
      await n.subs.notify("2102", summary("2102", 1)),
      { sent: 0, reached: [], failed: 0 },
      "nobody subscribed",
    );
  });

  test("Expires below minExpires → 423 with Min-Expires; nothing subscribed", async () => {
    const n = await startNotifier({ minExpires: 60 });
    const phone = await Phone.open(n.ep.port);
    const r = await phone.response(phone.subscribe({ expires: 30 }));
    assert.equal(r.status, 423);
    assert.equal(r.headers.get("Min-Expires"), "60");
    assert.equal(n.subs.count(), 0);
  });

  test("a new SUBSCRIBE with Expires: 0 is a fetch: 200, one terminated NOTIFY, nothing kept", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    const r = await phone.response(phone.subscribe({ expires: 0 }));
    assert.equal(r.status, 200);
    assert.equal(r.expires, 0);
    const notify = await phone.notify(1);
    assert.equal(notify.headers.get("Subscription-State"), "terminated;reason=timeout");
    assert.match(body(notify), /Messages-Waiting: yes/);
    assert.equal(n.subs.count(), 0);
  });

  test("an unknown user → 404", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    assert.equal((await phone.response(phone.subscribe({ user: "9999" }))).status, 404);
    assert.equal(n.subs.count(), 0);
  });

  test("another event → 489 Bad Event with Allow-Events (from the attached handler); other methods → 405", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    const r = await phone.response(phone.subscribe({ event: "presence" }));
    assert.equal(r.status, 489);
    assert.equal(r.headers.get("Allow-Events"), "message-summary");
    phone.request("OPTIONS");
    const o = await phone.response(1, "OPTIONS");
    assert.equal(o.status, 405);
    assert.equal(o.headers.get("Allow"), "SUBSCRIBE");
  });

  test("Accept without the summary type → 406; no Contact → 400", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    const r = await phone.response(phone.subscribe({ accept: "application/pidf+xml" }));
    assert.equal(r.status, 406);
    assert.equal(r.headers.get("Accept"), "application/simple-message-summary");
    assert.equal((await phone.response(phone.subscribe({ contact: null }))).status, 400);
    assert.equal(n.subs.count(), 0);
  });

  test("refresh inside the dialog: 200 + NOTIFY, and the expiry timer starts again", async () => {
    const clock = new FakeClock();
    const n = await startNotifier({ clock });
    const phone = await Phone.open(n.ep.port);
    await phone.response(phone.subscribe({ expires: 120 }));
    await phone.notify(1);

    clock.advance(100_000);
    const r = await phone.response(phone.subscribe({ inDialog: true, expires: 120 }));
    assert.equal(r.status, 200);
    assert.equal(r.to.tag, phone.toTag, "same dialog");
    assert.equal(r.expires, 120);
    const refreshed = await phone.notify(2);
    assert.equal(refreshed.headers.get("Subscription-State"), "active;expires=120");
    assert.equal(refreshed.from.tag, phone.toTag);

    clock.advance(100_000); // 200 s after the first SUBSCRIBE: alive thanks to the refresh
    assert.equal(n.subs.has("2101"), true);
    clock.advance(21_000);
    const final = await phone.notify(3);
    assert.equal(final.headers.get("Subscription-State"), "terminated;reason=timeout");
    assert.equal(n.subs.has("2101"), false);
  });

  test("refresh problems: unknown dialog → 481; lower CSeq → 500; too short → 423 and the subscription stays", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    await phone.response(phone.subscribe({ cseq: 5 }));
    const realTag = phone.toTag;
    phone.toTag = "not-our-tag";
    assert.equal((await phone.response(phone.subscribe({ inDialog: true, cseq: 6 }))).status, 481);
    phone.toTag = realTag;
    assert.equal((await phone.response(phone.subscribe({ inDialog: true, cseq: 3 }))).status, 500);
    const short = await phone.response(phone.subscribe({ inDialog: true, cseq: 7, expires: 10 }));
    assert.equal(short.status, 423);
    assert.equal(n.subs.has("2101"), true);
    const bye = await phone.response(phone.subscribe({ inDialog: true, cseq: 8, expires: 0 }));
    assert.equal(bye.status, 200);
    assert.equal(bye.expires, 0);
    await eventually("terminated NOTIFY", () =>
      phone.notifies().some((m) => m.headers.get("Subscription-State") === "terminated;reason=timeout"),
    );
    assert.equal(n.subs.has("2101"), false);
  });

  test("a subscription not refreshed in time is removed, with a terminated NOTIFY", async () => {
    const clock = new FakeClock();
    const n = await startNotifier({ clock });
    const phone = await Phone.open(n.ep.port);
    await phone.response(phone.subscribe({ expires: 60 }));
    await phone.notify(1);
    clock.advance(59_999);
    assert.equal(n.subs.has("2101"), true);
    clock.advance(1);
    assert.equal(n.subs.has("2101"), false, "removed at once");
    const final = await phone.notify(2);
    assert.equal(final.headers.get("Subscription-State"), "terminated;reason=timeout");
    assert.deepEqual(await n.subs.notify("2101", summary("2101", 1)), { sent: 0, reached: [], failed: 0 });
    assert.equal(clock.pendingTimers(), 0);
  });

  test("a NOTIFY answered 481 removes the subscription", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    await phone.response(phone.subscribe());
    await phone.notify(1);
    phone.notifyStatus = 481;
    assert.deepEqual(await n.subs.notify("2101", summary("2101", 3)), { sent: 0, reached: [], failed: 1 });
    assert.equal(n.subs.has("2101"), false);
    assert.equal(n.subs.count(), 0);
  });

  test("a NOTIFY nobody answers times out: counted as failed, the subscription stays", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    await phone.response(phone.subscribe());
    await phone.notify(1);
    phone.notifyStatus = null;
    assert.deepEqual(await n.subs.notify("2101", summary("2101", 3)), { sent: 0, reached: [], failed: 1 });
    assert.equal(n.subs.has("2101"), true);
    phone.notifyStatus = 500;
    assert.deepEqual(
      await n.subs.notify("2101", summary("2101", 3)),
      { sent: 0, reached: [], failed: 1 },
      "500: failed, kept",
    );
    assert.equal(n.subs.has("2101"), true);
  });

  test("notify() reaches every subscription of the user; close({ notify }) ends them all with deactivated", async () => {
    const n = await startNotifier();
    const a = await Phone.open(n.ep.port);
    const b = await Phone.open(n.ep.port);
    await a.response(a.subscribe());
    await b.response(b.subscribe());
    await a.notify(1);
    await b.notify(1);
    assert.equal(n.subs.count(), 2);
    assert.deepEqual(await n.subs.notify("2101", summary("2101", 0)), { sent: 2, reached: [HOST, HOST], failed: 0 });
    assert.match(body(await a.notify(2)), /Messages-Waiting: no/);
    assert.match(body(await b.notify(2)), /Messages-Waiting: no/);
    await n.subs.close({ notify: true });
    assert.equal((await a.notify(3)).headers.get("Subscription-State"), "terminated;reason=deactivated");
    assert.equal((await b.notify(3)).headers.get("Subscription-State"), "terminated;reason=deactivated");
    assert.equal(n.subs.count(), 0);
    assert.equal((await a.response(a.subscribe({ cseq: 50 }))).status, 503);
  });

  test("Record-Route: the 200 echoes it and NOTIFYs carry the route set and go to its first hop", async () => {
    const n = await startNotifier();
    const phone = await Phone.open(n.ep.port);
    const proxy = await Phone.open(n.ep.port); // stands in for a loose-routing proxy
    const rr = `<sip:${HOST}:${proxy.port};lr>, <sip:10.9.9.9;lr;transport=udp>`;
    const ok = await phone.response(phone.subscribe({ extra: [`Record-Route: ${rr}`] }));
    assert.deepEqual(ok.headers.getAll("Record-Route"), [rr]);
    const notify = await proxy.notify(1);
    assert.equal(formatUri(notify.uri), `sip:2101@${HOST}:${phone.port}`, "Request-URI stays the remote target");
    assert.deepEqual(notify.headers.getAll("Route"), [
      `<sip:${HOST}:${proxy.port};lr>`,
      "<sip:10.9.9.9;lr;transport=udp>",
    ]);
    assert.equal(phone.notifies().length, 0);
  });
});

describe("sip/dialog", () => {
  function subscribe(extra: string[] = [], contact = "<sip:2101@10.0.0.5:5062;transport=tcp>"): SipRequest {
    const text = [
      "SUBSCRIBE sip:2101@10.0.0.1 SIP/2.0",
      "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKabc",
      'From: "Room 2101" <sip:2101@hotel.test>;tag=their',
      "To: <sip:2101@hotel.test>",
      "Call-ID: cid-1@10.0.0.5",
      "CSeq: 7 SUBSCRIBE",
      ...(contact ? [`Contact: ${contact}`] : []),
      ...extra,
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    const parsed = parseMessage(new TextEncoder().encode(text));
    if (!parsed.ok || parsed.message.kind !== "request") throw new Error("bad fixture");
    return parsed.message;
  }

  test("UAS dialog from a SUBSCRIBE: id, parties, target, route set; in-dialog requests", () => {
    const d = Dialog.asUas(subscribe(["Record-Route: <sip:p1.hotel.test;lr>", "Record-Route: <sip:p2;lr>"]), {
      localTag: "ours",
    });
    assert.deepEqual(d.id, { callId: "cid-1@10.0.0.5", localTag: "ours", remoteTag: "their" });
    assert.equal(d.key, dialogKey(d.id));
    assert.equal(d.remoteCSeq, 7);
    assert.equal(d.strictRouting, false);
    assert.deepEqual(
      d.routeSet.map((u) => formatUri(u)),
      ["sip:p1.hotel.test;lr", "sip:p2;lr"],
    );
    assert.deepEqual(d.nextHop("udp"), { transport: "udp", host: "p1.hotel.test", port: 5060, uri: d.routeSet[0] });

    const r1 = d.createRequest("NOTIFY", {
      via: { transport: "udp", host: "10.0.0.1", port: 5060 },
      contact: "<sip:x>",
    });
    const r2 = d.createRequest("NOTIFY", {
      via: { transport: "udp", host: "10.0.0.1", port: 5060 },
      branch: "z9hG4bKfix",
    });
    assert.equal(formatUri(r1.uri), "sip:2101@10.0.0.5:5062;transport=tcp");
    assert.deepEqual(r1.headers.getAll("Route"), ["<sip:p1.hotel.test;lr>", "<sip:p2;lr>"]);
    assert.equal(r1.headers.get("From"), "<sip:2101@hotel.test>;tag=ours");
    assert.equal(r1.headers.get("To"), '"Room 2101" <sip:2101@hotel.test>;tag=their');
    assert.equal(r1.callId, "cid-1@10.0.0.5");
    assert.deepEqual([r1.cseq.seq, r2.cseq.seq], [1, 2]);
    assert.equal(r1.headers.get("Contact"), "<sip:x>");
    assert.equal(r1.headers.get("Max-Forwards"), "70");
    assert.notEqual(r1.topVia?.branch, r2.topVia?.branch);
    assert.equal(r2.headers.get("Via"), "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKfix;rport");
    assert.equal(d.localCSeq, 2);
    assert.throws(() => d.createRequest("ACK", { via: { transport: "udp", host: "h", port: 1 } }), TypeError);
  });

  test("no route set: the next hop is the remote target; a strict first route is flagged", () => {
    const d = Dialog.asUas(subscribe(), { localTag: "t" });
    assert.deepEqual(d.nextHop("udp"), { transport: "tcp", host: "10.0.0.5", port: 5062, uri: d.remoteTarget });
    assert.equal(Dialog.asUas(subscribe(["Record-Route: <sip:old-proxy>"]), { localTag: "t" }).strictRouting, true);
    assert.equal(hopOf(parseUri("sips:h"), "udp").port, 5061);
    assert.equal(hopOf(parseUri("sip:h;transport=TLS"), "udp").transport, "tls");
    assert.throws(() => hopOf(parseUri("tel:+123"), "udp"), TypeError);
  });

  test("inbound requests: CSeq order and target refresh; bad dialog-creating requests", () => {
    const d = Dialog.asUas(subscribe(), { localTag: "t" });
    const refresh = subscribe([], "<sip:2101@10.0.0.6:5070>");
    refresh.headers.set("CSeq", "8 SUBSCRIBE");
    refresh.headers.set("To", "<sip:2101@hotel.test>;tag=t");
    assert.deepEqual(incomingDialogId(refresh), { callId: "cid-1@10.0.0.5", localTag: "t", remoteTag: "their" });
    assert.equal(d.receive(refresh), "ok");
    assert.equal(formatUri(d.remoteTarget), "sip:2101@10.0.0.6:5070");
    assert.equal(d.remoteCSeq, 8);
    refresh.headers.set("CSeq", "3 SUBSCRIBE");
    assert.equal(d.receive(refresh), "out-of-order");
    assert.equal(incomingDialogId(subscribe()), undefined, "no To tag: not in a dialog");

    assert.throws(() => Dialog.asUas(subscribe([], ""), { localTag: "t" }), DialogError);
    assert.throws(() => Dialog.asUas(subscribe([], "<tel:+4930123>"), { localTag: "t" }), DialogError);
    const noTag = subscribe();
    noTag.headers.set("From", "<sip:2101@hotel.test>");
    assert.throws(() => Dialog.asUas(noTag, { localTag: "t" }), DialogError);
  });
});
