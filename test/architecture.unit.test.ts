/**
 * The layers of src/ (README "Layout"): a folder imports only folders of a lower rank, never one above
 * it and never a sibling of its own rank, so data flows one way. Static and dynamic imports count;
 * `import type` counts too (a type from above still couples the layers).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

/** Rank per top-level folder of src/ (and main.ts). */
const RANK: Record<string, number> = {
  lib: 0,
  domain: 1,
  config: 2,
  sip: 3,
  pms: 3,
  pbx: 4, // drivers: the sip-mwi driver sits over the SIP stack
  voice: 5, // call channel, prompts, G.711/WAV, recording, speaking numbers and dates
  ivr: 6, // the voice flows, over a CallChannel and callbacks
  store: 6,
  services: 7,
  wakeup: 8, // orchestrators
  voicemail: 8,
  jobs: 8,
  inbound: 9, // answers a port's calls: IVR flows or voicemail
  // The 24U-compatible CTI server: a TCP server over a PhoneControl interface (adapted from the
  // SNOM client in pbx/), the phones file and the monitors; the API (callbacks) and app sit above it.
  cti: 9,
  api: 10,
  sim: 10,
  app: 11,
  cli: 12,
  runtime: 12,
  "main.ts": 13,
};

/**
 * Known, reasoned exceptions (importer → imported):
 * - config/schema.ts assembles the schema each adapter declares beside its wire format (pbx/<driver>/
 *   config.ts, the FIAS framings), so a driver's accepted config is corrected in the driver's folder.
 * - app/appliance.ts takes the default prompt folder from runtime/paths.ts, the one place that knows
 *   where bundled files are inside the compiled binary.
 */
const ALLOWED: readonly [string, string][] = [
  ["config/schema.ts", "pbx/snom/config.ts"],
  ["config/schema.ts", "pbx/ucm/config.ts"],
  ["config/schema.ts", "pbx/voispeed/config.ts"],
  ["config/schema.ts", "pbx/zoom/config.ts"],
  ["config/schema.ts", "pms/fias/frame.ts"],
  ["app/appliance.ts", "runtime/paths.ts"],
];

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm;

function layerOf(file: string): string {
  return relative(SRC, file).split("/")[0] ?? "";
}

function violations(): string[] {
  const out: string[] = [];
  for (const file of tsFiles(SRC)) {
    const from = layerOf(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1] ?? "");
      if (!target.startsWith(SRC)) continue;
      const to = layerOf(target);
      if (to === from) continue;
      const pair = [relative(SRC, file), relative(SRC, target)];
      if (ALLOWED.some(([a, b]) => a === pair[0] && b === pair[1])) continue;
      const rf = RANK[from];
      const rt = RANK[to];
      if (rf === undefined || rt === undefined) out.push(`${relative(SRC, file)}: unranked folder ${from} or ${to}`);
      else if (rt >= rf) out.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
    }
  }
  return out;
}

describe("layers", () => {
  test("every top-level folder of src/ has a rank", () => {
    const missing = readdirSync(SRC).filter((n) => RANK[n] === undefined);
    assert.deepEqual(missing, []);
  });

  test("no folder imports one of its own rank or above", () => {
    assert.deepEqual(violations(), []);
  });
});
