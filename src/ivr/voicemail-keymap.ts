/**
 * @module ivr/voicemail-keymap
 * The keys of message retrieval (config `voicemail.keymap`). "duvoice" is the guest menu of the
 * system hotels replace (1 delete, 2 save, 3 next; 4 replay is ours, DuVoice documents only 1–3);
 * "asterisk" follows Asterisk's VoiceMailMain (7 delete, 9 save, 6 next, 5 repeat, 4 previous), for
 * staff used to it. Both add 8 (set a PIN), 0 (operator) and * (help): keys neither uses for
 * messages, so a guest switching maps never deletes by habit.
 */

import type { VoicemailConfig } from "../config/voicemail-schema.ts";
import type { Digit } from "../voice/channel.ts";
import type { PromptId } from "../voice/prompts.ts";

export type KeymapName = VoicemailConfig["keymap"];

/**
 * What a key does at a message: during its envelope, its audio and the menu after it. After the last
 * message `replay` starts again from the first and `previous` goes back to the last one.
 */
export type MessageAction = "delete" | "save" | "next" | "replay" | "previous" | "set-pin" | "operator" | "help";

export interface Keymap {
  name: KeymapName;
  keys: Readonly<Partial<Record<Digit, MessageAction>>>;
  /** Offered after each message. */
  menu: PromptId;
  /** Every key, said on `*`. */
  help: readonly PromptId[];
  /** Offered after "no more messages". */
  endMenu: PromptId;
}

const COMMON: Readonly<Partial<Record<Digit, MessageAction>>> = { "8": "set-pin", "0": "operator", "*": "help" };

export const KEYMAPS: Readonly<Record<KeymapName, Keymap>> = {
  duvoice: {
    name: "duvoice",
    keys: { "1": "delete", "2": "save", "3": "next", "4": "replay", ...COMMON },
    menu: "vm-menu-duvoice",
    help: ["vm-help-duvoice", "vm-help-common"],
    endMenu: "vm-end-menu-duvoice",
  },
  asterisk: {
    name: "asterisk",
    keys: { "7": "delete", "9": "save", "6": "next", "5": "replay", "4": "previous", ...COMMON },
    menu: "vm-menu-asterisk",
    help: ["vm-help-asterisk", "vm-help-common"],
    endMenu: "vm-end-menu-asterisk",
  },
};

/** The action of `key` in `map`; undefined for a key the map does not use. */
export function actionOf(map: Keymap, key: Digit): MessageAction | undefined {
  return map.keys[key];
}

/** The key of `action` in `map` (for tests and documentation); undefined when the map has none. */
export function keyOf(map: Keymap, action: MessageAction): Digit | undefined {
  for (const [key, a] of Object.entries(map.keys)) if (a === action) return key as Digit;
  return undefined;
}
