/**
 * The prompt texts of appliance/prompts/*.tsv, for tests that check what a sequence of prompt ids
 * says ("seven thirty P.M."). Portable: node:fs only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PromptId, PromptLanguage } from "../../src/voice/prompts.ts";

export const TABLES_DIR = fileURLToPath(new URL("../../appliance/prompts", import.meta.url));
export const PROMPTS_DIR = fileURLToPath(new URL("../../prompts", import.meta.url));

export interface Row {
  lang: string;
  id: string;
  text: string;
}

/** The rows of one table (comments and blank lines skipped). */
export function readTable(file: string): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(join(TABLES_DIR, file), "utf8").split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [lang, id, text, ...rest] = line.split("\t");
    if (rest.length || text === undefined) throw new Error(`${file}: bad row ${JSON.stringify(line)}`);
    rows.push({ lang, id, text });
  }
  return rows;
}

let texts: Map<string, string> | undefined;

/** What `ids` say in `lang`, the texts joined by spaces. */
export function spoken(lang: PromptLanguage, ids: readonly PromptId[]): string {
  if (!texts) {
    texts = new Map();
    for (const f of readdirSync(TABLES_DIR).filter((n) => n.endsWith(".tsv"))) {
      for (const r of readTable(f)) texts.set(`${r.lang}/${r.id}`, r.text);
    }
  }
  return ids
    .map((id) => {
      const t = texts?.get(`${lang}/${id}`);
      if (t === undefined) throw new Error(`no text for ${lang}/${id}`);
      return t;
    })
    .join(" ");
}
