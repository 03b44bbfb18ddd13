import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PROMPT_IDS, PROMPT_LANGUAGES } from "../../src/voice/prompts.ts";
import { numberPrompts } from "../../src/voice/say-number.ts";
import { PROMPTS_DIR, spoken } from "./prompt-texts.ts";

describe("numberPrompts", () => {
  test("0–999 in every language: only known prompt ids, each with its .ul file", () => {
    const known = new Set<string>(PROMPT_IDS);
    const seen = new Set<string>();
    for (const lang of PROMPT_LANGUAGES) {
      for (let n = 0; n <= 999; n++) {
        const ids = numberPrompts(lang, n);
        assert.ok(ids.length >= 1 && ids.length <= 2, `${lang} ${n}: ${ids}`);
        for (const id of ids) {
          assert.ok(known.has(id), `${lang} ${n}: unknown id ${id}`);
          const k = `${lang}/${id}`;
          if (!seen.has(k)) assert.ok(existsSync(join(PROMPTS_DIR, lang, `${id}.ul`)), `${k}.ul`);
          seen.add(k);
        }
      }
    }
  });

  test("whole words below 100, a hundreds word and the rest above", () => {
    assert.deepEqual(numberPrompts("en", 0), ["num-0"]);
    assert.deepEqual(numberPrompts("en", 42), ["num-42"]);
    assert.deepEqual(numberPrompts("en", 100), ["num-100"]);
    assert.deepEqual(numberPrompts("en", 105), ["num-1xx", "num-5"]);
    assert.deepEqual(numberPrompts("en", 342), ["num-300", "num-42"]);
    assert.deepEqual(numberPrompts("en", 900), ["num-900"]);
    assert.deepEqual(numberPrompts("en", 999), ["num-900", "num-99"]);
  });

  test("the words per language", () => {
    const cases: [Parameters<typeof numberPrompts>[0], number, string][] = [
      ["en", 21, "twenty-one"],
      ["en", 342, "three hundred forty-two"],
      ["de", 21, "einundzwanzig"],
      ["de", 1, "eins"],
      ["de", 101, "einhundert eins"],
      ["fr", 71, "soixante et onze"],
      ["fr", 77, "soixante-dix-sept"],
      ["fr", 80, "quatre-vingts"],
      ["fr", 99, "quatre-vingt-dix-neuf"],
      ["fr", 200, "deux cents"],
      ["es", 100, "cien"],
      ["es", 101, "ciento uno"],
      ["es", 27, "veintisiete"],
      ["es", 45, "cuarenta y cinco"],
      ["es", 500, "quinientos"],
      ["it", 28, "ventotto"],
      ["it", 33, "trentatré"],
      ["it", 101, "cento uno"],
    ];
    for (const [lang, n, text] of cases) assert.equal(spoken(lang, numberPrompts(lang, n)), text, `${lang} ${n}`);
  });

  test("anything else is read digit by digit", () => {
    assert.deepEqual(numberPrompts("en", 1000), ["digit-1", "digit-0", "digit-0", "digit-0"]);
    assert.deepEqual(numberPrompts("de", -7), ["digit-7"]);
    assert.deepEqual(numberPrompts("fr", 2.6), ["digit-3"]);
    assert.deepEqual(numberPrompts("es", Number.NaN), []);
  });
});
