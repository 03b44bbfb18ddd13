/**
 * The CTI server over real TCP with a plain node:net client and fake phones behind PhoneControl:
 * the 24U STLI commands, monitoring with the phones' callbacks, the allow-list and every bound.
 */
import assert from "node:assert/strict";
import { after, afterEach, describe, test } from "node:test";
import { Companion, type CompanionOptions } from "../../src/cti/companion.ts";
import { type Clock, FakeClock, systemClock } from "../../src/lib/clock.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { FakePhones, StliClient } from "./support.ts";

/** Rooms' phones as the store would give them (extension → `IP:SIP port`). */
const ROOMS: Record<string, string> = {
  "101": "127.0.0.1:5060",
  "102": "127.0.0.2:5060",
  "103": "127.0.0.3:5060",
};

const open: Companion[] = [];
const clients: StliClient[] = [];

async function companion(
  over: Partial<CompanionOptions> & { networks?: string[]; phonesFile?: string | null; clock?: Clock } = {},
): Promise<{
  c: Companion;
  phones: FakePhones;
  logger: ReturnType<typeof memoryLogger>;
  connect(): Promise<StliClient>;
}> {
  const phones = new FakePhones();
  const logger = memoryLogger();
  const c = new Companion({
    config: {
      listen: "127.0.0.1:0",
      networks: over.networks ?? ["127.0.0.0/8"],
      phonesFile: over.phonesFile ?? null,
      callbackUrl: null,
    },
    clock: over.clock ?? systemClock,
    logger,
    control: phones,
    roomPhone: async (ext) => ROOMS[ext],
    callbackBase: async () => "http://192.0.2.10:8080",
    requestTimeoutMs: 300,
    ...over,
  });
  await c.start();
  open.push(c);
  return {
    c,
    phones,
    logger,
    connect: async () => {
      const cl = await StliClient.connect(c.port as number);
      clients.push(cl);
      return cl;
    },
  };
}

afterEach(async () => {
  for (const cl of clients.splice(0)) cl.close();
  for (const c of open.splice(0)) await c.stop();
});

after(() => {});

describe("CTI server: commands", () => {
  test("handshake in both forms, LF or CR LF in, CR LF out; BYE answers and closes", async () => {
    const { connect } = await companion();
    const a = await connect();
    assert.equal(await a.command("STLI"), "error_ind SUCCESS STLI");
    assert.equal(await a.command("STLI;Version=2;DeviceInformation=Standard", "\n"), "error_ind SUCCESS STLI");
    assert.equal(await a.command("STLI;Version=2", "\r"), "error_ind SUCCESS STLI");
    assert.ok(a.raw.split("\r\n").length === 4 && a.raw.endsWith("\r\n"), "every line ends CR LF");
    assert.equal(await a.command("BYE"), "error_ind SUCCESS BYE");
    await a.waitClosed();
  });

  test("MakeCall A B: A's phone dials B; SUCCESS once the phone accepted, ERROR otherwise", async () => {
    const { connect, phones, c } = await companion();
    const a = await connect();
    await a.command("STLI");
    assert.equal(await a.command("MakeCall 101 0612345678"), "error_ind SUCCESS MakeCall");
    assert.deepEqual(phones.requests, [{ ip: "127.0.0.1", op: "dial", number: "0612345678", transfer: false }]);
    assert.equal(await a.command("MakeCall 999 102"), "error_ind ERROR MakeCall", "no phone for 999");
    phones.down.add("127.0.0.2");
    assert.equal(await a.command("MakeCall 102 101"), "error_ind ERROR MakeCall", "phone unreachable");
    phones.hang.add("127.0.0.3");
    assert.equal(await a.command("MakeCall 103 101"), "error_ind ERROR MakeCall", "phone does not answer in time");
    assert.equal(await a.command("MakeCall 101"), "error_ind ERROR MakeCall", "wrong arity");
    assert.equal(await a.command("MakeCall 101 102 103"), "error_ind ERROR MakeCall", "wrong arity");
    assert.equal(c.status().commandsRefused, 5);
  });

  test("every command: the key it presses, SUCCESS and ERROR, arity, unknown extension", async () => {
    const { connect, phones } = await companion();
    const a = await connect();
    const cases: [string, string][] = [
      ["AnswerCall", "OFFHOOK"],
      ["ClearConnection", "CANCEL"],
      ["HoldCall", "F_HOLD"],
      ["RetrieveCall", "F_HOLD"],
      ["TransferCall", "TRANSFER"],
    ];
    for (const [cmd, key] of cases) {
      phones.requests.length = 0;
      assert.equal(await a.command(`${cmd} 102`), `error_ind SUCCESS ${cmd}`);
      assert.deepEqual(phones.requests, [{ ip: "127.0.0.2", op: "key", key }], cmd);
      assert.equal(await a.command(`${cmd} 555`), `error_ind ERROR ${cmd}`, `${cmd}: unknown extension`);
      assert.equal(await a.command(cmd), `error_ind ERROR ${cmd}`, `${cmd}: no argument`);
      assert.equal(await a.command(`${cmd} 102 103`), `error_ind ERROR ${cmd}`, `${cmd}: two arguments`);
      phones.down.add("127.0.0.2");
      assert.equal(await a.command(`${cmd} 102`), `error_ind ERROR ${cmd}`, `${cmd}: phone down`);
      phones.down.delete("127.0.0.2");
    }
    assert.equal(await a.command("MonitorStart 555"), "error_ind ERROR MonitorStart");
    assert.equal(await a.command("MonitorStop 555"), "error_ind ERROR MonitorStop");
    assert.equal(await a.command("MonitorStop 102"), "error_ind SUCCESS MonitorStop", "known, not monitored");
    assert.equal(await a.command("MonitorStart"), "error_ind ERROR MonitorStart");
    assert.equal(
      await a.command('{"method" : "GET", "resource" : "/restapi"}'),
      "error_ind ERROR RawCommand",
      "no provider REST API is proxied",
    );
    assert.equal(await a.command("ConferenceCall 102"), "error_ind ERROR ConferenceCall");
  });

  test("TransferCall E followed by MakeCall E target completes the transfer on E's phone", async () => {
    const { connect, phones } = await companion();
    const a = await connect();
    assert.equal(await a.command("TransferCall 101"), "error_ind SUCCESS TransferCall");
    assert.equal(await a.command("MakeCall 101 205"), "error_ind SUCCESS MakeCall");
    assert.equal(await a.command("MakeCall 101 206"), "error_ind SUCCESS MakeCall");
    assert.deepEqual(phones.requests, [
      { ip: "127.0.0.1", op: "key", key: "TRANSFER" },
      { ip: "127.0.0.1", op: "dial", number: "205", transfer: true },
      { ip: "127.0.0.1", op: "dial", number: "206", transfer: false },
    ]);
  });

  test("pipelined commands are answered in order, each after its phone", async () => {
    const { connect, phones } = await companion();
    const a = await connect();
    phones.hang.add("127.0.0.3");
    a.send("STLI\r\nAnswerCall 103\r\nMakeCall 101 7\r\nBOGUS\r\n\r\nHoldCall 102\r\n");
    assert.deepEqual(await a.next(5), [
      "error_ind SUCCESS STLI",
      "error_ind ERROR AnswerCall",
      "error_ind SUCCESS MakeCall",
      "error_ind ERROR BOGUS",
      "error_ind SUCCESS HoldCall",
    ]);
  });
});

describe("CTI server: monitoring", () => {
  test("MonitorStart points the phone at the appliance; its callbacks reach both monitoring channels in order, not a third", async () => {
    const { connect, phones, c } = await companion();
    const [a, b, x] = [await connect(), await connect(), await connect()];
    for (const cl of [a, b, x]) await cl.command("STLI;Version=2");
    assert.equal(await a.command("MonitorStart 102"), "error_ind SUCCESS MonitorStart");
    assert.equal(await b.command("MonitorStart 102"), "error_ind SUCCESS MonitorStart");
    assert.equal(await x.command("MonitorStart 103"), "error_ind SUCCESS MonitorStart");
    const set = phones.requests.find((r) => r.op === "actionUrls" && r.ip === "127.0.0.2");
    assert.ok(set && set.op === "actionUrls");
    assert.equal(set.urls.incoming, "http://192.0.2.10:8080/api/v1/cti/snom/102/incoming?remote=$remote&call=$call-id");
    assert.equal(set.urls["dnd-on"], "http://192.0.2.10:8080/api/v1/cti/snom/102/dnd-on");
    assert.deepEqual(Object.keys(set.urls).sort(), [
      "connected",
      "disconnected",
      "dnd-off",
      "dnd-on",
      "hold",
      "incoming",
      "missed",
      "outgoing",
      "unhold",
    ]);

    // An incoming call, answered, hung up, as the phone (127.0.0.2) reports it.
    const call = { remote: "sip:0612345678@pbx.example", callId: "3c2a@10.20.0.32" };
    for (const ev of ["incoming", "connected", "disconnected"] as const)
      assert.deepEqual(await c.phoneCallback("102", ev, call, "127.0.0.2"), { delivered: 2 });
    const expected = [
      'Delivered 102 newCall 102 0612345678 102 ""',
      "DeviceInformation 102 1 (alerting)",
      'Established 102 "" 102 0612345678 102 ""',
      'ConnectionCleared 102 normalClearing 102 ""',
      "DeviceInformation 102 0 (idle)",
    ];
    assert.deepEqual(await a.next(5), expected);
    assert.deepEqual(await b.next(5), expected);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(x.unread, [], "the channel monitoring 103 got nothing of 102");

    // Not from 102's phone: refused, counted, nothing written.
    await assert.rejects(c.phoneCallback("102", "incoming", call, "127.0.0.9"), /FORBIDDEN|accepted from its phone/);
    await assert.rejects(c.phoneCallback("102", "incoming", call, undefined));
    await assert.rejects(c.phoneCallback("555", "incoming", call, "127.0.0.2"), /no phone/);
    assert.deepEqual(c.status().callbacks, { accepted: 3, refused: 3 });

    // MonitorStop: a's events end, b's go on.
    assert.equal(await a.command("MonitorStop 102"), "error_ind SUCCESS MonitorStop");
    await c.phoneCallback("102", "dnd-on", {}, "::ffff:127.0.0.2");
    assert.deepEqual(await b.next(1), ["DoNotDisturb 102 102 On"]);
    assert.deepEqual(a.unread, []);
    assert.deepEqual(
      c.status().channels.map((ch) => ch.monitored),
      [[], ["102"], ["103"]],
    );

    // A channel that closes stops monitoring.
    b.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await c.phoneCallback("102", "dnd-off", {}, "127.0.0.2")).delivered, 0);
  });

  test("STLI;DeviceInformation=Off: the same events without the DeviceInformation lines", async () => {
    const { connect, c } = await companion();
    const a = await connect();
    await a.command("STLI;Version=2;DeviceInformation=Off");
    await a.command("MonitorStart 101");
    await c.phoneCallback("101", "outgoing", { remote: "205", callId: "o1" }, "127.0.0.1");
    await c.phoneCallback("101", "disconnected", { callId: "o1" }, "127.0.0.1");
    assert.deepEqual(await a.next(2), [
      "Originated 101 newCall 101 205 101",
      'ConnectionCleared 101 normalClearing 101 ""',
    ]);
  });

  test("MakeCall on a monitored phone: its Originated says makeCall", async () => {
    const { connect, c } = await companion();
    const a = await connect();
    await a.command("MonitorStart 101");
    assert.equal(await a.command("MakeCall 101 102"), "error_ind SUCCESS MakeCall");
    await c.phoneCallback("101", "outgoing", { remote: "sip:102@pbx", callId: "m1" }, "127.0.0.1");
    assert.deepEqual(await a.next(2), ["Originated 101 makeCall 101 102 101", "DeviceInformation 101 1 (initiated)"]);
  });
});

describe("CTI server: who may connect, and bounds", () => {
  test("a client outside companion.networks is closed at once and counted", async () => {
    const { connect, c, phones } = await companion({ networks: ["10.99.0.0/16"] });
    const a = await connect();
    a.send("MakeCall 101 102\r\n");
    await a.waitClosed();
    assert.deepEqual(a.lines, []);
    assert.deepEqual(phones.requests, []);
    const b = await connect();
    await b.waitClosed();
    assert.equal(c.status().dropped.refused, 2);
    assert.equal(c.status().channels.length, 0);
  });

  test("garbage lines and a 1 MB line get error_ind ERROR; the channel and the server go on", async () => {
    const { connect } = await companion();
    const a = await connect();
    a.send(Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0x0a]));
    assert.deepEqual(await a.next(1), ["error_ind ERROR Unknown"]);
    assert.equal(await a.command("\u001b[2J;DROP TABLE rooms"), "error_ind ERROR Unknown");
    assert.equal(await a.command("MakeCall 101 102; BYE"), "error_ind ERROR MakeCall");
    a.send(`MakeCall 101 ${"9".repeat(1024 * 1024)}\r\n`);
    assert.deepEqual(await a.next(1, 10_000), ["error_ind ERROR MakeCall"]);
    a.send("x".repeat(1024 * 1024));
    a.send("\n");
    assert.deepEqual(await a.next(1, 10_000), ["error_ind ERROR Unknown"]);
    assert.equal(await a.command("STLI"), "error_ind SUCCESS STLI", "still served");
    const b = await connect();
    assert.equal(await b.command("STLI"), "error_ind SUCCESS STLI", "others too");
  });

  test("channels are capped: one more is closed and counted", async () => {
    const { connect, c } = await companion({ limits: { maxChannels: 2 } });
    const a = await connect();
    const b = await connect();
    await a.command("STLI");
    await b.command("STLI");
    const x = await connect();
    await x.waitClosed();
    assert.equal(c.status().dropped.channels, 1);
    assert.equal(await a.command("STLI"), "error_ind SUCCESS STLI");
  });

  test("a client piling up commands while one waits for a phone is closed", async () => {
    const { connect, c, phones } = await companion({ limits: { maxQueuedLines: 16 } });
    phones.hang.add("127.0.0.1");
    const a = await connect();
    a.send(`AnswerCall 101\r\n${"STLI\r\n".repeat(100)}`);
    await a.waitClosed();
    assert.equal(c.status().dropped.flood, 1);
  });

  test("a client that does not read is closed rather than buffered", async () => {
    const { connect, c } = await companion({ limits: { maxOutputBytes: 64 * 1024 } });
    const a = await connect();
    await a.command("MonitorStart 101");
    a.socket.pause();
    // Events faster than the kernel buffers take them (callbacks straight into the fan-out).
    for (let i = 0; i < 400_000 && c.status().dropped["slow-reader"] === 0; i++) {
      c.hub.phoneEvent("101", i % 2 ? "disconnected" : "incoming", { remote: "0612345678", callId: `z${i}` });
    }
    assert.equal(c.status().dropped["slow-reader"], 1);
    await a.until("the channel to be gone", () => c.status().channels.length === 0);
    assert.equal(c.hub.monitors("101"), 0, "its monitors ended with it");
  });
});

describe("CTI server: the phones file", () => {
  test("its phones win over the rooms'; changes apply live on the 5 s clock", async () => {
    const clock = new FakeClock();
    let text = "# desk phones\nphone=101@127.0.0.11 snom.cfg\nphone=300@127.0.0.30 snom.cfg admin s3cret\n";
    const { connect, phones, c } = await companion({
      clock,
      phonesFile: "/etc/24u.cfg",
      readPhonesFile: async () => text,
    });
    const a = await connect();
    assert.equal(await a.command("MakeCall 101 1"), "error_ind SUCCESS MakeCall");
    assert.equal(await a.command("MakeCall 300 1"), "error_ind SUCCESS MakeCall");
    assert.equal(await a.command("MakeCall 102 1"), "error_ind SUCCESS MakeCall", "a room's phone");
    assert.deepEqual(
      phones.requests.map((r) => r.ip),
      ["127.0.0.11", "127.0.0.30", "127.0.0.2"],
    );
    assert.deepEqual(
      phones.phones.map((p) => [p.source, p.user ?? null, p.password ?? null]),
      [
        ["phones-file", null, null],
        ["phones-file", "admin", "s3cret"],
        ["room", null, null],
      ],
    );

    text = "phone=301@127.0.0.31 snom.cfg\n";
    clock.advance(5000);
    await c.phonesFile?.idle();
    phones.requests.length = 0;
    assert.equal(await a.command("MakeCall 300 1"), "error_ind ERROR MakeCall", "removed from the file");
    assert.equal(await a.command("MakeCall 301 1"), "error_ind SUCCESS MakeCall", "added to the file");
    assert.equal(await a.command("MakeCall 101 1"), "error_ind SUCCESS MakeCall", "back to the room's phone");
    assert.deepEqual(
      phones.requests.map((r) => r.ip),
      ["127.0.0.31", "127.0.0.1"],
    );

    text = "phone=301@not-an-ip snom.cfg\n";
    clock.advance(5000);
    await c.phonesFile?.idle();
    assert.equal(await a.command("MakeCall 301 1"), "error_ind SUCCESS MakeCall", "the last good file stays");
    assert.match(c.status().phonesFile?.error ?? "", /line 1/);
  });
});
