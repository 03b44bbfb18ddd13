import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withApi } from "./fixture.ts";

describe("api.allow", () => {
  test("a request from elsewhere gets 403 whatever its token, is counted, and the desk's network still works", () =>
    withApi(
      async ({ call }) => {
        const stranger = await call("GET", "/api/v1/rooms", { as: "admin", from: "10.9.9.9" });
        assert.equal(stranger.status, 403);
        assert.match(stranger.body.error.message, /10\.9\.9\.9 .*not in api\.allow/);
        const mapped = await call("GET", "/api/v1/health", { from: "::ffff:10.9.9.9" });
        assert.equal(mapped.status, 403, "IPv4-mapped addresses are the IPv4 address");
        const desk = await call("GET", "/api/v1/rooms", { as: "frontdesk", from: "192.0.2.44" });
        assert.equal(desk.status, 200);
        const health = await call("GET", "/api/v1/health", { from: "127.0.0.1" });
        assert.equal(health.status, 200);
        assert.equal(health.body.api.requestsRefused, 2);
      },
      { allow: ["192.0.2.0/24", "127.0.0.1"] },
    ));

  test("no api.allow: any address", () =>
    withApi(async ({ call }) => {
      const r = await call("GET", "/api/v1/health", { from: "203.0.113.7" });
      assert.equal(r.status, 200);
      assert.equal(r.body.api.requestsRefused, 0);
    }));
});
