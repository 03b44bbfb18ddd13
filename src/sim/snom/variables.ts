/**
 * @module sim/snom/variables
 * `$variable` expansion in action URLs (SNOM "Action URL" wiki [official], pbx-apis.md §4.1): runtime
 * variables (`$remote`, `$call-id`, …) and any setting by name (`$user_name1`); settings that hold a
 * password expand to "". In the path a variable ends at `&`, which is dropped
 * (`http://srv/$mac&/x.xml`); in the query it ends at the first character that cannot be part of a
 * name, and the longest known name wins (`$remote2` is `$remote` then "2" unless a setting `remote2`
 * exists). Choices (ours): values are percent-encoded as URL components except `:` and `@`, so
 * `sip:101@pbx` reads as sent and any query parser gets the value back; an unknown `$name` is left
 * as written and reported, so a mistyped variable is visible in what the listener receives.
 */

import type { SnomCall } from "./model.ts";

const NAME_CHAR = /[A-Za-z0-9_\-[\]]/;

export interface Expanded {
  url: string;
  unknown: string[];
}

/** `lookup` answers a variable's value, or undefined when there is no such variable. */
export function expandVariables(template: string, lookup: (name: string) => string | undefined): Expanded {
  const unknown: string[] = [];
  const queryAt = template.indexOf("?");
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    let end = i + 1;
    while (end < template.length && NAME_CHAR.test(template[end])) end++;
    const run = template.slice(i + 1, end);
    let name = "";
    let value: string | undefined;
    for (let n = run.length; n > 0; n--) {
      value = lookup(run.slice(0, n));
      if (value !== undefined) {
        name = run.slice(0, n);
        break;
      }
    }
    if (value === undefined) {
      if (run !== "") unknown.push(run);
      out += `$${run}`;
      i = end;
      continue;
    }
    out += encodeValue(value);
    i += 1 + name.length;
    const inPath = queryAt < 0 || i <= queryAt;
    if (inPath && template[i] === "&") i++;
  }
  return { url: out, unknown };
}

function encodeValue(v: string): string {
  return encodeURIComponent(v).replace(/%3A/g, ":").replace(/%40/g, "@");
}

/** Settings whose values are private: expanded to "" (SNOM) and masked in logs. */
export function isPrivateSetting(name: string): boolean {
  return /pass|pwd|secret|token/i.test(name);
}

/** What the runtime variables are made of. */
export interface VariableContext {
  settings: { get(name: string): string | undefined };
  mac: string;
  ip: string;
  /** Registrar host when user_host<n> is unset. */
  domain: string;
  /** `$remote` / `$local` as SIP URIs (else bare numbers). */
  uriVariables: boolean;
  liveCalls: number;
}

function asUri(ctx: VariableContext, userOrUri: string): string {
  if (!ctx.uriVariables) return userOrUri;
  if (userOrUri.startsWith("sip:") || userOrUri.startsWith("sips:")) return userOrUri;
  return userOrUri.includes("@") ? `sip:${userOrUri}` : `sip:${userOrUri}@${ctx.domain}`;
}

/**
 * A variable of an event about `call` (or none) on `identity`: runtime variables, then settings
 * (private ones ""); undefined when there is no such name. `$remote` is the other party and `$local`
 * this phone's identity in both directions (ours: the wiki's "callee"/"caller" wording read as the
 * remote and local party, as third-party integrations use them). Every variable is available on every
 * event (ours: "these variables don't work with all events" names none); call variables are "" without a call.
 */
export function phoneVariable(
  ctx: VariableContext,
  name: string,
  call: SnomCall | null,
  identity: number,
): string | undefined {
  const user = ctx.settings.get(`user_name${identity}`) ?? "";
  const host = ctx.settings.get(`user_host${identity}`) ?? ctx.domain;
  const identityUri = `sip:${user}@${host}`;
  switch (name) {
    case "mac":
      return ctx.mac;
    case "phone_ip":
      return ctx.ip;
    case "local":
      return call ? (ctx.uriVariables ? identityUri : user) : "";
    case "remote":
      return call ? asUri(ctx, call.remote) : "";
    case "display_local":
      return call ? (ctx.settings.get(`user_realname${identity}`) ?? "") : "";
    case "display_remote":
      return call ? call.remoteName || call.remote : "";
    case "call-id":
      return call?.callId ?? "";
    case "csta_id":
      return call ? String(call.id) : "";
    case "active_key":
      return call && call.line > 0 ? `P${call.line}` : "";
    case "active_url":
    case "context_url":
      return identityUri;
    case "active_user":
      return user;
    case "active_host":
      return host;
    case "nr_ongoing_calls":
      return String(ctx.liveCalls);
    case "cancel_reason":
      return call?.cancelReason ?? "";
    case "expansion_module":
      return "";
  }
  const v = ctx.settings.get(name);
  if (v === undefined) return undefined;
  return isPrivateSetting(name) ? "" : v;
}
