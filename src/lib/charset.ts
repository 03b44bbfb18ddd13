/**
 * @module charset
 * Single-byte charsets used by PMS interfaces (FIAS sites pick one per interface). TextEncoder only
 * speaks UTF-8, so the 8-bit tables are done by hand.
 */

export type Charset = "latin1" | "utf8" | "cp850" | "cp1252";
export const charsets: readonly Charset[] = ["latin1", "utf8", "cp850", "cp1252"];

// biome-ignore format: a table reads best in rows of 16
const CP850_HIGH =
  "ÇüéâäàåçêëèïîìÄÅ" + "ÉæÆôöòûùÿÖÜø£Ø×ƒ" + "áíóúñÑªº¿®¬½¼¡«»" + "░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐" +
  "└┴┬├─┼ãÃ╚╔╩╦╠═╬¤" + "ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀" + "ÓßÔÒõÕµþÞÚÛÙýÝ¯´" + "\u00AD±‗¾¶§÷¸°¨·¹³²■\u00A0";

// biome-ignore format: 0x80..0x9F of windows-1252; undefined slots map to themselves
const CP1252_80 =
  "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F" + "\u0090‘’“”•–—˜™š›œ\u009DžŸ";

type Table = { decode: string[]; encode: Map<number, number> };
const tables = new Map<Charset, Table>();

function table(cs: "cp850" | "cp1252"): Table {
  let t = tables.get(cs);
  if (t) return t;
  const decode: string[] = [];
  for (let i = 0; i < 128; i++) decode.push(String.fromCharCode(i));
  for (let i = 128; i < 256; i++) {
    if (cs === "cp850") decode.push(CP850_HIGH[i - 128]);
    else decode.push(i < 0xa0 ? CP1252_80[i - 0x80] : String.fromCharCode(i));
  }
  const encode = new Map<number, number>();
  decode.forEach((ch, i) => {
    encode.set(ch.charCodeAt(0), i);
  });
  t = { decode, encode };
  tables.set(cs, t);
  return t;
}

const utf8Decoder = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();

export function decode(bytes: Uint8Array, cs: Charset): string {
  if (cs === "utf8") return utf8Decoder.decode(bytes);
  if (cs === "latin1") {
    let s = "";
    // Field values are short: a plain loop beats apply() tenfold there; apply() wins on long runs.
    if (bytes.length < 64) {
      for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
      return s;
    }
    for (let i = 0; i < bytes.length; i += 4096) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
    }
    return s;
  }
  const d = table(cs).decode;
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += d[bytes[i]];
  return s;
}

/** Characters the charset cannot carry become "?" rather than failing the whole record. */
export function encode(text: string, cs: Charset): Uint8Array {
  if (cs === "utf8") return utf8Encoder.encode(text);
  const out = new Uint8Array(text.length);
  const enc = cs === "latin1" ? undefined : table(cs).encode;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const b = enc ? enc.get(c) : c < 256 ? c : undefined;
    out[i] = b ?? 0x3f;
  }
  return out;
}
