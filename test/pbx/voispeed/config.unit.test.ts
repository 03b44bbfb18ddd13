/**
 * The VOIspeed link's configuration: defaults, the https trust rule, the IVR node map, and secrets
 * (the module token, our notify key) never repeated in a message.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import {
  parseVoispeedLinkConfig,
  voispeedLinkCheckedSchema,
  voispeedLinkProblem,
} from "../../../src/pbx/voispeed/config.ts";

const TOKEN = "tok-7f3a9c2e5b";
const KEY = "k3y-9a8b7c6d5e4f3a2b";
const base = {
  type: "voispeed" as const,
  name: "vs",
  url: "http://127.0.0.1:8089/PBX/seri_endpoint.php",
  token: TOKEN,
  notifyKey: KEY,
};

function issues(link: unknown): string[] {
  try {
    parseConfig({ pbx: { links: [link] } });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues;
  }
  assert.fail(`expected ${JSON.stringify(link)} to be rejected`);
}

describe("VOIspeed link config", () => {
  test("defaults", () => {
    const c = parseVoispeedLinkConfig(base);
    assert.deepEqual(c, {
      ...base,
      enabled: true,
      retries: 3,
      intervalSeconds: 60,
      debug: false,
      timeoutSeconds: 15,
      certificateSha256: null,
      caFile: null,
      ratePerSecond: 10,
      names: "phonebook",
      appName: "bellhop",
      vacantMode: "normal",
      callbackNetworks: null,
      ivrNodes: {},
    });
  });

  test("it is a pbx.links[] type", () => {
    const cfg = parseConfig({
      pbx: {
        links: [
          {
            ...base,
            vacantMode: "away",
            names: "off",
            callbackNetworks: ["192.0.2.0/24"],
            ivrNodes: {
              "9/0": "housekeeping",
              "9/1": { service: "wakeup", ok: { prompt: "wakeup-ok.wav" }, invalid: { node: "1" }, maxTries: 2 },
              "12/3": { service: "minibar", failed: { end: true }, ok: { transfer: "9" } },
            },
          },
        ],
      },
    });
    const l = cfg.pbx.links[0];
    assert.equal(l.type, "voispeed");
    if (l.type !== "voispeed") return;
    assert.equal(l.vacantMode, "away");
    assert.deepEqual(l.ivrNodes["9/1"], {
      service: "wakeup",
      ok: { prompt: "wakeup-ok.wav" },
      invalid: { node: "1" },
      maxTries: 2,
    });
  });

  test("https needs a pin or a CA; http only to loopback", () => {
    assert.equal(voispeedLinkProblem({ url: base.url, certificateSha256: null, caFile: null }), null);
    assert.match(
      voispeedLinkProblem({ url: "http://192.0.2.1/PBX/seri_endpoint.php", certificateSha256: null, caFile: null }) ??
        "",
      /http:\/\/ is allowed only for a loopback simulator/,
    );
    assert.match(
      voispeedLinkProblem({ url: "https://pbx/PBX/seri_endpoint.php", certificateSha256: null, caFile: null }) ?? "",
      /certificateSha256 or caFile is required/,
    );
    assert.equal(
      voispeedLinkProblem({ url: "https://pbx/x", certificateSha256: `${"AB:".repeat(31)}AB`, caFile: null }),
      null,
    );
    assert.equal(v.safeParse(voispeedLinkCheckedSchema, { ...base, url: "http://192.0.2.1/x" }).success, false);
    const [line] = issues({ ...base, url: "https://192.0.2.1/PBX/seri_endpoint.php" });
    assert.match(line, /^pbx\.links\.0: certificateSha256 or caFile is required/);
  });

  test("bad values name their key", () => {
    assert.match(issues({ ...base, url: "ftp://pbx/x" })[0], /^pbx\.links\.0\.url: must be an https:\/\//);
    assert.match(issues({ ...base, vacantMode: "absent" })[0], /^pbx\.links\.0\.vacantMode: /);
    assert.match(issues({ ...base, names: "display" })[0], /^pbx\.links\.0\.names: /);
    assert.match(issues({ ...base, certificateSha256: "abc" })[0], /certificateSha256: must be a SHA-256/);
    assert.match(issues({ ...base, callbackNetworks: ["pbx.lan"] })[0], /callbackNetworks\.0: expected an IP address/);
    assert.match(issues({ ...base, ivrNodes: { "9": "housekeeping" } })[0], /ivrNodes.*expected "<ivrid>\/<nodeid>"/);
    assert.ok(issues({ ...base, ivrNodes: { "9/0": "laundry" } }).length > 0);
    assert.ok(issues({ ...base, ivrNodes: { "9/0": { service: "wakeup", ok: { prompt: "a\r\nb" } } } }).length > 0);
    assert.ok(issues({ ...base, ivrNodes: { "9/0": { service: "wakeup", ok: { end: false } } } }).length > 0);
    assert.match(issues({ ...base, ratePerSecond: 0 })[0], /ratePerSecond/);
    assert.match(issues({ ...base, unknownKey: 1 })[0], /unknownKey: unknown key/);
  });

  test("the token and the notify key are required", () => {
    const { token: _t, ...noToken } = base;
    assert.deepEqual(issues(noToken), ["pbx.links.0.token: required key is missing"]);
    const { notifyKey: _k, ...noKey } = base;
    assert.deepEqual(issues(noKey), ["pbx.links.0.notifyKey: required key is missing"]);
  });

  test("a bad secret is never repeated", () => {
    const cases: [string, unknown, string][] = [
      ["token, a number", { ...base, token: 55443322 }, "55443322"],
      ["token, empty", { ...base, token: "" }, TOKEN],
      ["notifyKey, a number", { ...base, notifyKey: 13579246810 }, "13579246810"],
      ["notifyKey, too short", { ...base, notifyKey: "shortkey" }, "shortkey"],
      ["notifyKey, not URL-safe", { ...base, notifyKey: "a key with spaces&more" }, "a key with spaces"],
      ["notifyKey, an array", { ...base, notifyKey: ["arr-notify-key-123456"] }, "arr-notify-key"],
    ];
    for (const [what, link, secret] of cases) {
      const lines = issues(link);
      assert.ok(lines.length > 0, what);
      for (const l of lines) {
        assert.ok(!l.includes(secret), `${what}: ${l}`);
        assert.match(l, /value not shown/, `${what}: ${l}`);
      }
    }
  });

  test("valid secrets never appear in another key's message", () => {
    const lines = issues({ ...base, retries: -1, url: "http://192.0.2.1/x" });
    for (const l of lines) for (const s of [TOKEN, KEY]) assert.ok(!l.includes(s), l);
  });
});
