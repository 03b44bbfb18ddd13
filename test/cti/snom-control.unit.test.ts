import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { actionUrlsFor, callbackBase } from "../../src/cti/callback-url.ts";
import type { CtiPhone } from "../../src/cti/phone-control.ts";
import { snomPhoneControl } from "../../src/cti/snom-control.ts";

const ROOM: CtiPhone = { extension: "2101", host: "10.20.0.31", ip: "10.20.0.31", source: "room" };
const DESK: CtiPhone = {
  extension: "300",
  host: "10.20.0.30:8080",
  ip: "10.20.0.30",
  user: "admin",
  password: "pw",
  source: "phones-file",
};

describe("the SNOM adapter", () => {
  test("requests as the SNOM client takes them: the phone's own credentials, transfer by keys, action URL events", async () => {
    const calls: unknown[][] = [];
    const client = {
      dial: async (...a: unknown[]) => void calls.push(["dial", ...a]),
      pressKey: async (...a: unknown[]) => void calls.push(["pressKey", ...a]),
      setActionUrls: async (...a: unknown[]) => void calls.push(["setActionUrls", ...a]),
    };
    const control = snomPhoneControl(client);
    await control.dial(ROOM, "0612345678");
    await control.dial(DESK, "205", { transfer: true });
    await control.dial(DESK, "+39061234", { transfer: true });
    await control.pressKey(ROOM, "F_HOLD");
    await control.setActionUrls(ROOM, actionUrlsFor("http://10.20.0.2:8080/", "2101"));
    const desk = { ip: "10.20.0.30:8080", username: "admin", password: "pw" };
    assert.deepEqual(calls.slice(0, 4), [
      ["dial", "10.20.0.31", "0612345678"],
      ["pressKey", desk, ["2", "0", "5", "ENTER"]],
      ["dial", desk, "+39061234"],
      ["pressKey", "10.20.0.31", "F_HOLD"],
    ]);
    const [, , urls] = calls[4] as [string, string, Record<string, string>];
    assert.deepEqual(Object.keys(urls).sort(), [
      "connected",
      "disconnected",
      "dndOff",
      "dndOn",
      "hold",
      "incoming",
      "missed",
      "outgoing",
      "unhold",
    ]);
    assert.equal(urls.hold, "http://10.20.0.2:8080/api/v1/cti/snom/2101/hold?remote=$remote&call=$call-id");
    assert.equal(urls.dndOff, "http://10.20.0.2:8080/api/v1/cti/snom/2101/dnd-off");
  });
});

describe("the callback base URL", () => {
  test("companion.callbackUrl, else api.listen's address, else the local address toward the phone", async () => {
    assert.equal(await callbackBase("http://h:1/", { hostname: "0.0.0.0", port: 8080 })(ROOM), "http://h:1");
    assert.equal(await callbackBase(null, { hostname: "10.20.0.2", port: 8080 })(ROOM), "http://10.20.0.2:8080");
    assert.equal(await callbackBase(null, { hostname: "fd00::2", port: 8080 })(ROOM), "http://[fd00::2]:8080");
    const toward = callbackBase(null, { hostname: "0.0.0.0", port: 8080 }, async (ip) =>
      ip === "10.20.0.31" ? "10.20.0.2" : "0.0.0.0",
    );
    assert.equal(await toward(ROOM), "http://10.20.0.2:8080");
    await assert.rejects(toward(DESK), /companion\.callbackUrl/);
  });
});
