import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger, silentLogger } from "../../../src/lib/logger.ts";
import { PbxError, type PbxOp } from "../../../src/pbx/driver.ts";
import { parseZoomLinkConfig, type ZoomLinkInput } from "../../../src/pbx/zoom/config.ts";
import { createZoomDriver, DND_REASSERT_MS, nameHasExtension, type ZoomDriver } from "../../../src/pbx/zoom/driver.ts";
import { retryAfterMs } from "../../../src/pbx/zoom/wire.ts";
import { ALL_SCOPES, DEFAULT_CLIENT, type ZoomSimOptions, ZoomSimulator } from "../../../src/sim/zoom/simulator.ts";

const open: { sim: ZoomSimulator; driver: ZoomDriver }[] = [];
after(async () => {
  for (const o of open) {
    await o.driver.close?.();
    await o.sim.close();
  }
});

interface Setup {
  sim?: ZoomSimOptions;
  link?: Partial<ZoomLinkInput>;
  debug?: boolean;
  logger?: ReturnType<typeof memoryLogger>;
}

async function setup(s: Setup = {}) {
  const clock = new FakeClock();
  const sim = new ZoomSimulator({ rate: { light: 1000, medium: 1000, heavy: 1000 }, ...s.sim, now: () => clock.now() });
  const port = await sim.listen(0, "127.0.0.1");
  const config = parseZoomLinkConfig({
    type: "zoom",
    name: "zoom",
    url: `http://127.0.0.1:${port}`,
    accountId: DEFAULT_CLIENT.accountId,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    ratePerSecond: 1000,
    ...s.link,
  });
  const logger = s.logger ?? memoryLogger();
  const driver = createZoomDriver(config, { logger, debug: () => s.debug ?? false, clock, tenantName: "Hotel Roma" });
  open.push({ sim, driver });
  return { clock, sim, driver, logger, port };
}

const apiCalls = (sim: ZoomSimulator, method: string, prefix: string) =>
  sim.requests.filter((r) => r.method === method && r.path.startsWith(prefix));

async function rejectsPbx(p: Promise<unknown>, check: (e: PbxError) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PbxError, `expected PbxError, got ${e}`);
    check(e);
    return true;
  });
}

/** Lets the driver's timer-started promise chains settle over real HTTP. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition never met");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const nameOp = (extension: string, name: string): PbxOp => ({
  op: "name",
  room: extension,
  extension,
  name,
  occupied: true,
});

describe("zoom driver", () => {
  test("config defaults", () => {
    const c = parseZoomLinkConfig({ type: "zoom", name: "z", accountId: "a", clientId: "c", clientSecret: "s" });
    assert.equal(c.url, "https://zoom.us");
    assert.equal(c.refreshCacheMinutes, 480);
    assert.equal(c.ratePerSecond, 10);
    assert.equal(c.department, "disabled");
    assert.equal(c.messageManagement, false);
    assert.equal(c.retries, 3);
    assert.deepEqual(c.classOfService["0"], { internationalCalling: false, roleId: null });
    assert.deepEqual(c.classOfService["3"], { internationalCalling: true, roleId: null });
    const r = parseZoomLinkConfig({
      type: "zoom",
      name: "z",
      accountId: "a",
      clientId: "c",
      clientSecret: "s",
      classOfService: { "1": { internationalCalling: false, roleId: "r1" } },
    });
    assert.deepEqual(r.classOfService["1"], { internationalCalling: false, roleId: "r1" });
    assert.deepEqual(r.classOfService["2"], { internationalCalling: false, roleId: null });
    assert.throws(() =>
      parseZoomLinkConfig({
        type: "zoom",
        name: "z",
        accountId: "a",
        clientId: "c",
        clientSecret: "s",
        // @ts-expect-error unknown key refused (strict object)
        classOfService: { "1": { internationalCalling: false, role: "r1" } },
      }),
    );
  });

  test("probe with all scopes offers every capability except voicemail-cleanup without messageManagement", async () => {
    const { driver, sim } = await setup();
    const caps = await driver.probe?.();
    assert.deepEqual(caps, ["names", "checkin-state", "dnd", "class-of-service", "guest-info"]);
    const tok = sim.requests.find((r) => r.path === "/oauth/token");
    assert.deepEqual(tok?.body, { grant_type: "account_credentials", account_id: "sim-account" });
    assert.equal(driver.info().cachedExtensions, 10);
  });

  test("name op → PATCH /users/{id} with first, last and display name", async () => {
    const { driver, sim } = await setup();
    await driver.execute(nameOp("103", "VIP John Smith 103"));
    const u = sim.userByExtension(103);
    assert.ok(u);
    const patch = apiCalls(sim, "PATCH", "/v2/users/");
    assert.equal(patch.length, 1);
    assert.equal(patch[0].path, `/v2/users/${u.id}`);
    assert.deepEqual(patch[0].body, {
      first_name: "VIP",
      last_name: "John Smith 103",
      display_name: "VIP John Smith 103",
    });
    assert.equal(patch[0].status, 204);
    assert.equal(u.display_name, "VIP John Smith 103");
  });

  test("checkin/checkout set names and, with checkin-state, the department", async () => {
    const { driver, sim } = await setup({ link: { department: "checkin-state" } });
    const base = { room: "101", extension: "101" };
    await driver.execute({
      op: "checkin",
      ...base,
      name: "Ann Lee 101",
      arrival: "2026-01-01",
      departure: null,
      vip: "",
      language: "",
      classOfService: 3,
    });
    const u = sim.userByExtension(101);
    assert.equal(u?.dept, "Checked in 2026-01-01");
    assert.equal(u?.display_name, "Ann Lee 101");
    await driver.execute({ op: "checkout", ...base, name: "Vacant 101" });
    assert.equal(u?.dept, "Vacant");
    assert.equal(u?.first_name, "Vacant");
    assert.equal(u?.last_name, "101");
  });

  test("the other department options: mailbox description, room id, tenant name, site name", async () => {
    const expected = {
      "mailbox-description": "Ann Lee 101",
      "room-id": "R101",
      "tenant-name": "Hotel Roma",
      "site-name": "Main",
    } as const;
    for (const [option, value] of Object.entries(expected)) {
      const { driver, sim } = await setup({ link: { department: option as keyof typeof expected } });
      await driver.execute({ op: "name", room: "R101", extension: "101", name: "Ann Lee 101", occupied: true });
      assert.equal(sim.userByExtension(101)?.dept, value, option);
    }
  });

  test("a name without the extension is refused, non-retryable, before any call", async () => {
    const { driver, sim } = await setup();
    await rejectsPbx(driver.execute(nameOp("101", "John Smith 1010")), (e) => {
      assert.equal(e.retryable, false);
      assert.match(e.message, /Names must contain extension number/);
    });
    assert.equal(sim.requests.length, 0);
    assert.ok(nameHasExtension("Room 101", "101"));
    assert.ok(!nameHasExtension("Room 1101", "101"));
  });

  test("unknown extension → non-retryable error naming it", async () => {
    const { driver } = await setup();
    await rejectsPbx(driver.execute(nameOp("999", "X 999")), (e) => {
      assert.equal(e.retryable, false);
      assert.match(e.message, /999/);
    });
  });

  test("dnd on/off → presence PUTs; a second change within a minute waits without using an attempt", async () => {
    const { driver, sim, clock } = await setup();
    const u = sim.userByExtension(102);
    assert.ok(u);
    await driver.execute({ op: "dnd", room: "102", extension: "102", dnd: true });
    assert.equal(u.presence.status, "Do_Not_Disturb");
    clock.advance(20_000);
    await rejectsPbx(driver.execute({ op: "dnd", room: "102", extension: "102", dnd: false }), (e) => {
      assert.equal(e.retryAfterMs, 40_000);
      assert.equal(e.countsAsAttempt, false);
      assert.equal(e.retryable, true);
    });
    clock.advance(40_000);
    await driver.execute({ op: "dnd", room: "102", extension: "102", dnd: false });
    assert.equal(u.presence.status, "Available");
    const puts = apiCalls(sim, "PUT", `/v2/users/${u.id}/presence_status`);
    assert.deepEqual(
      puts.map((p) => p.body),
      [{ status: "Do_Not_Disturb", duration: 1440 }, { status: "Available" }],
    );
    assert.deepEqual(driver.info().dndUsers, []);
  });

  test("DND that stays on is re-asserted before Zoom's 24 h limit", async () => {
    const { driver, sim, clock } = await setup();
    const u = sim.userByExtension(104);
    assert.ok(u);
    await driver.execute({ op: "dnd", room: "104", extension: "104", dnd: true });
    const puts = () => apiCalls(sim, "PUT", `/v2/users/${u.id}/presence_status`).length;
    assert.equal(puts(), 1);
    clock.advance(DND_REASSERT_MS - 1000);
    assert.equal(puts(), 1);
    clock.advance(1000);
    await until(() => puts() === 2);
    assert.deepEqual(driver.info().dndUsers, [u.id]);
  });

  test("missing optional scope drops its capability with a warning", async () => {
    const logger = memoryLogger();
    const scopes = ALL_SCOPES.filter((s) => s !== "user:update:presence_status:admin");
    const { driver } = await setup({ sim: { clients: [{ ...DEFAULT_CLIENT, scopes }] }, logger });
    const caps = await driver.probe?.();
    assert.ok(caps && !caps.includes("dnd"));
    assert.ok(caps.includes("names"));
    assert.ok(logger.lines.some((l) => l.level === "warn" && l.scope === "user:update:presence_status:admin"));
  });

  test("missing required scope: probe throws naming it", async () => {
    const scopes = ALL_SCOPES.filter((s) => s !== "user:update:user:admin" && s !== "phone:read:list_users:admin");
    const { driver } = await setup({ sim: { clients: [{ ...DEFAULT_CLIENT, scopes }] } });
    await assert.rejects(driver.probe?.() ?? Promise.resolve(), /user:update:user:admin, phone:read:list_users:admin/);
  });

  test("wrong client secret → non-retryable error with Zoom's reason", async () => {
    const { driver } = await setup({ link: { clientSecret: "nope" } });
    await rejectsPbx(driver.execute(nameOp("101", "A 101")), (e) => {
      assert.equal(e.retryable, false);
      assert.match(e.message, /invalid_client: Invalid client_id or client_secret/);
    });
  });

  test("token expiry mid-run: transparent re-token, both on 401 code 124 and before expiry", async () => {
    const { driver, sim, clock } = await setup();
    await driver.execute(nameOp("101", "A 101"));
    const tokens = () => sim.requests.filter((r) => r.path === "/oauth/token").length;
    assert.equal(tokens(), 1);
    sim.expireTokens();
    await driver.execute(nameOp("101", "B 101"));
    assert.equal(tokens(), 2);
    assert.ok(sim.requests.some((r) => r.status === 401));
    assert.equal(sim.userByExtension(101)?.display_name, "B 101");
    clock.advance(3599_000 - 30_000); // inside the renewal margin
    await driver.execute(nameOp("101", "C 101"));
    assert.equal(tokens(), 3);
    assert.equal(sim.requests.filter((r) => r.status === 401).length, 1);
  });

  test("429 → PbxError with retryAfterMs from Retry-After, no attempt used", async () => {
    const { driver } = await setup({ sim: { rate: { light: 1000, medium: 2, heavy: 1000 } } });
    await driver.probe?.(); // /phone/users + /phone/common_areas: the 2 medium calls of this second
    await rejectsPbx(driver.execute({ op: "dnd", room: "101", extension: "101", dnd: true }), (e) => {
      assert.equal(e.retryAfterMs, 1000);
      assert.equal(e.countsAsAttempt, false);
      assert.equal(e.retryable, true);
      assert.match(e.message, /rate limited/);
    });
  });

  test("daily limit → retry after 00:00 UTC", async () => {
    const { driver, clock } = await setup({ sim: { dailyLimit: 2 } });
    await driver.probe?.();
    await rejectsPbx(driver.execute(nameOp("101", "A 101")), (e) => {
      const midnight = Date.UTC(2026, 0, 2);
      assert.equal(e.retryAfterMs, midnight - clock.now());
      assert.equal(e.countsAsAttempt, false);
      assert.match(e.message, /daily rate limit/);
    });
  });

  test("Retry-After parsing: seconds, HTTP date, Daily-limit without header", () => {
    const now = Date.UTC(2026, 0, 1, 23, 0, 0);
    assert.equal(retryAfterMs(new Headers({ "Retry-After": "7" }), now), 7000);
    assert.equal(retryAfterMs(new Headers({ "Retry-After": new Date(now + 5000).toUTCString() }), now), 5000);
    assert.equal(retryAfterMs(new Headers({ "X-RateLimit-Type": "Daily-limit" }), now), 3600_000);
  });

  test("voicemail-cleanup with messageManagement deletes the room's voicemails only", async () => {
    const { driver, sim } = await setup({ sim: { voicemailsPerUser: 3 }, link: { messageManagement: true } });
    const caps = await driver.probe?.();
    assert.ok(caps?.includes("voicemail-cleanup"));
    const u = sim.userByExtension(105);
    assert.ok(u);
    await driver.execute({ op: "voicemail-cleanup", room: "105", extension: "105" });
    const left = [...sim.state.voicemails.values()];
    assert.equal(left.filter((m) => m.userId === u.id).length, 0);
    assert.equal(left.length, 27);
    assert.equal(apiCalls(sim, "DELETE", "/v2/phone/voice_mails/").length, 3);
  });

  test("voicemail-cleanup without messageManagement does nothing", async () => {
    const { driver, sim } = await setup({ sim: { voicemailsPerUser: 1 } });
    await driver.execute({ op: "voicemail-cleanup", room: "105", extension: "105" });
    assert.equal(sim.state.voicemails.size, 10);
  });

  test("404 on a cached id → cache refreshed and the call retried once", async () => {
    const { driver, sim } = await setup();
    await driver.probe?.();
    const old = sim.userByExtension(106);
    assert.ok(old);
    sim.state.users.delete(old.id);
    const fresh = { ...old, id: "replacedUser" };
    sim.state.users.set(fresh.id, fresh);
    await driver.execute(nameOp("106", "New 106"));
    const patches = apiCalls(sim, "PATCH", "/v2/users/");
    assert.deepEqual(
      patches.map((p) => [p.path, p.status]),
      [
        [`/v2/users/${old.id}`, 404],
        ["/v2/users/replacedUser", 204],
      ],
    );
    assert.equal(fresh.display_name, "New 106");
  });

  test("cache refreshes after refreshCacheMinutes", async () => {
    const { driver, sim, clock } = await setup({ link: { refreshCacheMinutes: 10 } });
    await driver.execute(nameOp("101", "A 101"));
    const lists = () => apiCalls(sim, "GET", "/v2/phone/users").length;
    assert.equal(lists(), 1);
    clock.advance(5 * 60_000);
    await driver.execute(nameOp("101", "B 101"));
    assert.equal(lists(), 1);
    clock.advance(5 * 60_000);
    await driver.execute(nameOp("101", "C 101"));
    assert.equal(lists(), 2);
  });

  test("common area: name by PATCH /phone/common_areas/{id}, class of service by its calling policy", async () => {
    const { driver, sim } = await setup({ sim: { commonAreas: 2 } });
    await driver.execute(nameOp("201", "Guest 201"));
    const ca = sim.commonAreaByExtension(201);
    assert.equal(ca?.display_name, "Guest 201");
    await driver.execute({ op: "cos", room: "201", extension: "201", classOfService: 0 });
    assert.equal(ca?.policy.international_calling.enable, false);
    const patches = apiCalls(sim, "PATCH", "/v2/phone/common_areas/");
    assert.deepEqual(patches[1].body, { policy: { international_calling: { enable: false } } });
    // A user with no role mapped for CS 0 (the default): skipped, not dead.
    await rejectsPbx(driver.execute({ op: "cos", room: "101", extension: "101", classOfService: 0 }), (e) => {
      assert.equal(e.skip, true);
      assert.match(e.message, /no role configured for class of service 0 \(pbx\.links\[\]\.classOfService\)/);
    });
    assert.equal(apiCalls(sim, "POST", "/v2/roles/").length, 0);
  });

  test("class of service on a user: POST /roles/{roleId}/members with the mapped role", async () => {
    const { driver, sim } = await setup({
      sim: { commonAreas: 1, roles: ["1", "2", "cs-barred"] },
      link: {
        classOfService: {
          "0": { internationalCalling: false, roleId: "cs-barred" },
          "3": { internationalCalling: true, roleId: "2" },
        },
      },
    });
    const caps = await driver.probe?.();
    assert.ok(caps?.includes("class-of-service"));
    const u = sim.userByExtension(102);
    assert.ok(u);
    assert.equal(u.role_id, "2");
    await driver.execute({ op: "cos", room: "102", extension: "102", classOfService: 0 });
    assert.equal(u.role_id, "cs-barred");
    const posts = apiCalls(sim, "POST", "/v2/roles/");
    assert.equal(posts.length, 1);
    assert.equal(posts[0].path, "/v2/roles/cs-barred/members");
    assert.deepEqual(posts[0].body, { members: [{ id: u.id }] });
    assert.equal(posts[0].status, 201);
    // Again: the sim answers 409 "already a member", which counts as done.
    await driver.execute({ op: "cos", room: "102", extension: "102", classOfService: 0 });
    assert.equal(apiCalls(sim, "POST", "/v2/roles/")[1].status, 409);
    await driver.execute({ op: "cos", room: "102", extension: "102", classOfService: 3 });
    assert.equal(u.role_id, "2");
    // CS 1 keeps its default: no role → skipped.
    await rejectsPbx(driver.execute({ op: "cos", room: "102", extension: "102", classOfService: 1 }), (e) => {
      assert.equal(e.skip, true);
      assert.match(e.message, /no role configured for class of service 1/);
    });
    // Common areas still go by their calling policy, not by role.
    await driver.execute({ op: "cos", room: "201", extension: "201", classOfService: 0 });
    assert.equal(sim.commonAreaByExtension(201)?.policy.international_calling.enable, false);
    assert.equal(apiCalls(sim, "POST", "/v2/roles/").length, 3);
  });

  test("class of service on a user: an unknown role is a non-retryable error", async () => {
    const { driver } = await setup({
      link: { classOfService: { "0": { internationalCalling: false, roleId: "ghost" } } },
    });
    await rejectsPbx(driver.execute({ op: "cos", room: "101", extension: "101", classOfService: 0 }), (e) => {
      assert.equal(e.retryable, false);
      assert.equal(e.skip, false);
      assert.match(e.message, /Role does not exist/);
    });
  });

  test("class of service on a user without a role scope: warned at probe, skipped naming the scope", async () => {
    const logger = memoryLogger();
    const scopes = ALL_SCOPES.filter((s) => s !== "role:write:admin");
    const { driver, sim } = await setup({
      sim: { clients: [{ ...DEFAULT_CLIENT, scopes }] },
      link: { classOfService: { "0": { internationalCalling: false, roleId: "1" } } },
      logger,
    });
    const caps = await driver.probe?.();
    assert.ok(caps?.includes("class-of-service"), "common areas can still take it");
    assert.ok(logger.lines.some((l) => l.level === "warn" && /role:write:admin/.test(String(l.scope))));
    await rejectsPbx(driver.execute({ op: "cos", room: "101", extension: "101", classOfService: 0 }), (e) => {
      assert.equal(e.skip, true);
      assert.match(e.message, /role:write:admin or role:write:member:admin/);
    });
    assert.equal(apiCalls(sim, "POST", "/v2/roles/").length, 0);
    assert.equal(sim.userByExtension(101)?.role_id, "2");
  });

  test("the granular role scope alone is enough", async () => {
    const scopes = [...ALL_SCOPES.filter((s) => s !== "role:write:admin"), "role:write:member:admin"];
    const { driver, sim } = await setup({
      sim: { clients: [{ ...DEFAULT_CLIENT, scopes }] },
      link: { classOfService: { "0": { internationalCalling: false, roleId: "1" } } },
    });
    await driver.execute({ op: "cos", room: "101", extension: "101", classOfService: 0 });
    assert.equal(sim.userByExtension(101)?.role_id, "1");
  });

  test("no common-area update scope and no role scope: class-of-service dropped", async () => {
    const scopes = ALL_SCOPES.filter((s) => s !== "role:write:admin" && s !== "phone:update:common_area:admin");
    const { driver } = await setup({ sim: { clients: [{ ...DEFAULT_CLIENT, scopes }] } });
    const caps = await driver.probe?.();
    assert.ok(caps && !caps.includes("class-of-service"));
    assert.ok(caps.includes("names"));
  });

  test("server errors are retryable", async () => {
    const { driver } = await setup();
    const d2 = createZoomDriver(
      parseZoomLinkConfig({
        type: "zoom",
        name: "z",
        url: "http://127.0.0.1:1",
        accountId: "a",
        clientId: "c",
        clientSecret: "s",
      }),
      { logger: silentLogger, debug: () => false },
    );
    await rejectsPbx(d2.execute(nameOp("101", "A 101")), (e) => assert.equal(e.retryable, true));
    await driver.close?.();
  });

  test("debug log: method, URL, status, bodies; client secret and tokens masked; switchable at run time", async () => {
    const logger = memoryLogger();
    let debug = false;
    const clock = new FakeClock();
    const sim = new ZoomSimulator({ now: () => clock.now(), rate: { light: 100, medium: 100, heavy: 100 } });
    const port = await sim.listen(0, "127.0.0.1");
    const driver = createZoomDriver(
      parseZoomLinkConfig({
        type: "zoom",
        name: "z",
        url: `http://127.0.0.1:${port}`,
        accountId: DEFAULT_CLIENT.accountId,
        clientId: DEFAULT_CLIENT.clientId,
        clientSecret: DEFAULT_CLIENT.clientSecret,
        ratePerSecond: 1000,
      }),
      { logger, debug: () => debug, clock },
    );
    open.push({ sim, driver });
    await driver.execute(nameOp("101", "A 101"));
    assert.equal(logger.lines.filter((l) => l.msg === "zoom http").length, 0);
    debug = true;
    sim.expireTokens(); // so the token exchange is logged too
    await driver.execute(nameOp("101", "B 101"));
    const lines = logger.lines.filter((l) => l.msg === "zoom http");
    assert.ok(lines.some((l) => l.method === "POST" && String(l.url).endsWith("/oauth/token") && l.status === 200));
    assert.ok(lines.some((l) => l.method === "PATCH" && l.status === 204));
    const text = JSON.stringify(logger.lines);
    const token = [...sim.state.tokens.keys()][0];
    assert.ok(token);
    assert.ok(!text.includes(token), "bearer token leaked");
    assert.ok(!text.includes(DEFAULT_CLIENT.clientSecret), "client secret leaked");
    assert.ok(!text.includes(btoa(`${DEFAULT_CLIENT.clientId}:${DEFAULT_CLIENT.clientSecret}`)), "basic auth leaked");
    assert.ok(text.includes("B 101"));
  });
});
