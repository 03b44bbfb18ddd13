/**
 * A VOIspeed link commissioned as a support engineer would: the whole appliance (staff API over HTTP,
 * FIAS link to the PMS simulator over TCP, job runner, the real VOIspeed driver) against the VOIspeed
 * simulator (src/sim/voispeed) on 127.0.0.1, its notification and IVR-script URLs pointing at the
 * appliance's callback endpoints. Only the shipped defaults where the issue (13 §5) does not ask for
 * a setting: the default ivrNodes replies against the simulator's hotel IVR as it ships.
 *
 * Proven elsewhere end to end, not repeated here (test/api/voispeed-appliance-sim.test.ts): an outgoing
 * call whose every event arrives twice → one record completed by get_call_report; a one-shot IVR entry
 * → RE RS queued; events with a wrong key → 403; cmd_failed → the DND job runs again. Outside-network
 * refusals in process with forged addresses: test/api/voispeed-appliance.test.ts.
 *
 * Link "vs" is the good one (vacantMode away, one retry); link "vs-wrong" points at the same simulator
 * with a wrong token and callbackNetworks that exclude 127.0.0.1. Both have the packet log on, so the
 * last test can check that no token reached a log line or an API answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { serve } from "../../src/runtime/serve.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { VoispeedSimulator } from "../../src/sim/voispeed/simulator.ts";
import { HOTEL_IVR_ID } from "../../src/sim/voispeed/state.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, explained, HOST } from "./support.ts";

const GOOD_TOKEN = "vs-module-token-GOOD-7f3a9c";
const WRONG_TOKEN = "vs-module-token-WRONG-91c2e4";
const KEY = "notify-key-vs-0123456789abcdef";
const WRONG_LINK_KEY = "notify-key-vs-wrong-fedcba9876543210";
const STAMP = "GA261120|GD261127|GSN|";

/** Our own time limit above the 5 s waits inside, so a failing wait names what it waited for. */
function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 15_000 }, fn);
}

interface JobView {
  id: number;
  link: string;
  room: string | null;
  op: string;
  state: string;
  attempts: number;
  lastError: string | null;
}

interface LinkView {
  name: string;
  state: string;
  lastError: { at: string; message: string } | null;
  queueDepth: number;
  deadLetters: number;
}

describe("VOIspeed link commissioned against the simulators (PMS over FIAS/TCP, VOIspeed over HTTP)", () => {
  const logger = memoryLogger();
  /** Every API answer's text, for the last test: no token in any of them. */
  const answers: string[] = [];
  let vs: VoispeedSimulator;
  let pms: PmsSimulator;
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;
  let admin: string;
  let api: string;

  before(async () => {
    vs = new VoispeedSimulator({ users: 6, firstExtension: 101, token: GOOD_TOKEN });
    const vsPort = await vs.listen(0, HOST);
    pms = new PmsSimulator({ hotel: generateHotel({ rooms: 6, occupancy: 0 }) });
    const pmsPort = await pms.listen(0, HOST);
    const url = `http://127.0.0.1:${vsPort}/PBX/seri_endpoint.php`;
    t = tempDir("bellhop-vs-int-");
    app = await startAppliance({
      config: parseConfig({
        site: { timezone: "Europe/Rome" },
        api: { listen: "127.0.0.1:0" },
        pms: { mode: "client", host: HOST, port: pmsPort },
        pbx: {
          pollMs: 50,
          links: [
            {
              type: "voispeed",
              name: "vs",
              url,
              token: GOOD_TOKEN,
              notifyKey: KEY,
              vacantMode: "away",
              retries: 1,
              intervalSeconds: 1,
              debug: true,
              ivrNodes: { [`${HOTEL_IVR_ID}/0`]: "housekeeping" },
            },
            {
              type: "voispeed",
              name: "vs-wrong",
              url,
              token: WRONG_TOKEN,
              notifyKey: WRONG_LINK_KEY,
              callbackNetworks: ["192.0.2.0/24"],
              intervalSeconds: 1,
              debug: true,
            },
          ],
        },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger,
      version: "t",
      serve,
      link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 500 } },
    });
    api = `http://127.0.0.1:${app.apiPort}/api/v1`;
    // As configured on the PBX: the integration module's notification URL, the IVR node's script URL.
    vs.notifyUrl = `${api}/pbx/voispeed/vs/events?key=${KEY}`;
    const root = vs.state.ivrs.find((i) => i.id === HOTEL_IVR_ID)?.nodes.find((n) => n.parent_id === -1);
    assert.ok(root, "the simulator's hotel IVR");
    root.script = `${api}/pbx/voispeed/vs/ivr?key=${KEY}`;
    admin = await app.store.tx((tx) => createToken(tx, "engineer", "admin", Date.now()));
    await pms.whenLinked(5000);
    await eventually("the appliance linked to the PMS", () => app.link.state === "linked");
  });

  after(async () => {
    await app?.stop();
    await pms?.close();
    await vs?.close();
    t?.cleanup();
  });

  /** A staff API call with the engineer's token; every answer is kept for the token check. */
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  const jobs = async (query: string) => ((await call("GET", `/pbx/jobs?${query}`)).json as { jobs: JobView[] }).jobs;
  const links = async () => ((await call("GET", "/pbx/links")).json as { links: LinkView[] }).links;
  const contact = (room: string) => vs.contacts().filter((c) => c.uc_external_id === `room-${room}`);
  const mode = (ext: string) => vs.user(ext)?.mode;

  /** What the simulator saw and the appliance's jobs, appended to a failed wait's error. */
  const diag = () =>
    [
      "VOIspeed requests (last 12):",
      ...vs.requests
        .slice(-12)
        .map(
          (r) =>
            `  ${r.service} ${JSON.stringify({ ...r.params, token: undefined })} → ${r.status} outcome ${r.outcome}${r.error ? ` ${r.error}` : ""}`,
        ),
      `events: ${vs.events
        .slice(-8)
        .map((e) => `${e.name}:${e.status}`)
        .join(" ")}`,
    ].join("\n");
  const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 5000) =>
    explained(eventually(what, cond, ms, 10), diag);

  /** Records from the PMS, then until every job of link vs is settled and the simulator is quiet. */
  async function fromPms(...records: string[]): Promise<void> {
    const mark = app.ingest.applied + app.ingest.failed;
    for (const r of records) pms.send(r);
    await eventually("the PMS records applied", () => app.ingest.applied + app.ingest.failed >= mark + records.length);
    await app.ingest.idle();
  }
  async function settled(): Promise<void> {
    await until("link vs idle", async () => (await jobs("link=vs&state=pending")).length === 0);
    await vs.idle();
  }

  it("check-in (GI) → a phonebook contact with the guest's name for the room's extension; GC → updated", async () => {
    await fromPms(`GI|RN101|G#5101|GNRossi|GFAnna|GTMrs.|GLEA|${STAMP}`);
    await until("the contact of room 101", () => contact("101").length === 1);
    const [c] = contact("101");
    assert.match(c?.name ?? "", /Anna Rossi/);
    assert.deepEqual([c?.numoffice, c?.uc_app_name], ["101", "bellhop"]);
    const id = c?.contactId;
    await settled();
    const normal = vs.requests.filter((r) => r.service === "set_user_mode" && r.params.ext === "101");
    assert.deepEqual(
      normal.map((r) => [r.params.mode, r.outcome]),
      [["1", "0"]],
      "check-in puts the user to normal first (vacantMode away)",
    );

    await fromPms(`GC|RN101|G#5101|GNBianchi|GFAnna|GTMrs.|${STAMP}`);
    await until("the new name", () => /Bianchi/.test(contact("101")[0]?.name ?? ""));
    assert.equal(contact("101").length, 1, "an upsert, not a second contact");
    assert.equal(contact("101")[0]?.contactId, id);
    await settled();
  });

  it('check-out (GO) → the contact deleted and the user Absent (vacantMode "away"); the next GI → normal', async () => {
    await fromPms("GO|RN101|G#5101|");
    await until("contact deleted and user Absent", () => contact("101").length === 0 && mode("101") === 3);
    const del = vs.requests.filter((r) => r.service === "delete_phonebook").at(-1);
    assert.deepEqual(
      [del?.params.app_name, del?.params.external_contact_id, del?.outcome],
      ["bellhop", "room-101", "0"],
    );
    await settled();

    await fromPms(`GI|RN101|G#5102|GNNeri|GFLuca|GTMr.|GLEA|${STAMP}`);
    await until("user normal, the new guest's contact", () => mode("101") === 1 && contact("101").length === 1);
    assert.match(contact("101")[0]?.name ?? "", /Luca Neri/);
    await settled();
    assert.deepEqual(await jobs("link=vs&state=dead"), [], "no dead letters");
  });

  it("DND: RE DN Y/N from the PMS, then on/off through the room API → mode 2 and back to 1", async () => {
    await fromPms("RE|RN101|DNY|");
    await until("DND from the PMS", () => mode("101") === 2);
    await settled();
    await fromPms("RE|RN101|DNN|");
    await until("DND off from the PMS", () => mode("101") === 1);
    await settled();
    assert.equal((await call("PATCH", "/rooms/101", { dnd: true })).status, 200);
    await until("DND from the API", () => mode("101") === 2);
    await settled();
    assert.equal((await call("PATCH", "/rooms/101", { dnd: false })).status, 200);
    await until("DND off from the API", () => mode("101") === 1);
    await settled();
    const modes = vs.requests.filter((r) => r.service === "set_user_mode" && r.params.ext === "101");
    assert.deepEqual(
      modes.slice(-4).map((r) => r.params.mode),
      ["2", "1", "2", "1"],
    );
  });

  it("cmd_failed after an accepted set_user_mode → the job reopened and retried; retries used → a dead letter naming VOIspeed's error", async () => {
    await fromPms(`GI|RN103|G#5103|GNVerdi|GFGiulia|${STAMP}`);
    await until("room 103 checked in", () => contact("103").length === 1);
    await settled();
    const error = "utente 103 non raggiungibile";
    vs.failNext("103", 2, error);
    await fromPms("RE|RN103|DNY|");
    // First attempt accepted, then failed by cmd_failed: pending again (retries: 1, intervalSeconds: 1).
    await until(
      "the DND job reopened",
      async () =>
        (await jobs("link=vs&state=pending")).some(
          (j) => j.room === "103" && j.op === "dnd" && j.attempts === 1 && (j.lastError ?? "").includes(error),
        ),
      3000,
    );
    await until("the DND job dead", async () => (await jobs("link=vs&state=dead")).length === 1, 5000);
    const [dead] = await jobs("link=vs&state=dead");
    assert.deepEqual([dead?.room, dead?.op, dead?.attempts], ["103", "dnd", 2]);
    assert.match(dead?.lastError ?? "", new RegExp(`VOIspeed cmd_failed: ${error}`));
    const sent = vs.requests.filter((r) => r.service === "set_user_mode" && r.params.ext === "103");
    assert.deepEqual(
      sent.slice(-2).map((r) => [r.params.mode, r.outcome]),
      [
        ["2", "0"],
        ["2", "0"],
      ],
      "accepted twice",
    );
    const failed = vs.events.filter((e) => e.name === "cmd_failed" && e.params.ext === "103");
    assert.deepEqual(
      failed.map((e) => [e.params.request_id, e.status]),
      sent.slice(-2).map((r) => [r.requestId, 200]),
    );
    assert.equal(mode("103"), 1, "VOIspeed never set it");
    const vsLink = (await links()).find((l) => l.name === "vs");
    assert.equal(vsLink?.deadLetters, 1);
  });

  it("a wrong token → GET /api/v1/pbx/links shows the link in error with VOIspeed's reason", async () => {
    const all = await links();
    const wrong = all.find((l) => l.name === "vs-wrong");
    assert.equal(wrong?.state, "error");
    assert.match(wrong?.lastError?.message ?? "", /start-up probe failed: VOIspeed refused get_entities/);
    assert.match(
      wrong?.lastError?.message ?? "",
      /invalid token \(check the link's token and the integration module\)/,
    );
    assert.ok((wrong?.queueDepth ?? 0) > 0, "its jobs wait for the token to be fixed");
    assert.equal(all.find((l) => l.name === "vs")?.state, "ok");
    // The simulator really was asked with the wrong token, and refused it.
    assert.ok(vs.requests.some((r) => r.params.token === WRONG_TOKEN && r.outcome === "1"));
  });

  it("events from outside the link's callbackNetworks → 403 (a wrong key: test/api/voispeed-appliance-sim.test.ts)", async () => {
    // The simulator (127.0.0.1) sends to vs-wrong's URL with that link's own key: only the network is wrong.
    vs.notifyUrl = `${api}/pbx/voispeed/vs-wrong/events?key=${WRONG_LINK_KEY}`;
    try {
      await vs.newVoicemail("101");
    } finally {
      vs.notifyUrl = `${api}/pbx/voispeed/vs/events?key=${KEY}`;
    }
    assert.deepEqual([vs.events.at(-1)?.name, vs.events.at(-1)?.status], ["new_voicemail", 403]);
    const res = await fetch(`${api}/pbx/voispeed/vs-wrong/ivr?key=${WRONG_LINK_KEY}&ivrid=9&nodeid=0`);
    const body = await res.text();
    answers.push(body);
    assert.equal(res.status, 403);
    assert.match(body, /not accepted from 127\.0\.0\.1: not in callbackNetworks/);
    assert.ok(
      logger.lines.some(
        (l) => l.msg === "VOIspeed callback refused: not from callbackNetworks" && l.link === "vs-wrong",
      ),
      "logged",
    );
    // The same event to the right link is taken.
    await vs.newVoicemail("101");
    assert.equal(vs.events.at(-1)?.status, 200);
  });

  it("an incoming call answered by the room, its events sent twice → exactly one call record", async () => {
    const caller = "0698765432";
    const before = vs.events.length;
    vs.duplicateEvents(1000);
    try {
      await vs.placeCall(caller, "101", { answer: true, ringSeconds: 4, talkSeconds: 75, hangupBy: "caller" });
      await vs.idle();
    } finally {
      vs.notifier.duplicateNext = 0;
    }
    const sent = vs.events.slice(before);
    assert.ok(sent.length >= 4 && sent.filter((e) => e.copy === 2).length === sent.length / 2, "each event twice");
    assert.deepEqual(
      sent.filter((e) => e.status !== 200).map((e) => `${e.name} ${e.status}`),
      [],
    );
    const records = async () =>
      ((await call("GET", "/calls?room=101")).json as { calls: Record<string, unknown>[] }).calls.filter(
        (c) => c.number === caller,
      );
    await until("the call record", async () => (await records()).length > 0);
    await app.callRecords?.idle();
    const rows = await records();
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0]?.direction, rows[0]?.extension, rows[0]?.talkSeconds, rows[0]?.outcomeName, rows[0]?.internal],
      ["in", "101", 75, "ok", false],
    );
    const count = await app.store.client.execute({
      sql: "select count(*) as n from call_records where link = 'vs' and number = ?",
      args: [caller],
    });
    assert.equal(Number(count.rows[0]?.n), 1, "one row in the store");
  });

  it("IVR housekeeping through the simulator's hotel IVR → RE|RN101|RS…| at the PMS; a bad entry → the Error child", async () => {
    const bad = await vs.ivrCall("101", "500");
    const wrong = await vs.ivrInput({ callid: bad.callId, input: "9" });
    assert.deepEqual(
      [wrong.steps[0]?.status, wrong.steps[0]?.command, wrong.nodeid, wrong.state],
      [200, 1, 1, "idle"],
      "the Error child (key 1)",
    );
    await vs.hangupCall(bad.callId);

    const good = await vs.ivrCall("101", "500");
    assert.equal(good.state, "active");
    const ok = await vs.ivrInput({ callid: good.callId, input: "312#" });
    assert.deepEqual(
      [ok.steps[0]?.query.calling, ok.steps[0]?.query.input, ok.steps[0]?.lineEnding, ok.nodeid],
      ["101", "312#", "crlf", 2],
      "the OK child (key 2)",
    );
    assert.deepEqual(
      vs.ivr.prompts.filter((p) => p.callid === good.callId).map((p) => p.audio_message),
      ["enter_code.wav", "ok.wav"],
    );
    await vs.hangupCall(good.callId);
    const re = await explained(pms.waitFor("RE|RN101|RS3|", 5000), diag);
    assert.equal(re.fields.ID, "12", "the maid's id");
    const rs = pms.received.filter((r) => r.record.type === "RE" && r.record.fields.RS !== undefined);
    assert.equal(rs.length, 1, "the bad entry sent nothing");
  });

  it("no token in any API answer or log line (packet logs on)", async () => {
    answers.push(JSON.stringify((await call("GET", "/pbx/links")).json));
    answers.push(JSON.stringify((await call("GET", "/pbx/jobs?limit=500")).json));
    answers.push(JSON.stringify((await call("GET", "/audit")).json));
    answers.push(JSON.stringify((await call("GET", "/health")).json));
    const said = answers.join("\n");
    const logged = logger.lines.map((l) => JSON.stringify(l)).join("\n");
    assert.ok(
      logger.lines.some((l) => l.msg === "voispeed packet"),
      "the packet log was on",
    );
    assert.match(logged, /token=\*\*\*/, "masked in the packet log");
    for (const secret of [GOOD_TOKEN, WRONG_TOKEN, KEY, WRONG_LINK_KEY]) {
      assert.ok(!said.includes(secret), `an API answer holds ${secret.slice(0, 12)}…`);
      assert.ok(!logged.includes(secret), `a log line holds ${secret.slice(0, 12)}…`);
      assert.ok(!logged.includes(secret.slice(0, 16)), "nor a part of it");
    }
  });
});
