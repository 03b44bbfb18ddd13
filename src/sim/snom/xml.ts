/**
 * @module sim/snom/xml
 * Just enough XML for the minibrowser's objects: elements, attributes, text, the five entities and
 * numeric references, comments, CDATA and the prolog. A scanner, no regex over the document; a
 * mismatched or unclosed tag throws, since a phone would show an error instead of the screen.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its children's), entities decoded, untrimmed. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (all, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? all;
  });
}

function isNameChar(c: string): boolean {
  return c !== "" && !" \t\r\n/>=".includes(c);
}

export function parseXml(text: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const fail = (why: string): never => {
    throw new Error(`malformed XML at ${i}: ${why}`);
  };
  const skipSpace = () => {
    while (i < text.length && " \t\r\n".includes(text[i])) i++;
  };
  while (i < text.length) {
    if (text[i] !== "<") {
      const next = text.indexOf("<", i);
      const chunk = text.slice(i, next < 0 ? text.length : next);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(chunk);
      else if (chunk.trim() !== "") fail("text outside the root element");
      i = next < 0 ? text.length : next;
      continue;
    }
    if (text.startsWith("<?", i) || text.startsWith("<!--", i)) {
      const close = text.startsWith("<?", i) ? "?>" : "-->";
      const end = text.indexOf(close, i);
      if (end < 0) fail("unclosed prolog or comment");
      i = end + close.length;
      continue;
    }
    if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i);
      if (end < 0 || stack.length === 0) fail("bad CDATA");
      stack[stack.length - 1].text += text.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith("<!", i)) {
      const end = text.indexOf(">", i);
      if (end < 0) fail("unclosed declaration");
      i = end + 1;
      continue;
    }
    if (text[i + 1] === "/") {
      const end = text.indexOf(">", i);
      if (end < 0) fail("unclosed end tag");
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? ""}>`);
      i = end + 1;
      continue;
    }
    i++;
    let name = "";
    while (i < text.length && isNameChar(text[i])) name += text[i++];
    if (name === "") fail("empty tag name");
    const el: XmlElement = { name, attrs: {}, children: [], text: "" };
    for (;;) {
      skipSpace();
      if (i >= text.length) fail(`unclosed <${name}>`);
      if (text[i] === ">" || text.startsWith("/>", i)) break;
      let attr = "";
      while (i < text.length && isNameChar(text[i])) attr += text[i++];
      skipSpace();
      if (attr === "" || text[i] !== "=") fail(`bad attribute in <${name}>`);
      i++;
      skipSpace();
      const q = text[i];
      if (q !== '"' && q !== "'") fail(`unquoted attribute ${attr}`);
      const end = text.indexOf(q, i + 1);
      if (end < 0) fail(`unclosed attribute ${attr}`);
      el.attrs[attr] = decodeEntities(text.slice(i + 1, end));
      i = end + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) fail("a second root element");
    else root = el;
    if (text.startsWith("/>", i)) i += 2;
    else {
      i++;
      stack.push(el);
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) fail("no element");
  return root as XmlElement;
}

/** The first child named `name` (any of the names, for tags SNOM spells two ways). */
export function child(el: XmlElement, ...names: string[]): XmlElement | undefined {
  return el.children.find((c) => names.includes(c.name));
}

export function childText(el: XmlElement, ...names: string[]): string {
  return child(el, ...names)?.text.trim() ?? "";
}
