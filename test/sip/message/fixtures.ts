/** Loads the RFC 4475 torture messages and the fuzz crashers (portable: node:fs works in Bun and Deno). */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("../../fixtures/", import.meta.url));

export function torture(kind: "valid" | "invalid", name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}rfc4475/${kind}/${name}.dat`));
}

export function tortureNames(kind: "valid" | "invalid"): string[] {
  return readdirSync(`${FIXTURES}rfc4475/${kind}`)
    .filter((f) => f.endsWith(".dat"))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** Every file in test/fixtures/sip-fuzz except the README. */
export function fuzzCrashers(): Array<{ name: string; bytes: Uint8Array }> {
  const dir = `${FIXTURES}sip-fuzz`;
  return readdirSync(dir)
    .filter((f) => f !== "README.md")
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(`${dir}/${name}`)) }));
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const crlf = (lines: string[]): Uint8Array => text(lines.join("\r\n"));
