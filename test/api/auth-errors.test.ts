import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { memoryLogger } from "../../src/lib/logger.ts";
import { withApi } from "./fixture.ts";

describe("health", () => {
  test("needs no token and reports version, uptime and PMS state", () =>
    withApi(async ({ call, ctx }) => {
      ctx.clock.advance(5_500);
      const r = await call("GET", "/api/v1/health", { as: null });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        status: "ok",
        version: "9.9.9-test",
        uptimeSeconds: 5,
        pms: { state: "down" },
        api: { requestsRefused: 0 },
        // No update has run on this data folder (test/api/health-update.test.ts covers one).
        update: null,
      });
      assert.equal(r.headers.get("cache-control"), "no-store");
    }));

  test("follows the PMS link state", () =>
    withApi(async ({ call, pms }) => {
      pms.onState("linked");
      const r = await call("GET", "/api/v1/health", { as: null });
      assert.equal(r.body.pms.state, "linked");
    }));
});

describe("authentication", () => {
  test("401 without a token, with a JSON error and a Bearer challenge", () =>
    withApi(async ({ call }) => {
      const r = await call("GET", "/api/v1/rooms", { as: null });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, "UNAUTHORIZED");
      assert.equal(typeof r.body.error.message, "string");
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
    }));

  test("401 with an unknown token, a malformed header, or a revoked token", () =>
    withApi(async ({ call, app, tokens, store }) => {
      assert.equal((await call("GET", "/api/v1/rooms", { token: "bh_nope" })).status, 401);
      const basic = await app.request("/api/v1/rooms", { headers: { authorization: `Basic ${tokens.admin}` } });
      assert.equal(basic.status, 401);
      assert.equal((await call("GET", "/api/v1/rooms", { token: "x".repeat(5000) })).status, 401);
      await store.client.execute("UPDATE tokens SET revoked_at = 1 WHERE name = 'desk'");
      const revoked = await call("GET", "/api/v1/rooms", { as: "frontdesk" });
      assert.equal(revoked.status, 401);
      assert.equal(revoked.body.error.message, "unknown or revoked token");
    }));

  test("the token never appears in a response", () =>
    withApi(async ({ call, tokens }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", { as: "housekeeping", body: {} });
      assert.ok(!JSON.stringify(r.body).includes(tokens.housekeeping));
    }));
});

describe("roles", () => {
  test("403 for housekeeping doing a check-in", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "housekeeping",
        body: { guest: { lastName: "Rossi" } },
      });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, "FORBIDDEN");
    }));

  test("403 for the front desk defining a room", () =>
    withApi(async ({ call }) => {
      const r = await call("PUT", "/api/v1/rooms/101", { as: "frontdesk", body: { extension: "2101" } });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, "FORBIDDEN");
    }));

  test("the role table", () =>
    withApi(async ({ call }) => {
      const cases: [string, string, Record<string, number>][] = [
        ["GET", "/api/v1/rooms", { admin: 200, installer: 200, frontdesk: 200, housekeeping: 200 }],
        ["GET", "/api/v1/wakeups", { admin: 200, installer: 200, frontdesk: 200, housekeeping: 403 }],
        ["GET", "/api/v1/pbx/jobs", { admin: 200, installer: 200, frontdesk: 403, housekeeping: 403 }],
        ["GET", "/api/v1/pbx/links", { admin: 200, installer: 200, frontdesk: 403, housekeeping: 403 }],
        ["GET", "/api/v1/pms", { admin: 200, installer: 200, frontdesk: 403, housekeeping: 403 }],
        ["POST", "/api/v1/pms/resync", { admin: 202, installer: 202, frontdesk: 202, housekeeping: 403 }],
        ["GET", "/api/v1/audit", { admin: 200, installer: 200, frontdesk: 403, housekeeping: 403 }],
        ["POST", "/api/v1/wakeups", { installer: 403, housekeeping: 403 }],
        ["DELETE", "/api/v1/wakeups/1", { installer: 403, housekeeping: 403 }],
        ["POST", "/api/v1/rooms/101/move", { installer: 403, housekeeping: 403 }],
        ["POST", "/api/v1/rooms/101/checkout", { installer: 403, housekeeping: 403 }],
        ["PATCH", "/api/v1/rooms/101", { installer: 403 }],
        ["POST", "/api/v1/pbx/jobs/1/retry", { frontdesk: 403, housekeeping: 403 }],
      ];
      for (const [method, path, expect] of cases) {
        for (const [role, status] of Object.entries(expect)) {
          const r = await call(method, path, { as: role as "admin" });
          assert.equal(r.status, status, `${role} ${method} ${path}`);
        }
      }
    }));
});

describe("errors", () => {
  test("unknown route: 404 JSON", () =>
    withApi(async ({ call }) => {
      const r = await call("GET", "/api/v1/nope");
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, "NOT_FOUND");
      assert.equal((await call("GET", "/", { as: null })).status, 404);
    }));

  test("unknown room: 404 from the service", () =>
    withApi(async ({ call }) => {
      const r = await call("GET", "/api/v1/rooms/999");
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { error: { code: "NOT_FOUND", message: "room 999 is not defined" } });
    }));

  test("a body over 64 KB: 413", () =>
    withApi(async ({ call }) => {
      const big = { guest: { lastName: "x".repeat(70 * 1024) } };
      const r = await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: big });
      assert.equal(r.status, 413);
      assert.equal(r.body.error.code, "PAYLOAD_TOO_LARGE");
    }));

  test("an unexpected error: generic 500, logged, no stack or message leaked", async () => {
    const logger = memoryLogger();
    await withApi(
      async ({ call }) => {
        const r = await call("GET", "/api/v1/pbx/links", { as: "installer" });
        assert.equal(r.status, 500);
        assert.deepEqual(r.body, { error: { code: "INTERNAL", message: "internal error" } });
        const line = logger.lines.find((l) => l.level === "error");
        assert.ok(line, "the error is logged");
        assert.match(String(line.error), /driver exploded/);
        assert.equal(line.path, "/api/v1/pbx/links");
        assert.ok(!JSON.stringify(logger.lines).includes("Bearer"), "no Authorization header in the log");
      },
      {
        logger,
        pbxStatus: async () => {
          throw new Error("driver exploded at /opt/secret/path");
        },
      },
    );
  });
});

describe("validation", () => {
  test("a missing guest last name names the field", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: {} } });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, "INVALID");
      assert.match(r.body.error.message, /^body\.guest\.lastName: /);
      assert.equal(r.body.error.details.issues[0].path, "body.guest.lastName");
    }));

  test("classOfService 7", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Rossi" }, classOfService: 7 },
      });
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /^body\.classOfService: /);
      const p = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { classOfService: 7 } });
      assert.equal(p.status, 400);
      assert.match(p.body.error.message, /^body\.classOfService: /);
    }));

  test("a bad ISO date", () =>
    withApi(async ({ call }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      for (const at of ["tomorrow", "2026-11-23T07:00:00", "2026-11-23 07:00:00Z", "2026-02-30T07:00:00Z"]) {
        const r = await call("POST", "/api/v1/wakeups", { as: "frontdesk", body: { room: "101", at } });
        assert.equal(r.status, 400, at);
        assert.match(r.body.error.message, /^body\.at: /, at);
      }
      const arrival = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Rossi", arrival: "2026-02-30" } },
      });
      assert.equal(arrival.status, 400);
      assert.match(arrival.body.error.message, /^body\.guest\.arrival: /);
    }));

  test("malformed JSON", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", raw: '{"guest": {' });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, "INVALID");
      assert.match(r.body.error.message, /^body: malformed JSON/);
    }));

  test("a body that is not UTF-8 is a 400, never stored as U+FFFD", () =>
    withApi(async ({ app, tokens, call }) => {
      const send = (bytes: Uint8Array) =>
        app.request("/api/v1/rooms/101/checkin", {
          method: "POST",
          headers: { authorization: `Bearer ${tokens.frontdesk}`, "content-type": "application/json" },
          body: bytes,
        });
      const json = (s: string) => new TextEncoder().encode(s);
      const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
      // A lone Latin-1 "é" (0xE9), a truncated sequence, an overlong "/", an encoded surrogate.
      for (const bad of [[0xe9], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
        const body = concat(json('{"guest":{"lastName":"Ross'), Uint8Array.from(bad), json('"}}'));
        const r = await send(body);
        assert.equal(r.status, 400, `bytes ${bad}`);
        const err = (await r.json()) as { error: { code: string; message: string } };
        assert.equal(err.error.code, "INVALID");
        assert.match(err.error.message, /^body: not valid UTF-8/);
      }
      const room = await call("GET", "/api/v1/rooms/101");
      assert.equal(room.status, 404, "nothing was checked in");
      // Well-formed UTF-8 (é as C3 A9) still goes through.
      const ok = await send(json('{"guest":{"lastName":"Rossé"}}'));
      assert.equal(ok.status, 200);
      assert.equal((await call("GET", "/api/v1/rooms/101")).body.guests[0].lastName, "Rossé");
    }));

  test("a missing body where one is required", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk" });
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /^body: /);
    }));

  test("an empty PATCH", () =>
    withApi(async ({ call }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      const r = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: {} });
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /^body: give at least one of/);
    }));

  test("unknown fields, wrong types, bad path and query parameters", () =>
    withApi(async ({ call }) => {
      const unknown = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { DND: true } });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.message, "body.DND: unknown field");
      const type = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { dnd: "yes" } });
      assert.match(type.body.error.message, /^body\.dnd: Invalid type/);
      const lamp = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { messageLamp: -1 } });
      assert.match(lamp.body.error.message, /^body\.messageLamp: /);
      const hk = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { housekeeping: { status: 0 } } });
      assert.match(hk.body.error.message, /^body\.housekeeping\.status: /);
      const pipe = await call("PATCH", "/api/v1/rooms/101", {
        as: "frontdesk",
        body: { housekeeping: { status: 1, maid: "A|RN999" } },
      });
      assert.match(pipe.body.error.message, /^body\.housekeeping\.maid: /);
      const room = await call("GET", "/api/v1/rooms/1%7C2");
      assert.equal(room.status, 400);
      assert.match(room.body.error.message, /^params\.room: /);
      const id = await call("DELETE", "/api/v1/wakeups/abc", { as: "frontdesk" });
      assert.match(id.body.error.message, /^params\.id: /);
      const limit = await call("GET", "/api/v1/audit?limit=0");
      assert.match(limit.body.error.message, /^query\.limit: /);
      const state = await call("GET", "/api/v1/pbx/jobs?state=zombie");
      assert.match(state.body.error.message, /^query\.state: /);
      const notArray = await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", raw: "[1]" });
      assert.equal(notArray.status, 400);
    }));

  test("every issue is listed in details", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { firstName: 3 }, classOfService: "x" },
      });
      const paths = r.body.error.details.issues.map((i: { path: string }) => i.path).sort();
      assert.deepEqual(paths, ["body.classOfService", "body.guest.firstName", "body.guest.lastName"]);
      assert.match(r.body.error.message, /\(and 2 more\)$/);
    }));
});
