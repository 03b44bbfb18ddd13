import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { callingExtension, type InboundCallInfo, normalizeUser, routeService } from "../../src/ivr/route.ts";

const ivr = parseConfig({ ivr: { housekeeping: ["500", "*61"], wakeup: ["501", "#77"] } }).ivr;

function info(over: Partial<InboundCallInfo>): InboundCallInfo {
  return { diversionUsers: [], historyInfoUsers: [], assertedUsers: [], ...over };
}

describe("routeService", () => {
  test("the Request-URI user names the service", () => {
    assert.equal(routeService(info({ requestUser: "500" }), ivr), "housekeeping");
    assert.equal(routeService(info({ requestUser: "501" }), ivr), "wakeup");
    assert.equal(routeService(info({ requestUser: "*61" }), ivr), "housekeeping");
  });

  test("the first of Request-URI, To, Diversion, History-Info that is a feature number wins", () => {
    const port = "bellhop-1";
    assert.equal(routeService(info({ requestUser: port, toUser: "501" }), ivr), "wakeup");
    assert.equal(
      routeService(info({ requestUser: port, toUser: port, diversionUsers: ["x", "500"] }), ivr),
      "housekeeping",
    );
    assert.equal(
      routeService(info({ requestUser: port, toUser: port, diversionUsers: ["501"], historyInfoUsers: ["500"] }), ivr),
      "wakeup",
    );
    assert.equal(routeService(info({ requestUser: port, historyInfoUsers: ["200", "501"] }), ivr), "wakeup");
    assert.equal(routeService(info({ requestUser: "500", toUser: "501" }), ivr), "housekeeping");
  });

  test("escaped and parameterised user parts match", () => {
    assert.equal(routeService(info({ requestUser: "%2377" }), ivr), "wakeup");
    assert.equal(routeService(info({ requestUser: "500;phone-context=hotel" }), ivr), "housekeeping");
    assert.equal(normalizeUser(" 100%zz "), "100%zz");
    assert.equal(normalizeUser(""), undefined);
  });

  test("no match: the default service, else none", () => {
    assert.equal(routeService(info({ requestUser: "9" }), ivr), undefined);
    assert.equal(routeService(info({}), ivr), undefined);
    const withDefault = { ...ivr, defaultService: "wakeup" as const };
    assert.equal(routeService(info({ requestUser: "9" }), withDefault), "wakeup");
    assert.equal(routeService(info({ requestUser: "500" }), withDefault), "housekeeping");
  });

  test("a user that only contains a feature number does not match", () => {
    assert.equal(routeService(info({ requestUser: "5000", toUser: "50" }), ivr), undefined);
  });
});

describe("callingExtension", () => {
  test("P-Asserted-Identity first, else From", () => {
    assert.equal(callingExtension(info({ assertedUsers: ["101", "+3906"], fromUser: "999" })), "101");
    assert.equal(callingExtension(info({ assertedUsers: [" "], fromUser: "102" })), "102");
    assert.equal(callingExtension(info({ fromUser: "103" })), "103");
    assert.equal(callingExtension(info({})), undefined);
  });
});
