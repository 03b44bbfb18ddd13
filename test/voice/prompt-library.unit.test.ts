import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AppError } from "../../src/lib/errors.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { PromptLibrary } from "../../src/voice/prompt-library.ts";
import { PROMPT_IDS, PROMPT_LANGUAGES } from "../../src/voice/prompts.ts";
import { WavError, wavToUlaw } from "../../src/voice/wav.ts";
import { sine, wav } from "./wav-fixture.ts";

const SHIPPED = fileURLToPath(new URL("../../prompts", import.meta.url));

/** A built-in set with en/{wakeup,menu}, de/wakeup; an empty custom folder beside it. */
async function withDirs(
  fn: (d: { builtin: string; custom: string; root: string }) => Promise<void> | void,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "bellhop-library-"));
  try {
    const builtin = join(root, "builtin");
    mkdirSync(join(builtin, "en"), { recursive: true });
    mkdirSync(join(builtin, "de"));
    writeFileSync(join(builtin, "en", "wakeup.ul"), new Uint8Array(800).fill(1));
    writeFileSync(join(builtin, "en", "menu.ul"), new Uint8Array(1600).fill(2));
    writeFileSync(join(builtin, "de", "wakeup.ul"), new Uint8Array(2400).fill(3));
    await fn({ builtin, custom: join(root, "data", "prompts"), root });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const recording = (seconds = 1.5) => wav({ rate: 16000, channels: [sine(16000, seconds, 440, 0.5)] });

describe("PromptLibrary", () => {
  test("built-in prompts, English when the language lacks one, NOT_FOUND when nothing", () =>
    withDirs(async ({ builtin, custom }) => {
      const lib = new PromptLibrary({ builtinDir: builtin, customDir: custom });
      assert.equal(lib.get("de", "wakeup")[0], 3);
      assert.equal(lib.get("de", "menu")[0], 2);
      assert.equal(lib.get("it", "wakeup")[0], 1);
      assert.throws(
        () => lib.get("de", "goodbye"),
        (e: unknown) => e instanceof AppError && e.code === "NOT_FOUND" && /de\/goodbye/.test(e.message),
      );
    }));

  test("an upload replaces the prompt in its language only, atomically, and is cached", () =>
    withDirs(async ({ builtin, custom }) => {
      const logger = memoryLogger();
      const lib = new PromptLibrary({ builtinDir: builtin, customDir: custom, logger });
      const before = lib.get("de", "wakeup");
      assert.equal(lib.get("de", "wakeup"), before, "served from memory");

      const file = recording();
      const r = await lib.putCustom("de", "wakeup", file);
      assert.deepEqual(r, {
        lang: "de",
        id: "wakeup",
        custom: true,
        durationMs: 1500,
        source: "16-bit PCM, 16000 Hz, 1 channel",
      });
      const expected = (await wavToUlaw(file)).ulaw;
      assert.deepEqual(lib.get("de", "wakeup"), expected);
      assert.deepEqual(new Uint8Array(readFileSync(join(custom, "de", "wakeup.ul"))), expected);
      assert.deepEqual(readdirSync(join(custom, "de")), ["wakeup.ul"], "no temporary file left behind");
      assert.equal(lib.get("en", "wakeup")[0], 1, "English untouched");
      assert.ok(logger.lines.some((l) => l.msg === "custom prompt uploaded" && l.id === "wakeup"));
    }));

  test("a custom English prompt also stands in for languages without the prompt", () =>
    withDirs(async ({ builtin, custom }) => {
      const lib = new PromptLibrary({ builtinDir: builtin, customDir: custom });
      assert.equal(lib.get("fr", "menu")[0], 2);
      await lib.putCustom("en", "menu", recording());
      assert.equal(lib.get("fr", "menu").length, 12000);
      assert.equal(lib.get("de", "menu").length, 12000);
      assert.ok(lib.deleteCustom("en", "menu"));
      assert.equal(lib.get("fr", "menu")[0], 2);
    }));

  test("delete restores the built-in prompt; deleting again says there was none", () =>
    withDirs(async ({ builtin, custom }) => {
      const lib = new PromptLibrary({ builtinDir: builtin, customDir: custom });
      assert.equal(lib.deleteCustom("de", "wakeup"), false, "no custom folder yet");
      await lib.putCustom("de", "wakeup", recording());
      assert.equal(lib.deleteCustom("de", "wakeup"), true);
      assert.equal(lib.get("de", "wakeup")[0], 3);
      assert.equal(lib.deleteCustom("de", "wakeup"), false);
      assert.ok(!existsSync(join(custom, "de", "wakeup.ul")));
    }));

  test("an unusable file is refused with the reason, and the prompt in place stays", () =>
    withDirs(async ({ builtin, custom }) => {
      const lib = new PromptLibrary({ builtinDir: builtin, customDir: custom });
      await lib.putCustom("de", "wakeup", recording());
      const kept = lib.get("de", "wakeup");
      await assert.rejects(() => lib.putCustom("de", "wakeup", new Uint8Array(100)), WavError);
      await assert.rejects(
        () => lib.putCustom("de", "wakeup", wav({ rate: 8000, channels: [new Float64Array(8000)] })),
        /the recording is silent/,
      );
      assert.deepEqual(lib.get("de", "wakeup"), kept);
      assert.deepEqual(readdirSync(join(custom, "de")), ["wakeup.ul"]);
      assert.ok(!existsSync(join(custom, "fr")), "nothing written for a refused upload");
    }));

  test("list: every language × prompt, custom flag, playing time of what plays now", () =>
    withDirs(async ({ builtin, custom }) => {
      const lib = new PromptLibrary({ builtinDir: builtin, customDir: custom });
      await lib.putCustom("it", "goodbye", recording(0.75));
      const list = lib.list();
      assert.equal(list.length, PROMPT_LANGUAGES.length * PROMPT_IDS.length);
      const find = (lang: string, id: string) => list.find((p) => p.lang === lang && p.id === id);
      assert.deepEqual(find("de", "wakeup"), { lang: "de", id: "wakeup", custom: false, durationMs: 300 });
      assert.deepEqual(find("es", "menu"), { lang: "es", id: "menu", custom: false, durationMs: 200 });
      assert.deepEqual(find("it", "goodbye"), { lang: "it", id: "goodbye", custom: true, durationMs: 750 });
      assert.deepEqual(find("en", "goodbye"), { lang: "en", id: "goodbye", custom: false, durationMs: null });
    }));

  test("custom prompts outlive a firmware update (a new built-in set)", () =>
    withDirs(async ({ builtin, custom, root }) => {
      await new PromptLibrary({ builtinDir: builtin, customDir: custom }).putCustom("de", "wakeup", recording());
      const next = join(root, "builtin-v2");
      mkdirSync(join(next, "de"), { recursive: true });
      writeFileSync(join(next, "de", "wakeup.ul"), new Uint8Array(10).fill(9));
      const lib = new PromptLibrary({ builtinDir: next, customDir: custom });
      assert.equal(lib.get("de", "wakeup").length, 12000);
    }));

  test("the shipped prompts cover every language and prompt", () => {
    const lib = new PromptLibrary({ builtinDir: SHIPPED, customDir: join(tmpdir(), "bellhop-no-such-dir") });
    for (const p of lib.list()) {
      assert.equal(p.custom, false);
      assert.ok((p.durationMs ?? 0) >= 150, `${p.lang}/${p.id}`);
    }
  });
});
