/**
 * @module sim/voispeed/endpoint
 * One SERI request to its reply: the token, then the service. Every refusal is HTTP 200 with
 * outcome 1 and our own text (§1.10: clients match on the outcome only).
 *
 * Decisions: `service` and `token` are read from the query string only, for phonebook_import_sync's
 * POST too (the seed does not say; we keep the GET services' place), so a client that puts them in
 * the form is caught here. `verbose_output` (1 or true) is taken from either. Every other service
 * must be a GET, as the seed says.
 */
import type { Buffer } from "node:buffer";
import { ASYNC_SERVICES, asyncCommand, type CommandContext } from "./commands.ts";
import { multipartFields } from "./http.ts";
import { ServiceError, type VoispeedSimRequest } from "./model.ts";
import { syncReportXml } from "./phonebook.ts";
import {
  getCallReport,
  getCurrentCalls,
  getEntities,
  getUserCallReport,
  ok,
  phonebookService,
  type Reply,
} from "./services.ts";

export interface EndpointContext extends CommandContext {
  token: string;
  time(ms: number): string;
}

export async function answerRequest(
  ctx: EndpointContext,
  method: string,
  rec: VoispeedSimRequest,
  raw: Buffer,
  contentType: string,
): Promise<Reply> {
  const p = rec.params;
  const service = rec.service;
  try {
    if (!p.token) throw new ServiceError("missing parameter: token");
    if (p.token !== ctx.token) throw new ServiceError("invalid token");
    if (!service) throw new ServiceError("missing parameter: service");
    if (service === "phonebook_import_sync") return await importSync(ctx, method, rec, raw, contentType);
    if (method !== "GET") throw new ServiceError(`${service} is called with GET`);
    if (ASYNC_SERVICES.has(service)) return asyncCommand(ctx, service, p);
    switch (service) {
      case "get_entities":
        return getEntities(ctx, p);
      case "get_call_report":
        return getCallReport(ctx, p);
      case "get_user_call_report":
        return getUserCallReport(ctx, p);
      case "get_current_calls":
        return getCurrentCalls(ctx, ctx.time);
    }
    const r = phonebookService(ctx, service, p);
    if (r) return r;
    throw new ServiceError(`service not found: ${service}`);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    return { outcome: "1", payload: [["error", err.message]], error: err.message };
  }
}

async function importSync(
  ctx: EndpointContext,
  method: string,
  rec: VoispeedSimRequest,
  raw: Buffer,
  contentType: string,
): Promise<Reply> {
  if (method !== "POST") throw new ServiceError("phonebook_import_sync is called with POST");
  const { contacts: text, ...rest } = await multipartFields(raw, contentType);
  rec.params = { ...rest, ...rec.params };
  if (text === undefined) throw new ServiceError("missing parameter: contacts");
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new ServiceError("contacts: invalid JSON");
  }
  if (!Array.isArray(list)) throw new ServiceError("contacts: a JSON array expected");
  rec.contacts = list.length;
  const verbose = ["1", "true"].includes(rec.params.verbose_output ?? "");
  return ok(syncReportXml(ctx.phonebook.importSync(list), verbose));
}
