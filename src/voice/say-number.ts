/**
 * @module voice/say-number
 * Numbers as prompts: message counts, message numbers, minutes. 0–99 are whole recorded words in every
 * language, because composing them from parts sounds wrong in most of ours (French soixante-dix-sept,
 * German siebenundzwanzig, Italian ventotto, Spanish veintisiete); 100–999 are a hundreds word and
 * the rest. Anything else is read digit by digit, so no input leaves a caller without an answer.
 */

import type { PromptId, PromptLanguage } from "./prompts.ts";
import { digitPrompts } from "./speak.ts";

/**
 * The prompts that say `n` in `lang` ("num-42"; 342 = "num-300", "num-42"). The ids are the same in
 * every language, whose own words the prompt set holds; `lang` is there for a language that would
 * order them differently.
 */
export function numberPrompts(_lang: PromptLanguage, n: number): PromptId[] {
  if (!Number.isInteger(n) || n < 0 || n > 999) return digitPrompts(String(Math.round(Math.abs(n))));
  if (n < 100) return [`num-${n}` as PromptId];
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (rest === 0) return [`num-${hundreds}00` as PromptId];
  // Spanish alone changes the word when more follows (cien / ciento uno); num-1xx says it that way.
  const prefix = (hundreds === 1 ? "num-1xx" : `num-${hundreds}00`) as PromptId;
  return [prefix, `num-${rest}` as PromptId];
}
