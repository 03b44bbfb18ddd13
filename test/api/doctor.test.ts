/** GET /api/v1/doctor: installer and admin only, the checks with their printed line, 503 when not wired. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createApi } from "../../src/api/app.ts";
import { withApi } from "./fixture.ts";

describe("GET /api/v1/doctor", () => {
  test("not wired: 503; frontdesk and housekeeping: 403; no token: 401", () =>
    withApi(async ({ call }) => {
      assert.equal((await call("GET", "/api/v1/doctor")).status, 503);
      assert.equal((await call("GET", "/api/v1/doctor", { as: "frontdesk" })).status, 403);
      assert.equal((await call("GET", "/api/v1/doctor", { as: "housekeeping" })).status, 403);
      assert.equal((await call("GET", "/api/v1/doctor", { as: null })).status, 401);
    }));

  test("the checks, each with the line bellhop doctor prints; ok is false when one failed", () =>
    withApi(async ({ deps, tokens }) => {
      const app = createApi({
        ...deps,
        doctor: async () => [
          { status: "ok", name: "database", detail: "integrity_check ok" },
          { status: "fail", name: "clock", detail: "not synchronised", fix: "timedatectl set-ntp true" },
        ],
      });
      for (const role of ["installer", "admin"] as const) {
        const res = await app.request("/api/v1/doctor", { headers: { authorization: `Bearer ${tokens[role]}` } });
        assert.equal(res.status, 200);
        const body = (await res.json()) as { ok: boolean; checks: Record<string, unknown>[] };
        assert.equal(body.ok, false);
        assert.deepEqual(body.checks[0], {
          status: "ok",
          name: "database",
          detail: "integrity_check ok",
          fix: null,
          line: "ok   database           integrity_check ok",
        });
        assert.equal(body.checks[1].line, "FAIL clock              not synchronised — fix: timedatectl set-ntp true");
      }
    }));
});
