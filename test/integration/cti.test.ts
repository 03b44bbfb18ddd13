/**
 * The 24U Phone Companion compatible CTI server end to end (issue 14 §4): the whole appliance (CTI
 * server on a free port, staff API over HTTP taking the phones' callbacks, the real SNOM client)
 * against simulated SNOM phones (src/sim/snom) on 127.0.0.2…127.0.0.4 with one common port, and
 * plain node:net clients speaking STLI as the 24U plug-in would.
 *
 * Phones 201 and 202 come from a 24U phones file with their own web user and password (Digest); 203 is
 * room 203's phone (PUT /api/v1/rooms), driven with the SNOM link's credentials. The server's own
 * rules are proven with fake phones in test/cti/server.test.ts (every command's key, arity, caps,
 * DeviceInformation=Off, the phones file reloading); here the point is the real client against the
 * simulator: the phones really dial and answer, the action URLs MonitorStart sets really fire from
 * the phone's address, and the events really reach the channels.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { serve } from "../../src/runtime/serve.ts";
import { SnomSimulator } from "../../src/sim/snom/simulator.ts";
import { createToken } from "../../src/store/tokens.ts";
import { StliClient } from "../cti/support.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { explained, freePort } from "./support.ts";

const LINK_USER = "admin";
const LINK_PASSWORD = "snom-link-pw-7731";
const FILE_USER = "cti";
const FILE_PASSWORD = "cti-file-pw-5520";
const CALLER = "0612345678";

function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 20_000 }, fn);
}

describe("CTI server end to end: STLI clients over TCP, simulated SNOM phones over HTTP", () => {
  const logger = memoryLogger();
  const clients: StliClient[] = [];
  let sim: SnomSimulator;
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;
  let admin: string;
  let api: string;
  let ctiPort: number;

  before(async () => {
    // Phones 1, 2 (201, 202): the phones file's credentials; phone 3 (203): the link's.
    sim = new SnomSimulator({
      phones: 3,
      firstExtension: 201,
      auth: "digest",
      announce: false,
      actionTimeoutMs: 2000,
      perPhone: (n) =>
        n <= 2 ? { user: FILE_USER, password: FILE_PASSWORD } : { user: LINK_USER, password: LINK_PASSWORD },
    });
    const [{ port: phonePort }] = await sim.listen(0, "127.0.0.2");
    t = tempDir("bellhop-cti-int-");
    const phonesFile = join(t.dir, "24u-server.cfg");
    writeFileSync(
      phonesFile,
      [
        "# 24U Phone Companion Server",
        "serverPort = 26535",
        `phone=201@127.0.0.2:${phonePort} snom-201.cfg ${FILE_USER} ${FILE_PASSWORD}`,
        `phone=202@127.0.0.3 snom-202.cfg ${FILE_USER} ${FILE_PASSWORD}`,
        "",
      ].join("\n"),
    );
    const apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}/api/v1`;
    app = await startAppliance({
      config: parseConfig({
        api: { listen: `127.0.0.1:${apiPort}` },
        pms: { port: await freePort() },
        pbx: {
          pollMs: 50,
          links: [
            {
              type: "snom",
              name: "phones",
              httpPort: phonePort,
              username: LINK_USER,
              password: LINK_PASSWORD,
              timeoutSeconds: 1,
            },
          ],
        },
        // Only 127.0.0.1 may open a channel (the refused client below connects from 127.0.0.9).
        companion: { listen: "127.0.0.1:0", networks: ["127.0.0.1/32"], phonesFile },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger,
      version: "t",
      serve,
    });
    assert.ok(app.cti?.port, "the CTI server listens");
    ctiPort = app.cti.port;
    admin = await app.store.tx((tx) => createToken(tx, "engineer", "admin", Date.now()));
    const put = await fetch(`${api}/rooms/203`, {
      method: "PUT",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ phone: { address: "127.0.0.4:5060" } }),
    });
    assert.equal(put.status, 201);
  });

  after(async () => {
    for (const c of clients) c.close();
    await app?.stop();
    await sim?.close();
    t?.cleanup();
  });

  async function connect(): Promise<StliClient> {
    const c = await StliClient.connect(ctiPort);
    clients.push(c);
    return c;
  }

  async function status(): Promise<{
    dropped: { refused: number };
    callbacks: { accepted: number; refused: number };
    channels: { monitored: string[] }[];
    phonesFile: { phones: number; error: string | null } | null;
  }> {
    const res = await fetch(`${api}/cti`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    return res.json() as never;
  }

  const phone = (ext: string) => {
    const p = sim.byExtension(ext);
    assert.ok(p, `phone ${ext}`);
    return p;
  };

  const diag = () =>
    [
      "phone requests (last 8):",
      ...sim.requests.slice(-8).map((r) => `  ${r.ip} ${r.path}?${r.query} → ${r.status} auth ${r.auth}`),
      "action URLs fired (last 8):",
      ...sim.phones
        .flatMap((p) => p.fired.map((a) => ({ ip: p.ip, a })))
        .sort((x, y) => x.a.at - y.a.at)
        .slice(-8)
        .map(({ ip, a }) => `  ${ip} ${a.event} ${a.url} → ${a.status ?? a.error}`),
    ].join("\n");

  // A channel's replies come in command order, its events in event order, but the two interleave as
  // they happen (an Established may overtake the AnswerCall's reply): each is read on its own.
  const isReply = (l: string) => l.startsWith("error_ind ");
  const replies = (c: StliClient) => c.lines.filter(isReply);
  const eventLines = (c: StliClient) => c.lines.filter((l) => !isReply(l));
  const eventsTaken = new Map<StliClient, number>();

  /** Sends one line (CR LF) and resolves to its reply. */
  async function ask(c: StliClient, line: string | Uint8Array, ms = 5000): Promise<string> {
    const n = replies(c).length;
    c.send(typeof line === "string" ? `${line}\r\n` : line);
    await explained(
      c.until("a reply", () => replies(c).length > n, ms),
      diag,
    );
    return replies(c)[n] as string;
  }

  /** The next `n` event lines of `c`, in order. */
  async function events(c: StliClient, n: number, ms = 5000): Promise<string[]> {
    const from = eventsTaken.get(c) ?? 0;
    await explained(
      c.until(`${n} event line(s)`, () => eventLines(c).length >= from + n, ms),
      diag,
    );
    eventsTaken.set(c, from + n);
    return eventLines(c).slice(from, from + n);
  }

  /** Event lines not read yet. */
  const unreadEvents = (c: StliClient) => eventLines(c).slice(eventsTaken.get(c) ?? 0);

  it("handshake: STLI with and without options → SUCCESS; BYE → SUCCESS and the server closes", async () => {
    const a = await connect();
    assert.equal(await a.command("STLI;Version=2;DeviceInformation=Standard"), "error_ind SUCCESS STLI");
    assert.equal(await a.command("STLI", "\n"), "error_ind SUCCESS STLI", "LF alone");
    assert.equal(await a.command("BYE"), "error_ind SUCCESS BYE");
    await a.waitClosed();
    assert.match(a.raw, /^error_ind SUCCESS STLI\r\nerror_ind SUCCESS STLI\r\nerror_ind SUCCESS BYE\r\n$/);
    const st = await status();
    assert.equal(st.phonesFile?.phones, 2);
    assert.equal(st.phonesFile?.error, null);
  });

  it("MakeCall A B → phone A dials B (phones file's and the room's phone, each with its own credentials); unknown or down → ERROR", async () => {
    const a = await connect();
    await a.command("STLI");
    assert.equal(await a.command(`MakeCall 201 ${CALLER}`), "error_ind SUCCESS MakeCall");
    const p1 = phone("201");
    assert.equal(p1.lastDialed, CALLER);
    assert.deepEqual(
      p1.calls.live.map((c) => [c.direction, c.remote, c.state]),
      [["out", CALLER, "calling"]],
    );
    const dial = p1.requests.filter((r) => r.path === "/command.htm");
    assert.deepEqual(
      dial.map((r) => [r.params.number, r.status, r.auth]),
      [
        [CALLER, 401, "missing"],
        [CALLER, 200, "ok"],
      ],
      "Digest with the phones file's user and password (the link's would be refused)",
    );
    p1.remoteHangup();

    assert.equal(await a.command("MakeCall 203 202"), "error_ind SUCCESS MakeCall", "the room's phone");
    assert.equal(phone("203").lastDialed, "202");
    phone("203").remoteHangup();

    assert.equal(await a.command("MakeCall 299 202"), "error_ind ERROR MakeCall", "no phone for 299");
    await phone("202").down();
    try {
      assert.equal(await a.command("MakeCall 202 201"), "error_ind ERROR MakeCall", "phone 202 unreachable");
    } finally {
      await phone("202").up();
    }
    assert.equal(await a.command("MakeCall 202 201"), "error_ind SUCCESS MakeCall", "back up");
    assert.equal(phone("202").lastDialed, "201");
    phone("202").remoteHangup();
  });

  it("monitoring 202 on two channels: an incoming call answered by AnswerCall and hung up → Delivered, Established, ConnectionCleared on both, in order, not on a third", async () => {
    const [a, b, x] = [await connect(), await connect(), await connect()];
    for (const c of [a, b, x]) assert.equal(await ask(c, "STLI;Version=2"), "error_ind SUCCESS STLI");
    assert.equal(await ask(a, "MonitorStart 202"), "error_ind SUCCESS MonitorStart");
    assert.equal(await ask(b, "MonitorStart 202"), "error_ind SUCCESS MonitorStart");
    assert.equal(await ask(x, "MonitorStart 201"), "error_ind SUCCESS MonitorStart");
    const p2 = phone("202");
    assert.equal(
      p2.settings.get("action_incoming_url"),
      `${api}/cti/snom/202/incoming?remote=$remote&call=$call-id`,
      "the phone points at the staff API",
    );
    assert.deepEqual(
      (await status()).channels.map((c) => c.monitored).filter((m) => m.length),
      [["202"], ["202"], ["201"]],
    );

    const call = p2.incoming(CALLER, { name: "Anna Rossi" });
    const expected = [
      `Delivered 202 newCall 202 ${CALLER} 202 ""`,
      "DeviceInformation 202 1 (alerting)",
      `Established 202 "" 202 ${CALLER} 202 ""`,
      'ConnectionCleared 202 normalClearing 202 ""',
      "DeviceInformation 202 0 (idle)",
    ];
    assert.deepEqual(await events(a, 2), expected.slice(0, 2));
    // The desk software answers: the phone takes the call off hook.
    assert.equal(await ask(a, "AnswerCall 202"), "error_ind SUCCESS AnswerCall");
    assert.equal(call.state, "talking");
    assert.deepEqual(await events(a, 1), expected.slice(2, 3));
    p2.remoteHangup(call.id);
    assert.deepEqual(await events(a, 2), expected.slice(3));
    assert.deepEqual(await events(b, 5), expected);
    await sim.idle();
    assert.deepEqual(
      p2.fired.map((f) => [f.event, f.status]),
      [
        ["incoming", 200],
        ["connected", 200],
        ["disconnected", 200],
      ],
      "the phone's action URLs, from 127.0.0.3, all accepted",
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unreadEvents(x), [], "the channel monitoring 201 got nothing of 202");

    // An outgoing call of 201 reaches only x; MakeCall marks it makeCall.
    assert.equal(await ask(x, "MakeCall 201 203"), "error_ind SUCCESS MakeCall");
    phone("201").remoteAnswer();
    phone("201").remoteHangup();
    assert.deepEqual(await events(x, 5), [
      "Originated 201 makeCall 201 203 201",
      "DeviceInformation 201 1 (initiated)",
      'Established 201 "" 203 201 203 ""',
      'ConnectionCleared 201 normalClearing 201 ""',
      "DeviceInformation 201 0 (idle)",
    ]);

    // MonitorStop on b: the next call reaches a only.
    assert.equal(await ask(b, "MonitorStop 202"), "error_ind SUCCESS MonitorStop");
    const missed = p2.incoming("0698765432");
    p2.remoteHangup(missed.id);
    assert.deepEqual(await events(a, 4), [
      'Delivered 202 newCall 202 0698765432 202 ""',
      "DeviceInformation 202 1 (alerting)",
      'ConnectionCleared 202 normalClearing 0698765432 ""',
      "DeviceInformation 202 0 (idle)",
    ]);
    await sim.idle();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([unreadEvents(b), unreadEvents(x)], [[], []]);
    // 202: incoming, connected, disconnected, then incoming, missed, disconnected; 201: outgoing, connected, disconnected.
    assert.deepEqual((await status()).callbacks, { accepted: 9, refused: 0 });
    for (const c of [a, b, x]) c.close();
  });

  it("a client from outside companion.networks (127.0.0.9) is closed at once, unanswered, and counted", async () => {
    const before = (await status()).dropped.refused;
    const asked = sim.requests.length;
    const sock = net.createConnection({ host: "127.0.0.1", port: ctiPort, localAddress: "127.0.0.9" });
    let got = "";
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      got += d;
    });
    sock.on("error", () => {});
    sock.on("connect", () => sock.write(`STLI\r\nMakeCall 201 ${CALLER}\r\n`));
    await new Promise<void>((resolve) => sock.once("close", () => resolve()));
    assert.equal(got, "", "not a byte answered");
    assert.equal((await status()).dropped.refused, before + 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sim.requests.length, asked, "its MakeCall reached no phone");
  });

  it("garbage lines and a 1 MB line → error_ind ERROR; the channel, the other channels and the API go on serving", async () => {
    const g = await connect();
    const m = await connect();
    assert.equal(await ask(m, "MonitorStart 202"), "error_ind SUCCESS MonitorStart");
    assert.equal(await ask(g, Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a])), "error_ind ERROR Unknown");
    assert.equal(await ask(g, "Hello there, server"), "error_ind ERROR Hello");
    assert.equal(await ask(g, "MakeCall 201"), "error_ind ERROR MakeCall", "wrong arity");
    assert.equal(await ask(g, '{"provider":"x","method":"GET"}'), "error_ind ERROR RawCommand");
    assert.equal(await ask(g, `MonitorStart ${"2".repeat(1024 * 1024)}`, 10_000), "error_ind ERROR MonitorStart");
    assert.equal(await ask(g, "STLI"), "error_ind SUCCESS STLI", "the same channel still served");
    assert.ok(!g.closed);

    // Meanwhile the other channel's phone rings and its events arrive.
    const p2 = phone("202");
    const c = p2.incoming(CALLER);
    p2.remoteHangup(c.id);
    assert.deepEqual(await events(m, 4), [
      `Delivered 202 newCall 202 ${CALLER} 202 ""`,
      "DeviceInformation 202 1 (alerting)",
      `ConnectionCleared 202 normalClearing ${CALLER} ""`,
      "DeviceInformation 202 0 (idle)",
    ]);
    assert.equal(await ask(m, `MakeCall 201 ${CALLER}`), "error_ind SUCCESS MakeCall", "other channels served");
    phone("201").remoteHangup();
    const health = await fetch(`${api}/health`);
    assert.equal(health.status, 200, "the appliance goes on");
    assert.deepEqual(eventLines(g), [], "no event on a channel that monitors nothing");
  });
});
