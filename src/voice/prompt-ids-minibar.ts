/**
 * @module voice/prompt-ids-minibar
 * The prompts of the minibar flow (texts in appliance/prompts/minibar.tsv; used by src/ivr/minibar.ts).
 */
export const MINIBAR_PROMPT_IDS = [
  "minibar-enter-article",
  "minibar-next-article",
  "minibar-enter-quantity",
  "minibar-article",
  "minibar-quantity",
  "minibar-confirm-menu",
  "minibar-posted",
  "minibar-not-posted",
  "minibar-unavailable",
] as const;
