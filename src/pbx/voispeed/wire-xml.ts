/**
 * @module pbx/voispeed/wire-xml
 * The VOIspeed replies' XML: a scanner and, for tests and peers that play VOIspeed, a renderer.
 *
 * XML is read by a small scanner (no XML library: the replies are flat, attribute-free and, in the
 * guide, often not well-formed). It is deliberately tolerant, and every tolerance exists because the
 * guide's own examples need it:
 * - values are trimmed (`<request_id> 56732980 </request_id>`), entities and CDATA decoded;
 * - a close tag may lack its `>` (`</calling_id` + newline) or have a space before an underscore
 *   (`</connected _id>`: read as `connected_id`);
 * - a close tag that matches nothing open is ignored (`<call_ref_if>…</call_ref_id>`);
 * - an element holding text is closed by the next open tag (`<id> autoincrement` + newline +
 *   `<callid>`: the call report written without close tags);
 * - an open tag of the innermost open element's own name closes a text-only element
 *   (`<id> ID ivr N <id>`) and starts a sibling after one with children (`<node>…<node>`, and the
 *   stray `<call>` at the end of a report, which yields an empty call that readers drop);
 * - `<outcome1</outcome>` (the call report's failure example) reads as outcome 1;
 * - a data reply without `<outcome>` (the guide's voicemail and park-line examples) counts as
 *   success when it holds the expected container element.
 */

export interface XmlElement {
  name: string;
  /** Text directly inside, untrimmed (entities decoded). */
  text: string;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** The tag's name: its first word, joined with words that start with `_` (`connected _id`). */
function tagName(inner: string): string {
  const words = inner.trim().split(/\s+/);
  let name = words[0] ?? "";
  for (let i = 1; i < words.length && words[i].startsWith("_"); i++) name += words[i];
  return name;
}

/** Fixes the guide's `<outcome1</outcome>` before scanning. */
function fixKnownTypos(src: string): string {
  return src.replace(/<outcome\s*(\d+)\s*<\/outcome\s*>/g, "<outcome>$1</outcome>");
}

/** Scans XML into elements (see the module comment for the tolerances). Never throws. */
export function parseXml(text: string): XmlElement {
  const src = fixKnownTypos(text);
  const doc: XmlElement = { name: "#document", text: "", children: [] };
  const stack: XmlElement[] = [doc];
  const top = () => stack[stack.length - 1] as XmlElement;
  const addText = (s: string) => {
    if (stack.length > 1) top().text += s;
  };
  const open = (name: string) => {
    for (;;) {
      const t = top();
      if (t === doc) break;
      if (t.name === name) {
        stack.pop();
        // `<id> x <id>`: the second tag was meant to close the first.
        if (t.children.length === 0) return false;
        break; // `<node>…<node>`: a sibling begins
      }
      if (t.children.length === 0 && t.text.trim() !== "") {
        stack.pop(); // a value whose close tag was left out
        continue;
      }
      break;
    }
    const el: XmlElement = { name, text: "", children: [] };
    top().children.push(el);
    stack.push(el);
    return true;
  };
  const close = (name: string) => {
    for (let i = stack.length - 1; i > 0; i--) {
      if (stack[i]?.name === name) {
        stack.length = i;
        return;
      }
    }
  };
  let i = 0;
  const n = src.length;
  while (i < n) {
    const lt = src.indexOf("<", i);
    if (lt < 0) {
      addText(decodeEntities(src.slice(i)));
      break;
    }
    if (lt > i) addText(decodeEntities(src.slice(i, lt)));
    if (src.startsWith("<!--", lt)) {
      const end = src.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (src.startsWith("<![CDATA[", lt)) {
      const end = src.indexOf("]]>", lt + 9);
      addText(src.slice(lt + 9, end < 0 ? n : end));
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (src[lt + 1] === "?" || src[lt + 1] === "!") {
      const end = src.indexOf(">", lt);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (!/[A-Za-z_/]/.test(src[lt + 1] ?? "")) {
      addText("<"); // a lone "<" in text
      i = lt + 1;
      continue;
    }
    let j = lt + 1;
    while (j < n && src[j] !== ">" && src[j] !== "<") j++;
    const inner = src.slice(lt + 1, j);
    i = j < n && src[j] === ">" ? j + 1 : j;
    if (inner.startsWith("/")) {
      const name = tagName(inner.slice(1));
      if (name) close(name);
      continue;
    }
    const selfClosing = inner.endsWith("/");
    const name = tagName(selfClosing ? inner.slice(0, -1) : inner);
    if (!name) continue;
    if (open(name) && selfClosing) stack.pop();
  }
  return doc;
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** A child's trimmed text, or undefined when there is no such child. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}

export function childNumber(el: XmlElement, name: string): number | undefined {
  const t = childText(el, name);
  if (t === undefined || t === "" || !/^-?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

// ---------------------------------------------------------------------------------------------------
// Rendering replies (for tests and peers that play VOIspeed).

export type XmlValue = string | number | XmlValue[] | { [name: string]: XmlValue };

function escapeXml(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

function renderValue(name: string, v: XmlValue): string {
  if (Array.isArray(v)) return v.map((x) => renderValue(name, x)).join("");
  if (typeof v === "object") {
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => renderValue(k, x))
      .join("")}</${name}>`;
  }
  return `<${name}>${escapeXml(String(v))}</${name}>`;
}

/** `<?xml …?><result>…</result>` with these children, in order; an array repeats its element. */
export function renderResult(body: Record<string, XmlValue>): string {
  const inner = Object.entries(body)
    .map(([k, v]) => renderValue(k, v))
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8" ?>\n<result>\n${inner}\n</result>`;
}
