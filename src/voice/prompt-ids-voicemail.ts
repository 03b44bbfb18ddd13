/** @module voice/prompt-ids-voicemail: the prompts of the voicemail flows (texts in appliance/prompts/voicemail.tsv). */
export const VOICEMAIL_PROMPT_IDS = [] as const;
