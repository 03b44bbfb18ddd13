import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ulawToLinear } from "../../src/sip/rtp/g711.ts";
import { SPEAKING_PROMPT_IDS } from "../../src/voice/prompt-ids-speaking.ts";
import { loadPrompt, PROMPT_IDS, PROMPT_LANGUAGES, promptLanguage } from "../../src/voice/prompts.ts";

const PROMPTS_DIR = fileURLToPath(new URL("../../prompts", import.meta.url));
const BYTES_PER_SECOND = 8000; // μ-law, 8 kHz mono
/** Mean |sample| of 16-bit linear speech from espeak-ng is ~1000–2000; silence decodes to 0. */
const MIN_MEAN_ABS = 200;

describe("committed prompt files", () => {
  for (const lang of PROMPT_LANGUAGES) {
    test(`${lang} has exactly the prompt ids`, () => {
      const files = readdirSync(join(PROMPTS_DIR, lang)).sort();
      assert.deepEqual(files, PROMPT_IDS.map((id) => `${id}.ul`).sort());
    });
    for (const id of PROMPT_IDS) {
      // The IVR instructions (housekeeping-enter, wakeup-enter-time) run to ~10 s at espeak's pace.
      // Spoken words (numbers, dates) are trimmed of espeak's silence to run together: shorter.
      const min = (SPEAKING_PROMPT_IDS as readonly string[]).includes(id) ? 0.15 : 0.5;
      test(`${lang}/${id}.ul is ${min}–12 s of non-silent μ-law`, () => {
        const audio = loadPrompt(PROMPTS_DIR, lang, id);
        assert.ok(audio.length > 0, "non-empty");
        const seconds = audio.length / BYTES_PER_SECOND;
        assert.ok(seconds >= min && seconds <= 12, `duration ${seconds.toFixed(2)} s`);
        const pcm = ulawToLinear(audio);
        let sum = 0;
        for (const s of pcm) sum += Math.abs(s);
        const meanAbs = sum / pcm.length;
        assert.ok(meanAbs > MIN_MEAN_ABS, `mean |amplitude| ${meanAbs.toFixed(0)}`);
      });
    }
  }

  test("the languages differ (each set is its own recording)", () => {
    const en = loadPrompt(PROMPTS_DIR, "en", "wakeup");
    for (const lang of PROMPT_LANGUAGES.filter((l) => l !== "en")) {
      assert.notDeepEqual(loadPrompt(PROMPTS_DIR, lang, "wakeup"), en, lang);
    }
  });
});

describe("promptLanguage", () => {
  test("maps the FIAS legacy GL codes", () => {
    assert.equal(promptLanguage("EA"), "en");
    assert.equal(promptLanguage("GE"), "de");
    assert.equal(promptLanguage("FR"), "fr");
    assert.equal(promptLanguage("SP"), "es");
    assert.equal(promptLanguage("IT"), "it");
  });

  test("maps the ISO-like codes in any case", () => {
    for (const lang of PROMPT_LANGUAGES) {
      assert.equal(promptLanguage(lang), lang);
      assert.equal(promptLanguage(lang.toUpperCase()), lang);
    }
    assert.equal(promptLanguage(" de "), "de");
  });

  test("anything else is English", () => {
    for (const gl of ["", "JA", "RU", "xx", "GER", "E", "pt"]) assert.equal(promptLanguage(gl), "en", gl);
  });
});

describe("loadPrompt", () => {
  test("falls back to English when a language lacks the prompt", () => {
    const dir = mkdtempSync(join(tmpdir(), "bellhop-prompts-"));
    try {
      mkdirSync(join(dir, "en"));
      mkdirSync(join(dir, "de"));
      writeFileSync(join(dir, "en", "menu.ul"), new Uint8Array([1, 2, 3]));
      writeFileSync(join(dir, "en", "wakeup.ul"), new Uint8Array([4]));
      writeFileSync(join(dir, "de", "wakeup.ul"), new Uint8Array([5, 6]));
      assert.deepEqual(loadPrompt(dir, "de", "wakeup"), new Uint8Array([5, 6]));
      assert.deepEqual(loadPrompt(dir, "de", "menu"), new Uint8Array([1, 2, 3]));
      assert.deepEqual(loadPrompt(dir, "fr", "menu"), new Uint8Array([1, 2, 3]), "no folder for the language");
      assert.throws(() => loadPrompt(dir, "en", "confirmed"));
      assert.throws(() => loadPrompt(dir, "it", "confirmed"), "no English prompt either");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("returns a byte view of the whole file", () => {
    const audio = loadPrompt(PROMPTS_DIR, "en", "confirmed");
    assert.ok(audio instanceof Uint8Array);
    assert.equal(audio.byteLength, audio.length);
  });
});
