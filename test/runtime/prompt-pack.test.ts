import assert from "node:assert/strict";
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { after, test } from "node:test";
import { promptEncoder } from "../../build/prompt-encoder.ts";
import { encodeStream, expandPrompts, findPack, packPrompts } from "../../src/runtime/prompt-pack.ts";
import { ulawToLinear } from "../../src/sip/rtp/g711.ts";
import { tempDir } from "../helpers/store.ts";

const PROMPTS = resolve(import.meta.dirname ?? ".", "../../prompts");
const tmp = tempDir("bellhop-pack-");
after(() => tmp.cleanup());

/** A few real prompts in two languages (encoding all 34 minutes takes ~15 s: build.ts caches it). */
const SOURCE = join(tmp.dir, "source");
for (const lang of ["de", "en"]) {
  mkdirSync(join(SOURCE, lang), { recursive: true });
  for (const f of ["wakeup.ul", "goodbye.ul", "confirmed.ul", "at.ul"]) {
    copyFileSync(join(PROMPTS, lang, f), join(SOURCE, lang, f));
  }
}
const opus = (raw: Uint8Array) => encodeStream(raw, promptEncoder());
const pack = (() => {
  const packed = packPrompts(SOURCE, opus);
  writeFileSync(join(tmp.dir, packed.name), packed.bytes);
  return { ...packed, file: join(tmp.dir, packed.name) };
})();

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ul"))
    .sort();
}

/** Normalised correlation of the two recordings with `b` shifted by `lag` samples. */
function correlation(a: Int16Array, b: Int16Array, lag: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const y = b[i + lag] ?? 0;
    ab += a[i] * y;
    aa += a[i] * a[i];
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

test("the pack expands to every prompt, each as long as its source and sounding like it", async () => {
  assert.equal(findPack(tmp.dir), pack.file);
  assert.match(pack.name, /^prompts-[0-9a-f]{16}\.pack$/);
  const out = await expandPrompts(pack.file, join(tmp.dir, "a"));
  assert.deepEqual(files(out), files(SOURCE));
  for (const f of files(SOURCE)) {
    const source = ulawToLinear(readFileSync(join(SOURCE, f)));
    const decoded = ulawToLinear(readFileSync(join(out, f)));
    assert.equal(decoded.length, source.length, f);
    // Lined up sample for sample (the pre-skip is right) and close: a lossy codec, not a copy.
    const lined = correlation(source, decoded, 0);
    assert.ok(lined > 0.9, `${f}: correlation ${lined.toFixed(3)}`);
    for (const lag of [-2, -1, 1, 2]) assert.ok(correlation(source, decoded, lag) < lined, `${f}: lag ${lag}`);
  }
  assert.equal(
    pack.rawBytes,
    files(SOURCE).reduce((n, f) => n + statSync(join(SOURCE, f)).size, 0),
  );
  // 12 kbit/s against μ-law's 64: under a fifth, with the index and packet lengths.
  assert.ok(pack.bytes.length < pack.rawBytes * 0.2, `packed: ${pack.bytes.length} of ${pack.rawBytes}`);
});

test("a second start reuses the expanded folder without writing it again", async () => {
  const base = join(tmp.dir, "b");
  const first = await expandPrompts(pack.file, base);
  writeFileSync(join(first, "en", "wakeup.ul"), "marker"); // would be overwritten by a new expansion
  assert.equal(await expandPrompts(pack.file, base), first);
  assert.equal(readFileSync(join(first, "en", "wakeup.ul"), "utf8"), "marker");
});

test("a folder a tmp cleaner thinned out, or one left half-written, is expanded again", async () => {
  const base = join(tmp.dir, "c");
  const dir = await expandPrompts(pack.file, base);
  unlinkSync(join(dir, "de", "wakeup.ul"));
  assert.equal(await expandPrompts(pack.file, base), dir);
  assert.deepEqual(files(dir), files(SOURCE));
  rmSync(join(dir, ".complete"));
  assert.equal(await expandPrompts(pack.file, base), dir);
  assert.deepEqual(files(dir), files(SOURCE));
  assert.deepEqual(
    readdirSync(base).filter((f) => f.endsWith(".tmp")),
    [],
    "no temporary folder left behind",
  );
});

test("a damaged pack is an error naming the language; nothing is left half-expanded", async () => {
  const base = join(tmp.dir, "damaged");
  mkdirSync(base);
  const cut = join(base, pack.name);
  writeFileSync(cut, pack.bytes.subarray(0, pack.bytes.length - 200));
  await assert.rejects(expandPrompts(cut, base), /: en: /);
  assert.deepEqual(
    readdirSync(base).filter((f) => f !== pack.name),
    [],
  );
});

test("another content is another folder; no pack in a folder is undefined", async () => {
  assert.equal(findPack(join(tmp.dir, "nowhere")), undefined);
  const other = tempDir("bellhop-pack-src-");
  try {
    mkdirSync(join(other.dir, "en"));
    writeFileSync(join(other.dir, "en", "wakeup.ul"), new Uint8Array(400).fill(0xff));
    const small = packPrompts(other.dir, opus);
    assert.notEqual(small.name, pack.name);
    writeFileSync(join(other.dir, small.name), small.bytes);
    const out = await expandPrompts(join(other.dir, small.name), join(other.dir, "x"));
    assert.equal(readFileSync(join(out, "en", "wakeup.ul")).length, 400);
  } finally {
    other.cleanup();
  }
});

test("an earlier version's prompts expanded more than a week ago are removed, younger ones kept", async () => {
  const base = join(tmp.dir, "d");
  mkdirSync(join(base, "bellhop-prompts-0000000000000001", "en"), { recursive: true });
  mkdirSync(join(base, "bellhop-prompts-0000000000000002", "en"), { recursive: true });
  const old = join(base, "bellhop-prompts-0000000000000001", ".complete");
  writeFileSync(old, "{}");
  const weekAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(old, weekAgo, weekAgo);
  writeFileSync(join(base, "bellhop-prompts-0000000000000002", ".complete"), "{}");
  writeFileSync(join(base, "unrelated"), "x");
  const dir = await expandPrompts(pack.file, base);
  assert.deepEqual(readdirSync(base).sort(), ["bellhop-prompts-0000000000000002", basename(dir), "unrelated"].sort());
});
