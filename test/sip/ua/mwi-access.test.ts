/**
 * Who may watch a room's mailbox (issue 10), written as the attack on the whole appliance over
 * loopback UDP: the PBX is 127.0.0.1, room 101's phone 127.0.0.2 (learned from its phone event), a
 * stranger elsewhere in `phones.networks` 127.0.0.3. The stranger's SUBSCRIBE is refused (403) and
 * learns nothing, and the phone's lamp goes on as before; the PBX and the phone itself may subscribe,
 * and their NOTIFYs come in addition to the phone's, never instead.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../../src/app/appliance.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { getJobs } from "../../../src/services/jobs.ts";
import { phoneReported } from "../../../src/services/phones.ts";
import { defineRoom, patchRoom } from "../../../src/services/rooms.ts";
import {
  buildErrorResponse,
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serialize,
} from "../../../src/sip/message/index.ts";
import { MIGRATIONS, tempDir } from "../../helpers/store.ts";
import { eventually, freePort, sleep } from "../../integration/support.ts";

const PBX = "127.0.0.1";
const PHONE = "127.0.0.2";
const STRANGER = "127.0.0.3";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A SIP peer on a bare UDP socket: SUBSCRIBEs on request, answers every NOTIFY 200, keeps what arrives. */
class Peer {
  readonly inbox: SipMessage[] = [];
  port = 0;
  private cseq = 0;
  private readonly callId = `${Math.random().toString(36).slice(2)}@peer`;
  private readonly tag = `p${Math.random().toString(36).slice(2, 8)}`;
  private toTag: string | undefined;
  notifierPort = 0;

  private constructor(
    readonly host: string,
    private readonly socket: dgram.Socket,
  ) {
    socket.on("message", (bytes) => {
      const parsed = parseMessage(new Uint8Array(bytes));
      if (!parsed.ok) return;
      const m = parsed.message;
      this.inbox.push(m);
      if (m.kind === "request" && m.method === "NOTIFY") {
        this.send(serialize(buildErrorResponse(m, 200, "OK", { toTag: m.to.tag ?? this.tag })));
      }
    });
  }

  static async open(host: string): Promise<Peer> {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.bind(0, host, () => r()));
    const peer = new Peer(host, socket);
    peer.port = socket.address().port;
    cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
    return peer;
  }

  private send(bytes: Uint8Array): void {
    this.socket.send(bytes, this.notifierPort, PBX);
  }

  /** SUBSCRIBE to message-summary for `user` (a refresh inside the dialog with `inDialog`); its final response. */
  async subscribe(user: string, inDialog = false): Promise<SipResponse> {
    const cseq = ++this.cseq;
    const lines = [
      `SUBSCRIBE sip:${user}@${PBX}:${this.notifierPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.host}:${this.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      "Max-Forwards: 70",
      `From: <sip:${user}@${this.host}>;tag=${this.tag}`,
      `To: <sip:${user}@${PBX}>${inDialog ? `;tag=${this.toTag}` : ""}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} SUBSCRIBE`,
      `Contact: <sip:${user}@${this.host}:${this.port}>`,
      "Event: message-summary",
      "Accept: application/simple-message-summary",
      "Expires: 600",
      "Content-Length: 0",
      "",
      "",
    ];
    this.send(new TextEncoder().encode(lines.join("\r\n")));
    let found: SipResponse | undefined;
    await eventually(`response to SUBSCRIBE ${cseq} from ${this.host}`, () => {
      found = this.inbox.find((m): m is SipResponse => m.kind === "response" && m.status >= 200 && m.cseq.seq === cseq);
      return found !== undefined;
    });
    if (!found) throw new Error("unreachable");
    if (found.status === 200) this.toTag ??= found.to.tag;
    return found;
  }

  /** NOTIFYs received: `dialog` those inside our subscription (To tag = ours), else the unsolicited ones. */
  notifies(kind?: "dialog" | "unsolicited"): SipRequest[] {
    const all = this.inbox.filter((m): m is SipRequest => m.kind === "request" && m.method === "NOTIFY");
    if (kind === undefined) return all;
    return all.filter((n) => (n.to.tag === this.tag) === (kind === "dialog"));
  }
}

async function appliance(phone: Peer): Promise<Appliance> {
  const t = tempDir();
  const config = parseConfig({
    pms: { port: await freePort() },
    phones: { sipPort: phone.port },
    sip: { local: { port: await freePort() }, pbx: { address: PBX, port: await freePort() } },
  });
  const app = await startAppliance({
    config,
    dataDir: join(t.dir, "data"),
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "t",
  });
  cleanups.push(async () => {
    await app.stop();
    t.cleanup();
  });
  return app;
}

const body = (n: SipRequest) => new TextDecoder().decode(n.body);

async function lamp(app: Appliance, count: number): Promise<void> {
  const before = (await getJobs(app.ctx, { link: "sip-mwi" })).filter((j) => j.state === "done").length;
  await patchRoom(app.ctx, "api:desk", "101", { messageLamp: count });
  await eventually(
    "the lamp job is done",
    async () => (await getJobs(app.ctx, { link: "sip-mwi" })).filter((j) => j.state === "done").length > before,
    5000,
  );
}

describe("MWI: only the room's phone and the PBX may watch a mailbox", () => {
  test("a stranger's SUBSCRIBE is refused (403) and learns nothing; the phone's lamp still lights", async () => {
    const phone = await Peer.open(PHONE);
    const stranger = await Peer.open(STRANGER);
    const app = await appliance(phone);
    const port = app.sip?.endpoint.port as number;
    phone.notifierPort = stranger.notifierPort = port;
    await defineRoom(app.ctx, "api:tech", "101", { extension: "2101" });
    await defineRoom(app.ctx, "api:tech", "102", { extension: "2102" });

    const early = await stranger.subscribe("2101");
    assert.deepEqual([early.status, early.reason], [403, "No Phone Known For This Mailbox"]);

    await phoneReported(app.ctx, { vendor: "snom", mac: "000413aabb01", user: "2101", source: PHONE });
    const attack = await stranger.subscribe("2101");
    assert.deepEqual([attack.status, attack.reason], [403, "Not The Phone Of This Mailbox"]);
    assert.equal((await stranger.subscribe("2102")).status, 403, "nor any other room's");
    assert.equal(app.sip?.subscriptions?.has("2101"), false);

    await lamp(app, 2);
    await eventually("the phone got its NOTIFY", () => phone.notifies().length === 1);
    assert.match(body(phone.notifies()[0]), /Messages-Waiting: yes/);
    await sleep(100);
    assert.equal(stranger.notifies().length, 0, "the stranger learns no message count");
  });

  test("a PBX subscription gets its NOTIFYs in addition to the phone's, never instead", async () => {
    const phone = await Peer.open(PHONE);
    const pbx = await Peer.open(PBX);
    const app = await appliance(phone);
    phone.notifierPort = pbx.notifierPort = app.sip?.endpoint.port as number;
    await defineRoom(app.ctx, "api:tech", "101", { extension: "2101" });
    await phoneReported(app.ctx, { vendor: "yealink", mac: "000413aabb01", user: "2101", source: PHONE });

    assert.equal((await pbx.subscribe("2101")).status, 200);
    await eventually("the PBX got the first NOTIFY", () => pbx.notifies("dialog").length === 1);
    await lamp(app, 1);
    await eventually("the PBX got the change", () => pbx.notifies("dialog").length === 2);
    await eventually("so did the phone", () => phone.notifies("unsolicited").length === 1);
    assert.match(body(pbx.notifies()[1]), /Messages-Waiting: yes/);
    assert.match(body(phone.notifies()[0]), /Messages-Waiting: yes/);
  });

  test("the phone's own subscription carries its lamp (no second NOTIFY); once it is not the room's phone, its refresh gets 403", async () => {
    const phone = await Peer.open(PHONE);
    const app = await appliance(phone);
    phone.notifierPort = app.sip?.endpoint.port as number;
    await defineRoom(app.ctx, "api:tech", "101", { extension: "2101" });
    await phoneReported(app.ctx, { vendor: "snom", mac: "000413aabb01", user: "2101", source: PHONE });

    assert.equal((await phone.subscribe("2101")).status, 200);
    await eventually("the first NOTIFY", () => phone.notifies("dialog").length === 1);
    await lamp(app, 3);
    await eventually("the change, in the dialog", () => phone.notifies("dialog").length === 2);
    assert.match(body(phone.notifies("dialog")[1]), /Voice-Message: 3\/0/);
    assert.equal(phone.notifies("unsolicited").length, 0, "reached once, in its subscription");

    // Staff give room 101 another phone: the old one's refresh is refused and its subscription ends.
    await defineRoom(app.ctx, "api:tech", "101", { phone: { address: "127.0.0.9:5060", mac: "000413cccc01" } });
    const refresh = await phone.subscribe("2101", true);
    assert.equal(refresh.status, 403);
    assert.equal(app.sip?.subscriptions?.has("2101"), false);
  });
});
