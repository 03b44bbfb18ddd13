/**
 * @module domain/template
 * `${name}` templates for extensions and phone-system names. Unknown variables render empty; runs
 * of spaces left by empty variables collapse so "${vip} ${first}" with no VIP is not " John".
 */

export function renderTemplate(template: string, vars: Record<string, string | number | null | undefined>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const start = template.indexOf("${", i);
    if (start < 0) {
      out += template.slice(i);
      break;
    }
    const end = template.indexOf("}", start + 2);
    if (end < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, start);
    const value = vars[template.slice(start + 2, end).trim()];
    out += value === null || value === undefined ? "" : String(value);
    i = end + 1;
  }
  return collapseSpaces(out);
}

function collapseSpaces(s: string): string {
  let out = "";
  let space = false;
  for (const ch of s.trim()) {
    if (ch === " ") {
      if (!space) out += ch;
      space = true;
    } else {
      out += ch;
      space = false;
    }
  }
  return out;
}

/** Variables a name template may use, from a room and its primary guest. */
export const templateVariables = [
  "room",
  "extension",
  "mailbox",
  "title",
  "first",
  "last",
  "vip",
  "language",
  "group",
  "arrival",
  "departure",
] as const;
