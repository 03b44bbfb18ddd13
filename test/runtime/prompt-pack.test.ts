import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { after, test } from "node:test";
import * as zlib from "node:zlib";
import { expandPrompts, findPack, packPrompts } from "../../src/runtime/prompt-pack.ts";
import { tempDir } from "../helpers/store.ts";

const PROMPTS = resolve(import.meta.dirname ?? ".", "../../prompts");
const tmp = tempDir("bellhop-pack-");
after(() => tmp.cleanup());

/** The repository's prompts, packed once (zstd 19 of 16 MB takes a few seconds: level 3 here). */
const pack = (() => {
  const packed = packPrompts(PROMPTS, (raw) => zlib.zstdCompressSync(raw));
  writeFileSync(join(tmp.dir, packed.name), packed.bytes);
  return { ...packed, file: join(tmp.dir, packed.name) };
})();

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ul"))
    .sort();
}

test("the pack expands to every prompt, byte for byte, and is found by its name", () => {
  assert.equal(findPack(tmp.dir), pack.file);
  assert.match(pack.name, /^prompts-[0-9a-f]{16}\.pack$/);
  const out = expandPrompts(pack.file, join(tmp.dir, "a"));
  assert.deepEqual(files(out), files(PROMPTS));
  for (const f of files(PROMPTS)) assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(PROMPTS, f)), f);
  assert.equal(
    pack.rawBytes,
    files(PROMPTS).reduce((n, f) => n + statSync(join(PROMPTS, f)).size, 0),
  );
  assert.ok(pack.bytes.length < pack.rawBytes * 0.75, `compressed: ${pack.bytes.length} of ${pack.rawBytes}`);
});

test("a second start reuses the expanded folder without writing it again", () => {
  const base = join(tmp.dir, "b");
  const first = expandPrompts(pack.file, base);
  const stamp = statSync(join(first, "en", "wakeup.ul")).mtimeMs;
  writeFileSync(join(first, "en", "wakeup.ul"), "marker"); // would be overwritten by a new expansion
  assert.equal(expandPrompts(pack.file, base), first);
  assert.equal(readFileSync(join(first, "en", "wakeup.ul"), "utf8"), "marker");
  assert.ok(stamp > 0);
});

test("a folder a tmp cleaner thinned out, or one left half-written, is expanded again", () => {
  const base = join(tmp.dir, "c");
  const dir = expandPrompts(pack.file, base);
  unlinkSync(join(dir, "de", "wakeup.ul"));
  assert.equal(expandPrompts(pack.file, base), dir);
  assert.deepEqual(files(dir), files(PROMPTS));
  rmSync(join(dir, ".complete"));
  assert.equal(expandPrompts(pack.file, base), dir);
  assert.deepEqual(files(dir), files(PROMPTS));
  assert.deepEqual(
    readdirSync(base).filter((f) => f.endsWith(".tmp")),
    [],
    "no temporary folder left behind",
  );
});

test("another content is another folder; no pack in a folder is undefined", () => {
  assert.equal(findPack(join(tmp.dir, "nowhere")), undefined);
  const other = tempDir("bellhop-pack-src-");
  try {
    mkdirSync(join(other.dir, "en"));
    writeFileSync(join(other.dir, "en", "wakeup.ul"), new Uint8Array([0xff, 0x7f, 0x00]));
    const small = packPrompts(other.dir);
    assert.notEqual(small.name, pack.name);
    writeFileSync(join(other.dir, small.name), small.bytes);
    const out = expandPrompts(join(other.dir, small.name), join(other.dir, "x"));
    assert.deepEqual([...readFileSync(join(out, "en", "wakeup.ul"))], [0xff, 0x7f, 0x00]);
  } finally {
    other.cleanup();
  }
});

test("an earlier version's prompts expanded more than a week ago are removed, younger ones kept", () => {
  const base = join(tmp.dir, "d");
  mkdirSync(join(base, "bellhop-prompts-0000000000000001", "en"), { recursive: true });
  mkdirSync(join(base, "bellhop-prompts-0000000000000002", "en"), { recursive: true });
  const old = join(base, "bellhop-prompts-0000000000000001", ".complete");
  writeFileSync(old, "{}");
  const weekAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(old, weekAgo, weekAgo);
  writeFileSync(join(base, "bellhop-prompts-0000000000000002", ".complete"), "{}");
  writeFileSync(join(base, "unrelated"), "x");
  const dir = expandPrompts(pack.file, base);
  assert.deepEqual(readdirSync(base).sort(), ["bellhop-prompts-0000000000000002", basename(dir), "unrelated"].sort());
});
