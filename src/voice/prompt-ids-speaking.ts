/** @module voice/prompt-ids-speaking: the words numbers, times and dates are spoken with (texts in appliance/prompts/speaking.tsv). */
export const SPEAKING_PROMPT_IDS = [] as const;
