import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SPEAKING_PROMPT_IDS } from "../../src/voice/prompt-ids-speaking.ts";
import { VOICEMAIL_PROMPT_IDS } from "../../src/voice/prompt-ids-voicemail.ts";
import { PROMPT_IDS, PROMPT_LANGUAGES } from "../../src/voice/prompts.ts";
import { readTable, TABLES_DIR } from "./prompt-texts.ts";

const TABLES: [string, readonly string[]][] = [
  ["voicemail.tsv", VOICEMAIL_PROMPT_IDS],
  ["speaking.tsv", SPEAKING_PROMPT_IDS],
];

describe("voicemail and speaking prompt tables", () => {
  for (const [file, ids] of TABLES) {
    test(`${file}: every id in every language once, nothing else`, () => {
      const rows = readTable(file);
      const got = new Map<string, number>();
      for (const r of rows) {
        assert.ok((PROMPT_LANGUAGES as readonly string[]).includes(r.lang), `${file}: language ${r.lang}`);
        assert.ok(ids.includes(r.id), `${file}: ${r.id} is not in its id list`);
        assert.match(r.id, /^[a-z0-9-]+$/);
        assert.ok(r.text.trim() === r.text && r.text !== "", `${file}: ${r.lang}/${r.id} text`);
        const k = `${r.lang}/${r.id}`;
        got.set(k, (got.get(k) ?? 0) + 1);
      }
      for (const lang of PROMPT_LANGUAGES)
        for (const id of ids) assert.equal(got.get(`${lang}/${id}`), 1, `${lang}/${id}`);
    });

    test(`${file} ends with a newline`, () => {
      assert.ok(readFileSync(join(TABLES_DIR, file), "utf8").endsWith("\n"));
    });
  }

  test("no id is in two lists", () => {
    assert.equal(new Set(PROMPT_IDS).size, PROMPT_IDS.length);
  });
});
