import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { parseSnomLinkConfig, snomHttpPort } from "../../../src/pbx/snom/config.ts";

function issues(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("SNOM link config", () => {
  test("defaults; the port follows the scheme", () => {
    const c = parseSnomLinkConfig({ type: "snom", name: "phones" });
    assert.deepEqual(c, {
      type: "snom",
      name: "phones",
      enabled: true,
      retries: 3,
      intervalSeconds: 60,
      debug: false,
      scheme: "http",
      httpPort: null,
      username: null,
      password: null,
      timeoutSeconds: 5,
      caFile: null,
      concurrency: 8,
    });
    assert.equal(snomHttpPort(c), 80);
    assert.equal(snomHttpPort({ scheme: "https", httpPort: null }), 443);
    assert.equal(snomHttpPort({ scheme: "https", httpPort: 8443 }), 8443);
  });

  test("a snom link in pbx.links; wrong values name the key, a password is never repeated", () => {
    const c = parseConfig({ pbx: { links: [{ type: "snom", name: "p", username: "admin", password: "pw-1234567" }] } });
    assert.equal(c.pbx.links[0].type, "snom");
    assert.match(
      issues({ pbx: { links: [{ type: "snom", name: "p", scheme: "ftp" }] } })[0],
      /^pbx\.links\.0\.scheme: /,
    );
    assert.match(
      issues({ pbx: { links: [{ type: "snom", name: "p", httpPort: 70000 }] } })[0],
      /^pbx\.links\.0\.httpPort: /,
    );
    assert.match(
      issues({ pbx: { links: [{ type: "snom", name: "p", bogus: 1 }] } })[0],
      /^pbx\.links\.0\.bogus: unknown key/,
    );
    const secret = issues({ pbx: { links: [{ type: "snom", name: "p", password: 1234567890 }] } });
    assert.match(secret[0], /^pbx\.links\.0\.password: .*\(value not shown: a secret\)/);
    assert.ok(!secret.join("\n").includes("1234567890"));
  });
});

describe("snom section", () => {
  test("defaults", () => {
    assert.deepEqual(parseConfig({}).snom, {
      idleTemplate: "${first} ${last}",
      vacantText: "",
      lockWhenBarred: false,
      welcome: null,
      applianceUrl: null,
    });
  });

  test("a welcome per language needs the appliance URL the phones fetch it from", () => {
    const welcome = { en: { title: "Welcome", text: "Welcome ${title} ${last}" }, GE: { text: "Willkommen" } };
    const c = parseConfig({ snom: { welcome, applianceUrl: "http://10.20.0.2:8080" } });
    assert.deepEqual(c.snom.welcome, {
      en: { title: "Welcome", text: "Welcome ${title} ${last}" },
      GE: { title: "", text: "Willkommen" },
    });
    assert.match(issues({ snom: { welcome } })[0], /^snom\.applianceUrl: is needed for snom\.welcome/);
    assert.match(
      issues({ snom: { welcome: {}, applianceUrl: "http://a" } })[0],
      /^snom\.welcome: needs at least one language/,
    );
    assert.match(
      issues({ snom: { welcome: { english: { text: "x" } }, applianceUrl: "http://a" } })[0],
      /^snom\.welcome.*language code/,
    );
    assert.match(
      issues({ snom: { welcome: { en: { text: "" } }, applianceUrl: "http://a" } })[0],
      /^snom\.welcome\.en\.text/,
    );
    assert.match(
      issues({ snom: { applianceUrl: "10.0.0.2:8080" } })[0],
      /^snom\.applianceUrl: expected the appliance's API/,
    );
    assert.match(issues({ snom: { idleTemplate: "a\u0000b" } })[0], /^snom\.idleTemplate: must not contain control/);
    assert.match(issues({ snom: { lockWhenBarred: "yes" } })[0], /^snom\.lockWhenBarred: /);
  });
});
