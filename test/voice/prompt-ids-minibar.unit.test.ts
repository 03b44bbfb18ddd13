import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MINIBAR_PROMPT_IDS } from "../../src/voice/prompt-ids-minibar.ts";
import { PROMPT_IDS, PROMPT_LANGUAGES } from "../../src/voice/prompts.ts";
import { readTable, TABLES_DIR } from "./prompt-texts.ts";

describe("minibar prompt table", () => {
  test("minibar.tsv: every id in every language once, nothing else", () => {
    const got = new Map<string, number>();
    for (const r of readTable("minibar.tsv")) {
      assert.ok((PROMPT_LANGUAGES as readonly string[]).includes(r.lang), `language ${r.lang}`);
      assert.ok((MINIBAR_PROMPT_IDS as readonly string[]).includes(r.id), `${r.id} is not a minibar prompt`);
      assert.ok(r.text.trim() === r.text && r.text !== "", `${r.lang}/${r.id} text`);
      got.set(`${r.lang}/${r.id}`, (got.get(`${r.lang}/${r.id}`) ?? 0) + 1);
    }
    for (const lang of PROMPT_LANGUAGES)
      for (const id of MINIBAR_PROMPT_IDS) assert.equal(got.get(`${lang}/${id}`), 1, `${lang}/${id}`);
    assert.ok(readFileSync(join(TABLES_DIR, "minibar.tsv"), "utf8").endsWith("\n"));
  });

  test("registered among the prompts", () => {
    for (const id of MINIBAR_PROMPT_IDS) assert.ok((PROMPT_IDS as readonly string[]).includes(id), id);
  });
});
