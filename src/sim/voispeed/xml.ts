/**
 * @module sim/voispeed/xml
 * The reply envelope as the seed prints it: an XML declaration with a space before `?>`, one element
 * a line, tab-indented, and values padded with a space each side (`<request_id> 56732980 </request_id>`)
 * so a client that does not trim breaks here rather than on a real PBX. `<outcome>` keeps the seed's
 * unpadded `0` except where its own example pads it (call_request_ext), via `padOutcome`.
 */

/** An element: a leaf value, or children. */
export type XmlNode = [name: string, value: string | number | XmlNode[]];

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" ?>';

export function escapeXml(s: string): string {
  let out = "";
  for (const ch of s) {
    if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else out += ch;
  }
  return out;
}

export interface XmlStyle {
  pad: boolean;
}

function render(node: XmlNode, depth: number, style: XmlStyle, lines: string[]): void {
  const [name, value] = node;
  const indent = "\t".repeat(depth);
  if (Array.isArray(value)) {
    lines.push(`${indent}<${name}>`);
    for (const child of value) render(child, depth + 1, style, lines);
    lines.push(`${indent}</${name}>`);
    return;
  }
  const text = escapeXml(String(value));
  // An empty value stays empty: padding it would invent a value of spaces.
  const body = style.pad && text !== "" ? ` ${text} ` : text;
  lines.push(`${indent}<${name}>${body}</${name}>`);
}

/** `<result>` with `outcome` (unless null) followed by the payload. */
export function resultXml(
  outcome: "0" | "1" | null,
  payload: XmlNode[],
  style: XmlStyle,
  opts: { padOutcome?: boolean } = {},
): string {
  const lines = [XML_DECLARATION, "<result>"];
  if (outcome !== null) {
    lines.push(opts.padOutcome && style.pad ? `\t<outcome> ${outcome} </outcome>` : `\t<outcome>${outcome}</outcome>`);
  }
  for (const n of payload) render(n, 1, style, lines);
  lines.push("</result>");
  return `${lines.join("\n")}\n`;
}

/** A record as `<tag>` with its fields in the given order. */
export function recordNode<T>(tag: string, rec: T, fields: readonly (keyof T & string)[]): XmlNode {
  return [tag, fields.map((f): XmlNode => [f, fieldValue(rec[f])])];
}

function fieldValue(v: unknown): string | number {
  if (v === null || v === undefined) return "";
  return typeof v === "number" ? v : String(v);
}
