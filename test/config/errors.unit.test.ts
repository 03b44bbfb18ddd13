/**
 * Configuration messages at the edges (issue 10 §4): a value of the wrong type where a section or a
 * list belongs names the key and what was expected (never "unknown key" for a known key), and a
 * message about a password, secret or token never repeats its value (it lands in the journal).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load.ts";

function issues(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
}

const zoom = { type: "zoom", name: "z", accountId: "acc", clientId: "cid", clientSecret: "s3cr3t-zoom" };
const ucm = {
  type: "ucm",
  name: "u",
  url: "http://127.0.0.1:8089/api",
  apiUser: "api",
  apiPassword: "api-pass-123",
  pmsUser: "pms",
  pmsPassword: "pms-pass-456",
};

describe("a known key with a value of the wrong type", () => {
  const cases: [unknown, string, RegExp][] = [
    [{ sip: null }, "sip", /Expected Object but received null/],
    [{ pms: 5 }, "pms", /Expected Object but received 5/],
    [{ site: "Hotel" }, "site", /Expected Object/],
    [{ pbx: { links: null } }, "pbx.links", /Expected Array but received null/],
    [{ pbx: { links: [5] } }, "pbx.links.0", /Expected Object but received 5/],
    [{ sip: { ports: [5] } }, "sip.ports.0", /Expected Object but received 5/],
    // valibot alone would take an array for an object, and quietly use the defaults.
    [{ sip: [] }, "sip", /Expected Object but received an array/],
    [{ sip: { pbx: [] } }, "sip.pbx", /Expected Object but received an array/],
    [{ sip: { media: [] } }, "sip.media", /Expected Object but received an array/],
    [{ rooms: { vipLabels: ["VIP"] } }, "rooms.vipLabels", /Expected Object but received an array/],
    [{ pbx: { links: [{ ...zoom, classOfService: [] }] } }, "pbx.links.0.classOfService", /received an array/],
    [{ sip: { proxy: 5 } }, "sip.proxy", /Expected Object/],
    [{ wakeup: { escalation: true } }, "wakeup.escalation", /Expected Object/],
    [{ pbx: { links: [{ ...zoom, classOfService: { "3": 1 } }] } }, "pbx.links.0.classOfService.3", /Expected Object/],
  ];
  for (const [input, path, expected] of cases) {
    test(`${JSON.stringify(input)} → ${path}`, () => {
      const lines = issues(input);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.ok(lines[0].startsWith(`${path}: `), lines[0]);
      assert.match(lines[0], expected);
      assert.doesNotMatch(lines[0], /unknown key/);
    });
  }

  test("an unknown key is still called one, at any depth", () => {
    assert.deepEqual(issues({ sip: { prxy: null } }), ["sip.prxy: unknown key (not part of the configuration)"]);
    assert.deepEqual(issues({ sip: { ports: [{ user: "2001", pasword: "x" }] } }), [
      "sip.ports.0.pasword: unknown key (not part of the configuration)",
    ]);
  });

  test("a required key that is missing says so", () => {
    const { clientSecret: _, ...noSecret } = zoom;
    assert.deepEqual(issues({ pbx: { links: [noSecret] } }), ["pbx.links.0.clientSecret: required key is missing"]);
  });
});

describe("secrets are never echoed", () => {
  const secretCases: [string, unknown, string][] = [
    ["sip port password, a number", { sip: { ports: [{ user: "2001", password: 987654321 }] } }, "987654321"],
    ["sip port password, an object", { sip: { ports: [{ user: "2001", password: { pw: "hunter2" } }] } }, "hunter2"],
    ["zoom clientSecret, a number", { pbx: { links: [{ ...zoom, clientSecret: 55443322 }] } }, "55443322"],
    ["zoom clientSecret, an array", { pbx: { links: [{ ...zoom, clientSecret: ["arr-secret"] }] } }, "arr-secret"],
    ["ucm apiPassword, a boolean", { pbx: { links: [{ ...ucm, apiPassword: true }] } }, "true"],
    ["ucm pmsPassword, a number", { pbx: { links: [{ ...ucm, pmsPassword: 13579 }] } }, "13579"],
  ];
  for (const [what, input, value] of secretCases) {
    test(what, () => {
      const lines = issues(input);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /^(sip\.ports\.0\.password|pbx\.links\.0\.(clientSecret|apiPassword|pmsPassword)): /);
      assert.match(lines[0], /Expected string/, "names the expected type");
      assert.match(lines[0], /value not shown/);
      assert.ok(!lines[0].includes(value), `${lines[0]} repeats ${value}`);
    });
  }

  test("an invalid (not only mistyped) secret: what was expected, not the value", () => {
    const [line] = issues({ pbx: { links: [{ ...zoom, clientSecret: "" }] } });
    assert.match(line, /^pbx\.links\.0\.clientSecret: Invalid length: Expected >=1 \(value not shown/);
  });

  test("other links' secrets and valid secrets never appear in any message", () => {
    const err = (() => {
      try {
        parseConfig({
          pbx: {
            links: [
              { ...zoom, retries: -1 },
              { ...ucm, url: "http://192.0.2.1/api" },
            ],
          },
        });
      } catch (e) {
        return e as Error;
      }
      assert.fail("expected a ConfigError");
    })();
    for (const s of [zoom.clientSecret, ucm.apiPassword, ucm.pmsPassword]) assert.ok(!err.message.includes(s), s);
  });

  test("a config file that is not JSON: the parser's complaint without the text around the error", () => {
    const dir = mkdtempSync(join(tmpdir(), "bellhop-config-"));
    try {
      const file = join(dir, "bellhop.json");
      writeFileSync(file, '{"sip": {"ports": [{"user": "2001", "password": hunter2}]}}');
      assert.throws(
        () => loadConfig(file),
        (err: Error) =>
          err instanceof ConfigError && err.message.includes("is not valid JSON") && !err.message.includes("hunter2"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a non-secret value is still shown (it helps to find the typo)", () => {
    assert.match(issues({ pms: { port: "x" } })[0], /^pms\.port: Invalid type: Expected number but received "x"$/);
  });
});
