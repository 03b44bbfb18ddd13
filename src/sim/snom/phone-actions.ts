/**
 * @module sim/snom/phone-actions
 * A simulated SNOM phone's action URLs: on an event, each setting that names one (ACTION_SETTINGS) is
 * expanded with the phone's `$variables` and sent.
 */
import type { ActionSender } from "./actions.ts";
import { ACTION_SETTINGS, type ActionEvent, type SnomCall } from "./model.ts";
import type { Settings } from "./settings.ts";
import { expandVariables, phoneVariable, type VariableContext } from "./variables.ts";

/** Fires the event's action URL setting(s), if set; `context` is read only when one is. */
export function fireAction(
  sender: ActionSender,
  settings: Settings,
  context: () => VariableContext,
  event: ActionEvent,
  call: SnomCall | null,
  identity: number,
): void {
  for (const setting of ACTION_SETTINGS[event]) {
    const template = settings.get(setting);
    if (!template) continue;
    const ctx = context();
    const { url, unknown } = expandVariables(template, (name) => phoneVariable(ctx, name, call, identity));
    sender.send({ event, setting, template, url, unknownVariables: unknown, call: call?.id ?? null });
  }
}
