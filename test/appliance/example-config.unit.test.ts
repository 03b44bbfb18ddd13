import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";

const example = JSON.parse(readFileSync(new URL("../../appliance/bellhop.example.json", import.meta.url), "utf8"));

describe("appliance/bellhop.example.json", () => {
  test("is a valid configuration that spells out every key", () => {
    const parsed = parseConfig(example);
    assert.deepEqual(parsed, example, "nothing in the example is left to a default or dropped");
    const keys = (o: object, prefix = ""): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v) ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    assert.deepEqual(keys(parsed).sort(), keys(parseConfig({})).sort());
  });
});
