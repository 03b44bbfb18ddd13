import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

function issues(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
}

const line = { prefix: "00", name: "International", setupFee: 0.5, ratePerMinute: 1.2 };

describe("postings config", () => {
  test("defaults: off, pre-costed, no tariff line (nothing is charged), emergency numbers free", () => {
    const c = parseConfig({});
    assert.deepEqual(c.postings, {
      enabled: false,
      mode: "pre-costed",
      pulses: false,
      tariffs: { currencyDigits: 2, freePrefixes: ["112", "911"], lines: [] },
      callTrunks: null,
    });
    assert.deepEqual(c.ivr.minibar, []);
  });

  test("a line gets the per-minute increment and no minimum by default", () => {
    const c = parseConfig({ postings: { enabled: true, tariffs: { lines: [line] } }, ivr: { minibar: ["*85"] } });
    assert.deepEqual(c.postings.tariffs.lines, [{ ...line, incrementSeconds: 60, minimumSeconds: 0, callType: null }]);
    assert.deepEqual(c.ivr.minibar, ["*85"]);
  });

  const bad: [unknown, string, RegExp][] = [
    [{ mode: "costed" }, "postings.mode", /Invalid type|Expected/],
    [
      { tariffs: { lines: [line, { ...line, name: "Again" }] } },
      "postings.tariffs.lines.1.prefix",
      /already the prefix of line 0/,
    ],
    [{ tariffs: { lines: [{ ...line, ratePerMinute: -1 }] } }, "postings.tariffs.lines.0.ratePerMinute", /negative/],
    [{ tariffs: { lines: [{ ...line, setupFee: -0.1 }] } }, "postings.tariffs.lines.0.setupFee", /negative/],
    [
      { tariffs: { lines: [{ ...line, ratePerMinute: 0.125 }] } },
      "postings.tariffs.lines.0.ratePerMinute",
      /more decimals/,
    ],
    [
      { tariffs: { currencyDigits: 0, lines: [{ ...line, ratePerMinute: 2 }] } },
      "postings.tariffs.lines.0.setupFee",
      /currencyDigits 0/,
    ],
    [{ tariffs: { lines: [{ ...line, prefix: "0-0" }] } }, "postings.tariffs.lines.0.prefix", /leading digits/],
    [{ tariffs: { lines: [{ ...line, prefix: "" }] } }, "postings.tariffs.lines.0.prefix", /leading digits/],
    [{ tariffs: { lines: [{ ...line, name: "" }] } }, "postings.tariffs.lines.0.name", /length/],
    [{ tariffs: { lines: [{ ...line, name: "x".repeat(21) }] } }, "postings.tariffs.lines.0.name", /length/],
    [{ tariffs: { lines: [{ ...line, incrementSeconds: 0 }] } }, "postings.tariffs.lines.0.incrementSeconds", /1/],
    [
      { tariffs: { lines: [{ ...line, incrementSeconds: 1.5 }] } },
      "postings.tariffs.lines.0.incrementSeconds",
      /integer/,
    ],
    [{ tariffs: { lines: [{ ...line, minimumSeconds: -1 }] } }, "postings.tariffs.lines.0.minimumSeconds", /0/],
    [{ tariffs: { lines: [{ prefix: "0", name: "L" }] } }, "postings.tariffs.lines.0.ratePerMinute", /required/],
    [{ tariffs: { lines: [{ ...line, rate: 1 }] } }, "postings.tariffs.lines.0.rate", /unknown key/],
    [{ tariffs: { lines: [{ ...line, callType: "intl" }] } }, "postings.tariffs.lines.0.callType", /capital letter/],
    [{ tariffs: { freePrefixes: ["11 2"] } }, "postings.tariffs.freePrefixes.0", /leading digits/],
    [{ callTrunks: [] }, "postings.callTrunks", /length/],
    [{ callTrunks: "gw1" }, "postings.callTrunks", /Expected/],
  ];
  for (const [postings, path, expected] of bad) {
    test(`${JSON.stringify(postings)} → ${path}`, () => {
      const lines = issues({ postings });
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.ok(lines[0].startsWith(`${path}: `), lines[0]);
      assert.match(lines[0], expected);
    });
  }

  test("ivr.minibar must be dialled numbers", () => {
    const lines = issues({ ivr: { minibar: ["8 5"] } });
    assert.ok(lines[0].startsWith("ivr.minibar.0: "), lines[0]);
  });
});
