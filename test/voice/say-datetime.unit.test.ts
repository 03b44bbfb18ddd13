import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fromWallTime } from "../../src/lib/zoned-time.ts";
import { PROMPT_IDS, PROMPT_LANGUAGES, type PromptLanguage } from "../../src/voice/prompts.ts";
import { datePrompts, envelopePrompts, timePrompts } from "../../src/voice/say-datetime.ts";
import { PROMPTS_DIR, spoken } from "./prompt-texts.ts";

const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";

/** An instant given as wall time in `tz`. */
function at(tz: string, year: number, month: number, day: number, hour: number, minute: number): number {
  return fromWallTime({ year, month, day, hour, minute, second: 0 }, tz);
}

function time(lang: PromptLanguage, h: number, m: number): string {
  return spoken(lang, timePrompts(lang, h, m));
}

describe("timePrompts", () => {
  test("English: a 12-hour clock with o'clock, oh and A.M./P.M.", () => {
    assert.equal(time("en", 19, 30), "seven thirty P.M.");
    assert.equal(time("en", 19, 0), "seven o'clock P.M.");
    assert.equal(time("en", 7, 5), "seven oh five A.M.");
    assert.equal(time("en", 0, 0), "twelve o'clock A.M.");
    assert.equal(time("en", 0, 45), "twelve forty-five A.M.");
    assert.equal(time("en", 12, 15), "twelve fifteen P.M.");
    assert.equal(time("en", 11, 59), "eleven fifty-nine A.M.");
    assert.equal(time("en", 23, 10), "eleven ten P.M.");
  });

  test("German: neunzehn Uhr dreißig", () => {
    assert.equal(time("de", 19, 30), "neunzehn Uhr dreißig");
    assert.equal(time("de", 19, 0), "neunzehn Uhr");
    assert.equal(time("de", 1, 1), "ein Uhr eins");
    assert.equal(time("de", 0, 5), "null Uhr fünf");
    assert.equal(time("de", 21, 45), "einundzwanzig Uhr fünfundvierzig");
  });

  test("French: dix-neuf heures trente", () => {
    assert.equal(time("fr", 19, 30), "dix-neuf heures trente");
    assert.equal(time("fr", 1, 0), "une heure");
    assert.equal(time("fr", 21, 15), "vingt et une heures quinze");
    assert.equal(time("fr", 0, 10), "zéro heure dix");
  });

  test("Spanish: las diecinueve y treinta", () => {
    assert.equal(time("es", 19, 30), "las diecinueve y treinta");
    assert.equal(time("es", 1, 5), "la una y cinco");
    assert.equal(time("es", 21, 0), "las veintiuna");
    assert.equal(time("es", 0, 20), "las cero y veinte");
  });

  test("Italian: diciannove e trenta (after alle ore)", () => {
    assert.equal(time("it", 19, 30), "diciannove e trenta");
    assert.equal(time("it", 1, 0), "una");
    assert.equal(time("it", 23, 8), "ventitré e otto");
  });

  test("every hour and minute in every language: known ids with .ul files", () => {
    const known = new Set<string>(PROMPT_IDS);
    for (const lang of PROMPT_LANGUAGES) {
      for (let h = 0; h < 24; h++) {
        for (let m = 0; m < 60; m++) {
          for (const id of timePrompts(lang, h, m)) assert.ok(known.has(id), `${lang} ${h}:${m} ${id}`);
        }
      }
      for (let h = 0; h < 24; h++) assert.ok(existsSync(join(PROMPTS_DIR, lang, `hour-${h}.ul`)));
    }
  });

  test("out-of-range input wraps instead of failing", () => {
    assert.deepEqual(timePrompts("de", 24, 60), timePrompts("de", 0, 0));
    assert.deepEqual(timePrompts("de", -1, 0), timePrompts("de", 23, 0));
    assert.deepEqual(timePrompts("en", Number.NaN, 5), timePrompts("en", 0, 5));
  });
});

describe("datePrompts", () => {
  test("month and day in each language's order, ordinals in English and German", () => {
    assert.equal(spoken("en", datePrompts("en", 12, 6)), "December sixth");
    assert.equal(spoken("en", datePrompts("en", 3, 22)), "March twenty-second");
    assert.equal(spoken("de", datePrompts("de", 12, 6)), "sechsten Dezember");
    assert.equal(spoken("de", datePrompts("de", 5, 1)), "ersten Mai");
    assert.equal(spoken("fr", datePrompts("fr", 12, 6)), "six décembre");
    assert.equal(spoken("fr", datePrompts("fr", 5, 1)), "premier mai");
    assert.equal(spoken("es", datePrompts("es", 12, 6)), "seis de diciembre");
    assert.equal(spoken("es", datePrompts("es", 1, 1)), "primero de enero");
    assert.equal(spoken("it", datePrompts("it", 12, 31)), "trentuno dicembre");
    assert.equal(spoken("it", datePrompts("it", 4, 1)), "primo aprile");
  });

  test("every day of every month has its prompts", () => {
    for (const lang of PROMPT_LANGUAGES) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          for (const id of datePrompts(lang, month, day)) {
            assert.ok(existsSync(join(PROMPTS_DIR, lang, `${id}.ul`)), `${lang}/${id}`);
          }
        }
      }
    }
  });
});

describe("envelopePrompts", () => {
  const env = (lang: PromptLanguage, receivedAt: number, now: number, tz = BERLIN, index = 1) =>
    spoken(lang, envelopePrompts(lang, { index, receivedAt, now, timezone: tz }));
  const now = at(BERLIN, 2026, 12, 10, 9, 0); // a Thursday

  test("today, yesterday, a weekday within six days, then month and day", () => {
    assert.equal(
      env("en", at(BERLIN, 2026, 12, 10, 7, 30), now, BERLIN, 3),
      "Message three received today at seven thirty A.M.",
    );
    assert.equal(
      env("en", at(BERLIN, 2026, 12, 9, 19, 0), now),
      "Message one received yesterday at seven o'clock P.M.",
    );
    assert.equal(
      env("en", at(BERLIN, 2026, 12, 8, 19, 5), now),
      "Message one received on Tuesday at seven oh five P.M.",
    );
    assert.equal(
      env("en", at(BERLIN, 2026, 12, 4, 12, 0), now),
      "Message one received on Friday at twelve o'clock P.M.",
    );
    assert.equal(
      env("en", at(BERLIN, 2026, 12, 3, 23, 59), now),
      "Message one received on December third at eleven fifty-nine P.M.",
    );
    assert.equal(
      env("en", at(BERLIN, 2026, 11, 28, 8, 15), now, BERLIN, 12),
      "Message twelve received on November twenty-eighth at eight fifteen A.M.",
    );
  });

  test("the same in the other languages", () => {
    const today = at(BERLIN, 2026, 12, 10, 19, 30);
    const later = at(BERLIN, 2026, 12, 10, 20, 0);
    assert.equal(env("de", today, later, BERLIN, 2), "Nachricht zwei empfangen heute um neunzehn Uhr dreißig");
    assert.equal(env("fr", today, later), "Message un reçu aujourd'hui à dix-neuf heures trente");
    assert.equal(env("es", today, later), "Mensaje uno recibido hoy a las diecinueve y treinta");
    assert.equal(env("it", today, later), "Messaggio uno ricevuto oggi alle ore diciannove e trenta");
    const old = at(BERLIN, 2026, 12, 2, 13, 0);
    assert.equal(env("de", old, now), "Nachricht eins empfangen am zweiten Dezember um dreizehn Uhr");
    assert.equal(env("fr", old, now), "Message un reçu le deux décembre à treize heures");
    assert.equal(env("es", old, now), "Mensaje uno recibido el dos de diciembre a las trece");
    assert.equal(env("it", old, now), "Messaggio uno ricevuto il giorno due dicembre alle ore tredici");
    const monday = at(BERLIN, 2026, 12, 7, 8, 0);
    assert.equal(env("de", monday, now), "Nachricht eins empfangen am Montag um acht Uhr");
    assert.equal(env("fr", monday, now), "Message un reçu lundi à huit heures");
    assert.equal(env("es", monday, now), "Mensaje uno recibido el lunes a las ocho");
    assert.equal(env("it", monday, now), "Messaggio uno ricevuto lunedì alle ore otto");
    assert.equal(env("de", at(BERLIN, 2026, 12, 9, 1, 0), now), "Nachricht eins empfangen gestern um ein Uhr");
  });

  test("days are the hotel's calendar days: across midnight", () => {
    const justAfter = at(BERLIN, 2026, 12, 10, 0, 10);
    assert.match(env("en", at(BERLIN, 2026, 12, 9, 23, 50), justAfter), /received yesterday at eleven fifty P\.M\./);
    assert.match(env("en", at(BERLIN, 2026, 12, 10, 0, 5), justAfter), /received today at twelve oh five A\.M\./);
  });

  test("days are the hotel's calendar days: the zone decides", () => {
    // 2026-12-10 03:30 UTC is still the 9th in New York (22:30) and already the 10th in Berlin.
    const received = Date.UTC(2026, 11, 10, 3, 30);
    const later = Date.UTC(2026, 11, 10, 18, 0);
    assert.match(env("en", received, later, BERLIN), /received today at four thirty A\.M\./);
    assert.match(env("en", received, later, NEW_YORK), /received yesterday at ten thirty P\.M\./);
    assert.match(env("en", received, later, "UTC"), /received today at three thirty A\.M\./);
  });

  test("across DST changes: wall time, and no day lost or doubled", () => {
    // Berlin springs forward on 2026-03-29 (02:00 → 03:00) and falls back on 2026-10-25 (03:00 → 02:00).
    const monday = at(BERLIN, 2026, 3, 30, 0, 30);
    assert.match(env("en", at(BERLIN, 2026, 3, 29, 1, 30), monday), /received yesterday at one thirty A\.M\./);
    assert.match(env("en", at(BERLIN, 2026, 3, 29, 3, 30), monday), /received yesterday at three thirty A\.M\./);
    assert.match(env("en", at(BERLIN, 2026, 3, 28, 23, 30), monday), /received on Saturday at eleven thirty P\.M\./);
    assert.match(env("en", at(BERLIN, 2026, 3, 30, 0, 10), monday), /received today at twelve ten A\.M\./);
    // 23 hours apart across the spring change, yet two calendar days.
    assert.match(env("en", at(BERLIN, 2026, 3, 28, 1, 30), at(BERLIN, 2026, 3, 30, 1, 30)), /received on Saturday/);
    // The autumn change: 25 hours after 00:30 on the 25th is still only the 26th.
    const autumn = at(BERLIN, 2026, 10, 25, 0, 30);
    assert.match(env("en", autumn, autumn + 25 * 3_600_000), /received yesterday at twelve thirty A\.M\./);
    // 02:30 occurs twice that night; both are said as the wall time.
    const first = at(BERLIN, 2026, 10, 25, 2, 30);
    assert.match(env("de", first, first + 3_600_000), /heute um zwei Uhr dreißig/);
    assert.match(env("de", first + 3_600_000, first + 2 * 3_600_000), /heute um zwei Uhr dreißig/);
  });

  test("a receivedAt after now (a clock step) is today; an unknown zone reads as UTC", () => {
    assert.match(env("en", now + 86_400_000 * 3, now), /received today/);
    assert.match(
      env("en", Date.UTC(2026, 11, 10, 7, 30), Date.UTC(2026, 11, 10, 9, 0), "Mars/Olympus"),
      /today at seven thirty A\.M\./,
    );
  });

  test("only known ids with .ul files, for every language and age", () => {
    const known = new Set<string>(PROMPT_IDS);
    for (const lang of PROMPT_LANGUAGES) {
      for (let daysAgo = 0; daysAgo < 40; daysAgo++) {
        const ids = envelopePrompts(lang, {
          index: daysAgo + 1,
          receivedAt: now - daysAgo * 86_400_000 - 3_600_000,
          now,
          timezone: BERLIN,
        });
        for (const id of ids) {
          assert.ok(known.has(id), `${lang}: ${id}`);
          assert.ok(existsSync(join(PROMPTS_DIR, lang, `${id}.ul`)), `${lang}/${id}.ul`);
        }
      }
    }
  });
});
