import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { type InboundCallInfo, routeService } from "../../src/ivr/route.ts";

const info = (over: Partial<InboundCallInfo>): InboundCallInfo => ({
  diversionUsers: [],
  historyInfoUsers: [],
  assertedUsers: [],
  ...over,
});

describe("routeService: minibar", () => {
  test("an ivr.minibar number (escaped or not) routes to minibar", () => {
    const ivr = parseConfig({ ivr: { minibar: ["*85", "502"] } }).ivr;
    assert.equal(routeService(info({ requestUser: "*85" }), ivr), "minibar");
    assert.equal(routeService(info({ requestUser: "port", toUser: "502" }), ivr), "minibar");
    assert.equal(routeService(info({ requestUser: "port", diversionUsers: ["%2A85"] }), ivr), "minibar");
    assert.equal(routeService(info({ requestUser: "500" }), ivr), "housekeeping");
  });

  test("off by default: nothing routes to minibar", () => {
    const ivr = parseConfig({}).ivr;
    assert.equal(routeService(info({ requestUser: "*85" }), ivr), undefined);
  });
});
