/**
 * The VOIspeed driver against a scripted SERI endpoint (seri-server.ts): the requests it sends for
 * each op, what it makes of the replies, the start-up probe, trust, pacing and secrets.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PbxOp } from "../../../src/domain/pbx-ops.ts";
import { PbxJobRunner } from "../../../src/jobs/runner.ts";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { PbxError } from "../../../src/pbx/driver.ts";
import { createDriver } from "../../../src/pbx/factory.ts";
import { parseVoispeedLinkConfig, type VoispeedLinkInput } from "../../../src/pbx/voispeed/config.ts";
import {
  contactExternalId,
  createVoispeedDriver,
  NAMES_OFF,
  type VoispeedDriver,
  voispeedNotOffered,
} from "../../../src/pbx/voispeed/driver.ts";
import { renderResult } from "../../../src/pbx/voispeed/wire.ts";
import { pemFingerprint, selfSignedCertificate } from "../../../src/sim/ucm/simulator.ts";
import { tempStore } from "../../helpers/store.ts";
import { peerSkip } from "../../peers/available.ts";
import { ScriptedSeri } from "./seri-server.ts";

const NOTIFY_KEY = "notify-key-0123456789";
const servers: ScriptedSeri[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(
  opts: { link?: Partial<VoispeedLinkInput>; debug?: boolean; server?: ScriptedSeri; clock?: FakeClock } = {},
) {
  const server = opts.server ?? new ScriptedSeri();
  servers.push(server);
  const port = await server.listen();
  const logger = memoryLogger();
  const config = parseVoispeedLinkConfig({
    type: "voispeed",
    name: "vs",
    url: `http://127.0.0.1:${port}/PBX/seri_endpoint.php`,
    token: server.token,
    notifyKey: NOTIFY_KEY,
    timeoutSeconds: 2,
    ratePerSecond: 1000,
    ...opts.link,
  });
  const driver = createVoispeedDriver(config, { logger, debug: () => opts.debug ?? false, clock: opts.clock });
  return { server, driver, logger, config, port };
}

const dnd = (on: boolean, extension = "2101", room = "101"): PbxOp => ({ op: "dnd", room, extension, dnd: on });
const checkin = (name = "Mr John Smith 2101", room = "101", extension = "2101"): PbxOp => ({
  op: "checkin",
  room,
  extension,
  name,
  arrival: "2026-11-20",
  departure: "2026-11-24",
  vip: "",
  language: "E",
  classOfService: 3,
});
const checkout = (room = "101", extension = "2101"): PbxOp => ({
  op: "checkout",
  room,
  extension,
  name: `Vacant ${extension}`,
});
const nameOp = (name: string, occupied = true): PbxOp => ({
  op: "name",
  room: "101",
  extension: "2101",
  name,
  occupied,
});

async function rejects(p: Promise<unknown>, check: (e: PbxError) => void): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PbxError, `expected a PbxError, got ${err}`);
    check(err);
    return true;
  });
}

describe("VOIspeed driver: probe", () => {
  test("get_entities maps extensions to user ids; the capabilities VOIspeed offers", async () => {
    const { driver, server } = await setup();
    const caps = await driver.probe?.();
    assert.deepEqual(caps, ["names", "checkin-state", "dnd"]);
    const [r] = server.of("get_entities");
    assert.equal(r.method, "GET");
    assert.equal(r.path, "/PBX/seri_endpoint.php");
    assert.deepEqual(r.query, { service: "get_entities", token: server.token, entity_type: "0" });
    assert.equal(driver.userId("2101"), "7", "values are trimmed");
    assert.equal(driver.userId("2103"), "9");
    assert.equal(driver.info().users, 3);
    assert.deepEqual(Object.keys(driver.unavailable ?? {}).sort(), [
      "class-of-service",
      "guest-info",
      "message-lamp",
      "voicemail-cleanup",
    ]);
  });

  test("a wrong token fails the probe with VOIspeed's text and a hint, for good", async () => {
    const { driver, server } = await setup();
    server.token = "another-token";
    await rejects(driver.probe?.() as Promise<unknown>, (e) => {
      assert.match(
        e.message,
        /^VOIspeed refused get_entities for the user list: invalid token \(check the link's token/,
      );
      assert.equal(e.retryable, false);
      assert.ok(!e.message.includes("seri-token-123"));
    });
  });

  test("an unreachable PBX fails the probe, retryably", async () => {
    const { driver, server } = await setup();
    await server.close();
    await rejects(driver.probe?.() as Promise<unknown>, (e) => {
      assert.match(e.message, /^VOIspeed 127\.0\.0\.1:\d+: ECONNREFUSED/);
      assert.equal(e.retryable, true);
    });
  });

  test("a wrong token shows on the link's status (GET /api/v1/pbx/links), the token nowhere", async () => {
    const t = await tempStore();
    try {
      const server = new ScriptedSeri();
      const configured = server.token;
      server.token = "the-token-voispeed-expects";
      server.override = (r) =>
        r.query.token === server.token ? undefined : ScriptedSeri.reject(`invalid token ${r.query.token}`);
      const { driver } = await setup({ server, link: { token: configured } });
      const runner = new PbxJobRunner(
        { store: t.store, clock: new FakeClock(), logger: memoryLogger(), pollMs: 1000 },
        [{ name: "vs", type: "voispeed", retries: 3, intervalSeconds: 60, driver }],
      );
      await runner.start();
      const [status] = await runner.status();
      await runner.stop();
      assert.equal(status.state, "error");
      assert.match(
        status.lastError?.message ?? "",
        /^start-up probe failed: VOIspeed refused get_entities for the user list: invalid token \*\*\* \(check the link's token/,
      );
      assert.ok(!JSON.stringify(status).includes(configured));
    } finally {
      t.cleanup();
    }
  });

  test("the factory makes it", async () => {
    const { config } = await setup();
    const d = await createDriver(config, { logger: memoryLogger(), debug: () => false });
    assert.equal(d.type, "voispeed");
  });
});

describe("VOIspeed driver: ops", () => {
  test("DND on → set_user_mode mode 2, off → mode 1; the request id is the job's external ref", async () => {
    const { driver, server } = await setup();
    await driver.probe?.();
    assert.deepEqual(await driver.execute(dnd(true)), { externalRef: "15652770917203" });
    assert.deepEqual(await driver.execute(dnd(false)), { externalRef: "15652770917204" });
    assert.deepEqual(
      server.of("set_user_mode").map((r) => r.query),
      [
        { service: "set_user_mode", token: server.token, ext: "2101", mode: "2" },
        { service: "set_user_mode", token: server.token, ext: "2101", mode: "1" },
      ],
    );
  });

  test("an accepted request without a request id is simply done", async () => {
    const { driver, server } = await setup();
    server.override = (r) => (r.query.service === "set_user_mode" ? { body: renderResult({ outcome: 0 }) } : undefined);
    assert.equal(await driver.execute(dnd(true)), undefined);
  });

  test("check-in: the guest's name as a phonebook contact of the extension (multipart POST, field contacts)", async () => {
    const { driver, server } = await setup();
    assert.equal(await driver.execute(checkin()), undefined);
    assert.equal(server.of("set_user_mode").length, 0, "vacantMode normal leaves the mode alone");
    const [r] = server.of("phonebook_import_sync");
    assert.equal(r.method, "POST");
    assert.deepEqual(r.query, { service: "phonebook_import_sync", token: server.token, verbose_output: "1" });
    assert.match(r.contentType, /^multipart\/form-data; boundary=/);
    assert.deepEqual(r.fields, ["contacts"]);
    assert.deepEqual(r.contacts, [
      {
        name: "Mr John Smith 2101",
        surname: "",
        company: "",
        numoffice: "2101",
        uc_app_name: "bellhop",
        uc_external_id: "room-101",
      },
    ]);
  });

  test("a name change updates the same contact; a vacant room's name sends nothing", async () => {
    const { driver, server } = await setup({ link: { appName: "hotel-pms" } });
    await driver.execute(checkin());
    await driver.execute(nameOp("Mrs Jane Smith 2101"));
    assert.equal(server.phonebook.size, 1);
    assert.equal(server.phonebook.get("hotel-pms/room-101")?.name, "Mrs Jane Smith 2101");
    const before = server.requests.length;
    assert.equal(await driver.execute(nameOp("Vacant 2101", false)), undefined);
    assert.equal(server.requests.length, before);
  });

  test("an empty rendered name still makes a contact", async () => {
    const { driver, server } = await setup();
    await driver.execute(checkin("   "));
    assert.equal((server.of("phonebook_import_sync")[0].contacts as { name: string }[])[0].name, "Room 101");
  });

  test("check-out deletes the contact by app name and external id; a second check-out is done too", async () => {
    const { driver, server } = await setup();
    await driver.execute(checkin());
    assert.equal(await driver.execute(checkout()), undefined);
    assert.deepEqual(server.of("delete_phonebook")[0].query, {
      service: "delete_phonebook",
      token: server.token,
      app_name: "bellhop",
      external_contact_id: contactExternalId("101"),
    });
    assert.equal(server.phonebook.size, 0);
    await driver.execute(checkout()); // VOIspeed: "contact not found"
    assert.equal(server.of("delete_phonebook").length, 2);
  });

  test('vacantMode "away": check-out bars the user (Absent), DND keeps it barred, check-in unbars it', async () => {
    const { driver, server } = await setup({ link: { vacantMode: "away" } });
    await driver.probe?.();
    await driver.execute(checkin());
    const out = await driver.execute(checkout());
    assert.ok(out && typeof out.externalRef === "string", "the mode's request id");
    await driver.execute(dnd(false)); // a check-out clears DND: the op follows it
    await driver.execute(dnd(true)); // staff set DND on the vacant room
    assert.deepEqual(driver.info().vacant, ["2101"]);
    await driver.execute(checkin());
    await driver.execute(dnd(true));
    assert.deepEqual(
      server.of("set_user_mode").map((r) => r.query.mode),
      ["1", "3", "3", "3", "1", "2"],
    );
    const order = server.requests.map((r) => r.query.service).filter((s) => s !== "get_entities");
    assert.deepEqual(
      order.slice(0, 4),
      ["set_user_mode", "phonebook_import_sync", "set_user_mode", "delete_phonebook"],
      "the mode goes first",
    );
  });

  test('vacantMode "away": a user Absent at start counts as a barred vacant room', async () => {
    const server = new ScriptedSeri();
    server.users = [{ id: "7", extension: "2101", avStatus: 7 }];
    const { driver } = await setup({ server, link: { vacantMode: "away" } });
    await driver.probe?.();
    await driver.execute(dnd(false));
    assert.equal(server.modes.get("2101"), "3");
  });

  test('names "off": names unavailable with the reason, check-in sends nothing', async () => {
    const { driver, server } = await setup({ link: { names: "off" } });
    assert.equal(driver.unavailable?.names, NAMES_OFF);
    assert.deepEqual(await driver.probe?.(), ["checkin-state", "dnd"]);
    const before = server.requests.length;
    await driver.execute(checkin());
    await driver.execute(checkout());
    assert.equal(server.requests.length, before);
    await rejects(driver.execute(nameOp("X")), (e) => assert.equal(e.skip, true));
  });

  test("class of service, guest info, voicemail clean-up, lamp: skipped with the reason", async () => {
    const { driver, server } = await setup();
    const ops: [PbxOp, string | undefined][] = [
      [{ op: "cos", room: "101", extension: "2101", classOfService: 0 }, voispeedNotOffered["class-of-service"]],
      [{ op: "voicemail-cleanup", room: "101", extension: "2101" }, voispeedNotOffered["voicemail-cleanup"]],
      [{ op: "lamp", room: "101", extension: "2101", count: 1 }, voispeedNotOffered["message-lamp"]],
      [
        { op: "guest", room: "101", extension: "2101", arrival: null, departure: null, vip: "1", language: "" },
        voispeedNotOffered["guest-info"],
      ],
    ];
    for (const [op, reason] of ops) {
      await rejects(driver.execute(op), (e) => {
        assert.equal(e.skip, true);
        assert.equal(e.message, reason);
      });
    }
    assert.equal(server.requests.length, 0);
    assert.match(voispeedNotOffered["message-lamp"] ?? "", /SIP NOTIFY/);
  });
});

describe("VOIspeed driver: call reports", () => {
  test("get_call_report for a communication: its row only; get_user_call_report for an extension", async () => {
    const { driver, server } = await setup();
    server.override = (r) => {
      if (r.query.service === "get_call_report") {
        return {
          body: renderResult({
            outcome: 0,
            call: [
              {
                id: " 4711 ",
                start_time: "2026-11-23 07:00:01",
                duration: 65,
                outcome: 1,
                calling_number: "2101",
                talk_time: 60,
              },
              { id: 4712, calling_number: "2102" },
            ],
          }),
        };
      }
      if (r.query.service === "get_user_call_report") {
        return {
          body: renderResult({ outcome: 0, call: { id: 1, callid: 4711, my_number: "2101", direction: "out" } }),
        };
      }
      return undefined;
    };
    const rows = await driver.callReport(" 4711 ");
    assert.deepEqual(
      rows.map((r) => [r.id, r.callingNumber, r.talkTime]),
      [["4711", "2101", 60]],
    );
    assert.deepEqual(server.of("get_call_report")[0].query, {
      service: "get_call_report",
      token: server.token,
      call_id: "4711",
    });
    const mine = await driver.userCallReport("2101");
    assert.deepEqual(
      mine.map((r) => [r.callId, r.myNumber, r.direction]),
      [["4711", "2101", "out"]],
    );
    assert.deepEqual(server.of("get_user_call_report")[0].query, {
      service: "get_user_call_report",
      token: server.token,
      ext: "2101",
      limit: "20",
    });
    server.override = () => ({ body: renderResult({ outcome: 0 }) });
    assert.deepEqual(await driver.callReport("1"), [], "no call yet");
  });
});

describe("VOIspeed driver: failures", () => {
  const cases: [string, string, boolean][] = [
    ["a bad parameter", "missing parameter mode", false],
    ["a not enabled extension", "ext 2101 not enabled", false],
    ["a busy PBX", "database busy, try again", true],
    ["an unknown text", "qualcosa non va", true],
  ];
  for (const [what, text, retryable] of cases) {
    test(`outcome 1, ${what}: ${retryable ? "retried" : "for good"}, with VOIspeed's text`, async () => {
      const { driver, server } = await setup();
      server.override = (r) => (r.query.service === "set_user_mode" ? ScriptedSeri.reject(` ${text} `) : undefined);
      await rejects(driver.execute(dnd(true)), (e) => {
        assert.equal(e.message, `VOIspeed refused set_user_mode for room 101 (extension 2101): ${text}`);
        assert.equal(e.retryable, retryable);
      });
    });
  }

  test("HTTP errors, web pages and replies without an outcome are retried", async () => {
    const { driver, server } = await setup();
    await driver.probe?.();
    const answers = [
      { status: 500, body: "oops" },
      { status: 404, body: "" },
      { body: "<html><body>Bad gateway</body></html>" },
      { body: renderResult({ request_id: 5 }) },
    ];
    const messages = [
      /^VOIspeed answered HTTP 500 to set_user_mode$/,
      /^VOIspeed answered HTTP 404 to set_user_mode: check url$/,
      /^VOIspeed answered set_user_mode with something that is not SERI XML/,
      /^VOIspeed answered set_user_mode for room 101 \(extension 2101\) without an outcome$/,
    ];
    for (const [i, a] of answers.entries()) {
      server.override = () => a;
      await rejects(driver.execute(dnd(true)), (e) => {
        assert.match(e.message, messages[i]);
        assert.equal(e.retryable, true);
      });
    }
  });

  test("a PBX that does not answer times out", async () => {
    const { driver, server } = await setup({ link: { timeoutSeconds: 1 } });
    server.override = () => ({ body: "", hang: true });
    await rejects(driver.execute(dnd(true)), (e) => {
      assert.match(e.message, /^VOIspeed did not answer within 1000 ms$/);
      assert.equal(e.retryable, true);
    });
  });

  test("an extension VOIspeed does not list is refused for good, the list read again at most once a minute", async () => {
    const clock = new FakeClock();
    const { driver, server } = await setup({ clock });
    await driver.probe?.();
    await rejects(driver.execute(dnd(true, "2999", "999")), (e) => {
      assert.match(
        e.message,
        /^extension 2999 \(room 999 \(extension 2999\)\) is not a VOIspeed user in the integration module \(get_entities lists 3\)/,
      );
      assert.equal(e.retryable, false);
    });
    assert.equal(server.of("get_entities").length, 1, "the list of the probe is fresh");
    clock.advance(61_000);
    await rejects(driver.execute(dnd(true, "2998", "998")), () => {});
    assert.equal(server.of("get_entities").length, 2, "an older list is read again first");
    await rejects(driver.execute(dnd(true, "2997", "997")), () => {});
    assert.equal(server.of("get_entities").length, 2, "not again within the minute");
    assert.equal(server.of("set_user_mode").length, 0);
    server.users.push({ id: "10", extension: "2104" });
    clock.advance(61_000);
    assert.ok(await driver.execute(dnd(true, "2104", "104")), "a user added to the module is found");
    assert.equal(driver.userId("2104"), "10");
  });

  test("an empty user list decides nothing: VOIspeed does", async () => {
    const server = new ScriptedSeri();
    server.users = [];
    const { driver, logger } = await setup({ server });
    await driver.probe?.();
    assert.ok(logger.lines.some((l) => String(l.msg).includes("lists no users")));
    await rejects(driver.execute(dnd(true)), (e) =>
      assert.match(e.message, /refused set_user_mode .*: ext 2101 not enabled/),
    );
  });

  test("a contact VOIspeed skips is refused for good, a server error is retried", async () => {
    const { driver, server } = await setup();
    const result = (skipped: number, errors: number, info: string) =>
      renderResult({
        outcome: 0,
        processed: 1,
        skipped,
        warnings: 0,
        errors,
        contacts: { contact: { uc_external_id: "room-101", id: "", act: "skip", info } },
      });
    server.override = (r) =>
      r.query.service === "phonebook_import_sync" ? { body: result(1, 0, "no name") } : undefined;
    await rejects(driver.execute(checkin()), (e) => {
      assert.equal(
        e.message,
        "VOIspeed skipped the phonebook contact for room 101 (extension 2101) as invalid: no name",
      );
      assert.equal(e.retryable, false);
    });
    server.override = (r) =>
      r.query.service === "phonebook_import_sync" ? { body: result(0, 1, "db locked") } : undefined;
    await rejects(driver.execute(checkin()), (e) => {
      assert.match(e.message, /could not import the phonebook contact .*: db locked$/);
      assert.equal(e.retryable, true);
    });
  });
});

describe("VOIspeed driver: secrets, trust, pace", () => {
  test("the debug packet log masks the token; a reply echoing it is masked too", async () => {
    const { driver, server, logger } = await setup({ debug: true });
    await driver.probe?.();
    server.override = (r) =>
      r.query.service === "set_user_mode"
        ? ScriptedSeri.reject(`bad request ?token=${server.token}&ext=2101`)
        : undefined;
    await rejects(driver.execute(dnd(true)), (e) => {
      assert.ok(!e.message.includes(server.token), e.message);
      assert.match(e.message, /token=\*\*\*/);
    });
    await driver.execute(checkin());
    const text = JSON.stringify(logger.lines);
    assert.ok(!text.includes(server.token), "no token in any log line");
    assert.ok(!text.includes(NOTIFY_KEY), "no notify key in any log line");
    const out = logger.lines.filter((l) => l.msg === "voispeed packet" && l.dir === "out");
    assert.deepEqual(
      out.map((l) => l.service),
      ["get_entities", "set_user_mode", "phonebook_import_sync"],
    );
    assert.equal(out[0].query, "service=get_entities&token=***&entity_type=0");
    assert.equal(out[1].query, "service=set_user_mode&token=***&ext=2101&mode=2");
    assert.match(String(out[2].body), /"uc_external_id":"room-101"/);
    assert.ok(logger.lines.some((l) => l.msg === "voispeed packet" && l.dir === "in"));
  });

  test("without debug nothing of the exchange is logged", async () => {
    const { driver, logger } = await setup();
    await driver.execute(dnd(true));
    assert.equal(logger.lines.filter((l) => l.msg === "voispeed packet").length, 0);
  });

  test("plain http to another host, or https without trust, is refused before anything is sent", () => {
    const link = (url: string) =>
      parseVoispeedLinkConfig({ type: "voispeed", name: "vs", url, token: "t", notifyKey: NOTIFY_KEY });
    assert.throws(
      () =>
        createVoispeedDriver(link("http://192.0.2.1/PBX/seri_endpoint.php"), {
          logger: memoryLogger(),
          debug: () => false,
        }),
      /pbx link vs: url: http:\/\/ is allowed only for a loopback simulator/,
    );
    assert.throws(
      () =>
        createVoispeedDriver(link("https://192.0.2.1/PBX/seri_endpoint.php"), {
          logger: memoryLogger(),
          debug: () => false,
        }),
      /certificateSha256 or caFile is required/,
    );
  });

  test("requests are paced by ratePerSecond", async () => {
    const { driver } = await setup({ link: { ratePerSecond: 5 } });
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) await driver.execute(dnd(i % 2 === 0));
    assert.ok(Date.now() - t0 >= 550, `4 requests at 5/s took ${Date.now() - t0} ms`);
  });
});

const skip = peerSkip("openssl");
describe("VOIspeed driver over https", { skip }, () => {
  let tls: { cert: string; key: string };
  let driver: VoispeedDriver;
  before(async () => {
    tls = selfSignedCertificate("voispeed-test");
  });

  test("a pinned certificate", async () => {
    const server = new ScriptedSeri(tls);
    servers.push(server);
    const port = await server.listen();
    const make = (pin: string) =>
      createVoispeedDriver(
        parseVoispeedLinkConfig({
          type: "voispeed",
          name: "vs",
          url: `https://127.0.0.1:${port}/PBX/seri_endpoint.php`,
          token: server.token,
          notifyKey: NOTIFY_KEY,
          certificateSha256: pin,
        }),
        { logger: memoryLogger(), debug: () => false },
      );
    driver = make(pemFingerprint(tls.cert).toUpperCase().match(/../g)?.join(":") ?? "");
    assert.deepEqual(await driver.probe?.(), ["names", "checkin-state", "dnd"]);
    assert.ok(await driver.execute(dnd(true)));
    const wrong = make("00".repeat(32));
    const before = server.requests.length;
    await rejects(wrong.probe?.() as Promise<unknown>, (e) => {
      assert.match(e.message, /^VOIspeed certificate refused: its SHA-256 fingerprint is [0-9a-f]{64}, the pinned one/);
      assert.equal(e.retryable, false);
    });
    assert.equal(server.requests.length, before, "nothing was sent to a host that failed the pin");
  });
});
