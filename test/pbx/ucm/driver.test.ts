import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as v from "valibot";
import type { PbxOp } from "../../../src/domain/pbx-ops.ts";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { PbxError } from "../../../src/pbx/driver.ts";
import { type UcmLinkConfig, ucmLinkCheckedSchema, ucmLinkProblem } from "../../../src/pbx/ucm/config.ts";
import { createUcmDriver, guestCategory } from "../../../src/pbx/ucm/driver.ts";
import { selfSignedCertificate, UcmSimulator, type UcmSimulatorOptions } from "../../../src/sim/ucm/simulator.ts";
import { peerSkip } from "../../peers/available.ts";

let tls: { cert: string; key: string };
// The simulator's certificate is made with openssl: without it the driver tests are skipped, with the peers' notice.
const skip = peerSkip("openssl");
before(() => {
  if (!skip) tls = selfSignedCertificate();
});

const sims: UcmSimulator[] = [];
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

async function setup(
  opts: { sim?: UcmSimulatorOptions; link?: Partial<UcmLinkConfig>; debug?: boolean; clock?: FakeClock } = {},
) {
  const sim = new UcmSimulator({ tls, ...opts.sim });
  sims.push(sim);
  const port = await sim.listen(0, "127.0.0.1");
  const logger = memoryLogger();
  const config: UcmLinkConfig = {
    type: "ucm",
    name: "ucm",
    enabled: true,
    retries: 3,
    intervalSeconds: 60,
    debug: false,
    url: `${opts.sim?.http ? "http" : "https"}://127.0.0.1:${port}/api`,
    apiUser: "bellhop",
    apiPassword: "api-secret",
    pmsUser: "pms",
    pmsPassword: "pms-secret",
    certificateSha256: sim.fingerprint,
    caFile: null,
    classOfService: [1, 2, 3, 4],
    timeoutSeconds: 5,
    ...opts.link,
  };
  const driver = createUcmDriver(config, {
    logger,
    debug: () => opts.debug ?? false,
    clock: opts.clock,
    timeZone: "UTC",
  });
  return { sim, driver, logger, config };
}

const checkin = (over: Partial<Extract<PbxOp, { op: "checkin" }>> = {}): PbxOp => ({
  op: "checkin",
  room: "101",
  extension: "2101",
  name: "Mr John Smith 2101",
  arrival: "2026-11-20",
  departure: "2026-11-24",
  vip: "",
  language: "E",
  classOfService: 3,
  ...over,
});

function pmsBodies(sim: UcmSimulator): Record<string, unknown>[] {
  return sim.requests
    .filter((r) => r.action === "pmsapi")
    .map((r) => (r.body as { request: Record<string, unknown> }).request);
}

describe("UCM driver", { skip }, () => {
  test("check-in with dates, then check-out", async () => {
    const { sim, driver } = await setup();
    await driver.execute(checkin());
    assert.deepEqual(sim.rooms.get("101"), {
      address: "101",
      extension: "2101",
      checkedIn: true,
      name: "Mr John Smith 2101",
      datein: "20261120",
      dateout: "20261124",
      guestCategory: 0,
      permission: 4,
    });
    assert.deepEqual(
      sim.requests.map((r) => [r.action, r.status]),
      [
        ["challenge", 0],
        ["login", 0],
        ["pmsapi", 0],
      ],
    );
    assert.equal(pmsBodies(sim)[0].pms_action, "checkin");

    await driver.execute({ op: "checkout", room: "101", extension: "2101", name: "Vacant 2101" });
    assert.equal(sim.rooms.get("101")?.checkedIn, false);
    assert.equal(sim.rooms.get("101")?.name, "");
    assert.equal(pmsBodies(sim)[1].pms_action, "checkout");
    // A repeated check-out (job re-run) is not an error.
    await driver.execute({ op: "checkout", room: "101", extension: "2101", name: "Vacant 2101" });
    assert.equal(sim.requests.at(-1)?.status, -16);
  });

  test("missing arrival and departure default to today (hotel-local)", async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 15, 0, 0));
    const { sim, driver } = await setup({ clock });
    await driver.execute(checkin({ arrival: null, departure: null }));
    assert.equal(sim.rooms.get("101")?.datein, "20261123");
    assert.equal(sim.rooms.get("101")?.dateout, "20261123");
    await driver.execute(checkin({ room: "102", extension: "2102", arrival: "2026-11-22", departure: null }));
    assert.equal(sim.rooms.get("102")?.datein, "20261122");
    assert.equal(sim.rooms.get("102")?.dateout, "20261123");
  });

  test("a repeated check-in (-44) becomes an update", async () => {
    const { sim, driver } = await setup();
    await driver.execute(checkin());
    await driver.execute(checkin({ name: "Ms Ann Lee 2101" }));
    assert.deepEqual(
      sim.requests.filter((r) => r.action === "pmsapi").map((r) => r.status),
      [0, -44, 0],
    );
    assert.equal(sim.rooms.get("101")?.name, "Ms Ann Lee 2101");
  });

  test("a name while checked in is sent; a name for a vacant room waits for the check-in", async () => {
    const { sim, driver, logger } = await setup();
    await driver.execute({ op: "name", room: "101", extension: "2101", name: "Vacant 2101", occupied: false });
    assert.equal(sim.requests.length, 0, "nothing sent for a vacant room");
    assert.ok(logger.lines.some((l) => String(l.msg).includes("name skipped")));

    await driver.execute(checkin({ name: "Mr John Smith 2101" }));
    assert.equal(sim.rooms.get("101")?.name, "Mr John Smith 2101", "the check-in carries the name");

    await driver.execute({ op: "name", room: "101", extension: "2101", name: "Dr John Smith 2101", occupied: true });
    assert.equal(sim.rooms.get("101")?.name, "Dr John Smith 2101");
    assert.deepEqual(pmsBodies(sim)[1], {
      ...pmsBodies(sim)[1],
      pms_action: "update",
      address: "101",
      extension: "2101",
      name: "Dr John Smith 2101",
    });
  });

  test("VIP becomes guest category 0/1; guest op updates dates and category", async () => {
    assert.equal(guestCategory(""), 0);
    assert.equal(guestCategory("0"), 0);
    assert.equal(guestCategory("N"), 0, "GV N: not VIP");
    assert.equal(guestCategory(" n "), 0);
    assert.equal(guestCategory("1"), 1);
    assert.equal(guestCategory("GOLD"), 1);
    const { sim, driver } = await setup();
    await driver.execute(checkin({ vip: "3" }));
    assert.equal(sim.rooms.get("101")?.guestCategory, 1);
    await driver.execute({
      op: "guest",
      room: "101",
      extension: "2101",
      arrival: "2026-11-20",
      departure: "2026-11-28",
      vip: "",
      language: "E",
    });
    const room = sim.rooms.get("101");
    assert.equal(room?.guestCategory, 0);
    assert.equal(room?.dateout, "20261128");
    assert.equal(pmsBodies(sim)[1].guest_category, 0);
  });

  test("class of service: FIAS 0–3 → UCM 1–4 by default, configurable", async () => {
    const { sim, driver } = await setup();
    for (const [fias, ucm] of [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]) {
      await driver.execute({ op: "cos", room: "101", extension: "2101", classOfService: fias });
      assert.equal(sim.rooms.get("101")?.permission, ucm);
    }
    const custom = await setup({ link: { classOfService: [1, 1, 3, 4] } });
    await custom.driver.execute({ op: "cos", room: "101", extension: "2101", classOfService: 1 });
    assert.equal(custom.sim.rooms.get("101")?.permission, 1);
    await custom.driver.execute(checkin({ classOfService: 2 }));
    assert.equal(custom.sim.rooms.get("101")?.permission, 3);
  });

  test("an expired cookie (-6) logs in again transparently", async () => {
    let now = Date.UTC(2026, 10, 23, 12);
    const { sim, driver } = await setup({ sim: { cookieSeconds: 60, now: () => now } });
    await driver.execute(checkin());
    now += 61_000;
    await driver.execute({ op: "name", room: "101", extension: "2101", name: "B", occupied: true });
    assert.deepEqual(
      sim.requests.map((r) => [r.action, r.status]),
      [
        ["challenge", 0],
        ["login", 0],
        ["pmsapi", 0],
        ["pmsapi", -6],
        ["challenge", 0],
        ["login", 0],
        ["pmsapi", 0],
      ],
    );
    assert.equal(sim.rooms.get("101")?.name, "B");
    // -5 (no session at all, e.g. the UCM restarted) is handled the same way.
    sim.failNext(-5);
    await driver.execute({ op: "name", room: "101", extension: "2101", name: "C", occupied: true });
    assert.equal(sim.rooms.get("101")?.name, "C");
  });

  test("a wrong API password: clear, non-retryable error from probe and execute", async () => {
    const { driver } = await setup({ link: { apiPassword: "wrong" } });
    await assert.rejects(driver.probe?.() ?? Promise.resolve(), (err: unknown) => {
      assert.ok(err instanceof PbxError);
      assert.equal(err.retryable, false);
      assert.match(err.message, /login refused.*-37.*apiUser\/apiPassword/);
      return true;
    });
    await assert.rejects(driver.execute(checkin()), (err: unknown) => err instanceof PbxError && !err.retryable);
    const unknownUser = await setup({ link: { apiUser: "nobody" } });
    await assert.rejects(unknownUser.driver.probe?.() ?? Promise.resolve(), /-71/);
  });

  test("a wrong PMS password: non-retryable, names the PMS settings", async () => {
    const { driver } = await setup({ link: { pmsPassword: "wrong" } });
    assert.deepEqual(await driver.probe?.(), ["names", "checkin-state", "class-of-service", "guest-info"]);
    await assert.rejects(driver.execute(checkin()), (err: unknown) => {
      assert.ok(err instanceof PbxError);
      assert.equal(err.retryable, false);
      assert.match(err.message, /pmsUser\/pmsPassword/);
      return true;
    });
  });

  test("the PMS token is md5(user + password) as the simulator checks it", async () => {
    const { sim, driver } = await setup();
    await driver.execute(checkin());
    const expected = createHash("md5").update("pmspms-secret").digest("hex").toUpperCase();
    assert.equal(sim.expectedPmsToken, expected);
    assert.equal(pmsBodies(sim)[0].pms_token, expected);
    assert.equal(pmsBodies(sim)[0].pms_user, "pms");
    // The login token is md5(challenge + password).
    const challenge = (sim.requests[0].response.response as { challenge: string }).challenge;
    const login = (sim.requests[1].body as { request: { token: string } }).request;
    assert.equal(login.token, createHash("md5").update(`${challenge}api-secret`).digest("hex"));
  });

  test("a wrong pinned fingerprint is refused before anything is sent", async () => {
    const { sim, driver } = await setup({ link: { certificateSha256: "ab".repeat(32) } });
    await assert.rejects(driver.probe?.() ?? Promise.resolve(), (err: unknown) => {
      assert.ok(err instanceof PbxError);
      assert.equal(err.retryable, false);
      assert.match(err.message, /certificate refused/);
      return true;
    });
    await assert.rejects(driver.execute(checkin()), /certificate refused/);
    assert.equal(sim.requests.length, 0);
  });

  test("the right fingerprint, in colon notation, works", async () => {
    const probeSim = new UcmSimulator({ tls });
    const colon = (probeSim.fingerprint ?? "").toUpperCase().match(/../g)?.join(":");
    const { sim, driver } = await setup({ link: { certificateSha256: colon } });
    await driver.execute(checkin());
    assert.equal(sim.rooms.get("101")?.checkedIn, true);
  });

  test("caFile: the UCM certificate verified against a CA file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "bellhop-ucm-ca-")), "ucm.pem");
    writeFileSync(file, tls.cert);
    const { sim, driver } = await setup({ link: { certificateSha256: null, caFile: file } });
    await driver.execute(checkin());
    assert.equal(sim.rooms.get("101")?.checkedIn, true);

    const other = selfSignedCertificate("other");
    const wrongFile = join(mkdtempSync(join(tmpdir(), "bellhop-ucm-ca-")), "other.pem");
    writeFileSync(wrongFile, other.cert);
    const refused = await setup({ link: { certificateSha256: null, caFile: wrongFile } });
    await assert.rejects(refused.driver.probe?.() ?? Promise.resolve(), (err: unknown) => {
      assert.ok(err instanceof PbxError);
      assert.equal(err.retryable, false);
      return true;
    });
    assert.equal(refused.sim.requests.length, 0);
  });

  test("too frequent (-45) asks for a 15 s pause that uses up no attempt", async () => {
    const { sim, driver } = await setup();
    await driver.probe?.();
    sim.failNext(-45);
    await assert.rejects(driver.execute(checkin()), (err: unknown) => {
      assert.ok(err instanceof PbxError);
      assert.equal(err.retryAfterMs, 15_000);
      assert.equal(err.countsAsAttempt, false);
      return true;
    });
    sim.failNext(-9);
    await assert.rejects(driver.execute(checkin()), (err: unknown) => err instanceof PbxError && err.retryable);
  });

  test("debug log: every exchange, with password, token and cookie masked", async () => {
    const { sim, driver, logger } = await setup({ debug: true });
    await driver.execute(checkin());
    const packets = logger.lines.filter((l) => l.msg === "ucm packet");
    assert.equal(packets.length, 6);
    assert.deepEqual(
      packets.map((p) => [p.dir, p.action]),
      [
        ["out", "challenge"],
        ["in", "challenge"],
        ["out", "login"],
        ["in", "login"],
        ["out", "pmsapi"],
        ["in", "pmsapi"],
      ],
    );
    const text = JSON.stringify(logger.lines);
    const cookie = (sim.requests[1].response.response as { cookie: string }).cookie;
    const loginTok = (sim.requests[1].body as { request: { token: string } }).request.token;
    for (const secret of ["api-secret", "pms-secret", cookie, loginTok, sim.expectedPmsToken]) {
      assert.ok(!text.includes(secret), `leaked ${secret}`);
    }
    assert.ok(text.includes('"cookie":"***"'));
    assert.ok(text.includes('"pms_token":"***"'));
    assert.ok(text.includes('"name":"Mr John Smith 2101"'));

    const quiet = await setup({ debug: false });
    await quiet.driver.execute(checkin());
    assert.equal(quiet.logger.lines.filter((l) => l.msg === "ucm packet").length, 0);
  });

  test("plain HTTP to a loopback simulator", async () => {
    const { sim, driver } = await setup({ sim: { http: true }, link: { certificateSha256: null } });
    await driver.execute(checkin());
    assert.equal(sim.rooms.get("101")?.checkedIn, true);
  });

  test("unsupported ops are refused without retry", async () => {
    const { driver } = await setup();
    await assert.rejects(
      driver.execute({ op: "dnd", room: "101", extension: "2101", dnd: true }),
      (err: unknown) => err instanceof PbxError && !err.retryable,
    );
  });
});

describe("UCM link config", () => {
  const base = {
    type: "ucm",
    name: "ucm",
    url: "https://192.168.100.91:8089/api",
    apiUser: "api",
    apiPassword: "x",
    pmsUser: "pms",
    pmsPassword: "y",
  };

  test("defaults, and https needs a pin or a CA file", () => {
    const bare = v.parse(ucmLinkCheckedSchema.pipe[0], base);
    assert.deepEqual(bare.classOfService, [1, 2, 3, 4]);
    assert.equal(bare.retries, 3);
    assert.equal(bare.intervalSeconds, 60);
    assert.equal(bare.certificateSha256, null);
    assert.match(ucmLinkProblem(bare) ?? "", /certificateSha256 or caFile is required/);
    assert.equal(v.safeParse(ucmLinkCheckedSchema, base).success, false);
    assert.equal(
      v.safeParse(ucmLinkCheckedSchema, { ...base, certificateSha256: `${"AB:".repeat(31)}AB` }).success,
      true,
    );
    assert.equal(v.safeParse(ucmLinkCheckedSchema, { ...base, caFile: "/etc/bellhop/ucm.pem" }).success, true);
    assert.equal(v.safeParse(ucmLinkCheckedSchema, { ...base, certificateSha256: "abc" }).success, false);
    assert.equal(
      v.safeParse(ucmLinkCheckedSchema, { ...base, caFile: "x", classOfService: [0, 1, 2, 3] }).success,
      false,
    );
    assert.equal(v.safeParse(ucmLinkCheckedSchema, { ...base, caFile: "x", insecure: true }).success, false);
  });

  test("http only on loopback; the driver refuses a link breaking the rule", () => {
    assert.equal(ucmLinkProblem({ url: "http://127.0.0.1:8089/api", certificateSha256: null, caFile: null }), null);
    assert.equal(ucmLinkProblem({ url: "http://localhost:8089/api", certificateSha256: null, caFile: null }), null);
    assert.match(
      ucmLinkProblem({ url: "http://192.168.1.5:8089/api", certificateSha256: null, caFile: null }) ?? "",
      /loopback/,
    );
    const config = v.parse(ucmLinkCheckedSchema.pipe[0], base);
    assert.throws(() => createUcmDriver(config, { logger: memoryLogger(), debug: () => false }), /certificateSha256/);
  });
});
