/**
 * @module services/pms-outbox
 * The one way a service tells the PMS something: an action of the PMS event model, rendered by the
 * protocol adapter and stored in the outbox (in the caller's transaction) for the sender to drain.
 * The outbox keeps the rendered protocol text, so a support engineer reads exactly what goes on the
 * wire. The protocol is the context's adapter (FIAS when none is given).
 */
import type { PmsAction, RenderedAction } from "../domain/pms-events.ts";
import { renderAction } from "../pms/fias/outgoing.ts";
import { recordFromText } from "../pms/fias/record.ts";
import type { Queryable } from "../store/db.ts";
import { enqueueOutbox } from "../store/pms-queue.ts";
import type { ServiceContext } from "./context.ts";

/**
 * The action as the outbox stores it: message type and protocol text; undefined when the site's
 * protocol has no such message (Mitel has no wake-up result), and then nothing is queued.
 */
export function renderPmsAction(ctx: Pick<ServiceContext, "pms">, action: PmsAction): RenderedAction | undefined {
  return ctx.pms.adapter ? ctx.pms.adapter.render(action) : renderAction(action);
}

/** True when stored outbox text is a message of the site's protocol. */
export function isPmsMessage(ctx: Pick<ServiceContext, "pms">, text: string): boolean {
  return ctx.pms.adapter ? ctx.pms.adapter.isMessage(text) : fiasIsMessage(text);
}

function fiasIsMessage(text: string): boolean {
  try {
    recordFromText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Queues the action; false when nothing was added (the dedupe key was queued before, or the
 * protocol has no such message). The caller kicks
 * the sender (`ctx.hooks.pmsOutboxQueued`) after its commit.
 */
export async function enqueuePmsAction(
  ctx: Pick<ServiceContext, "pms" | "clock">,
  db: Queryable,
  action: PmsAction,
  dedupeKey?: string,
): Promise<boolean> {
  const r = renderPmsAction(ctx, action);
  if (!r) return false;
  return enqueueOutbox(db, { type: r.type, record: r.text, dedupeKey }, ctx.clock.now());
}
