/**
 * @module pbx/voispeed/wire-events
 * Reading the calls VOIspeed makes to us: event notifications and the IVR script's node key
 * (entry module: wire.ts).
 */
import {
  eventParams,
  type SsnEventName,
  ssnEvents,
  USER_EVENT_TYPE,
  type UserEventName,
  userEvents,
} from "./wire-codes.ts";
import type { QueryParams } from "./wire-requests.ts";

export type VoispeedEvent =
  | { family: "user"; name: UserEventName; code: number; params: QueryParams }
  | { family: "ssn"; name: SsnEventName; code: number; params: QueryParams }
  | { family: "unknown"; name: string; code: number | undefined; params: QueryParams };

function paramsOf(q: URLSearchParams | QueryParams): QueryParams {
  const out: QueryParams = {};
  if (q instanceof URLSearchParams) for (const [k, v] of q) out[k] = v.trim();
  else for (const [k, v] of Object.entries(q)) out[k] = String(v).trim();
  return out;
}

/**
 * Which event a notification is. Dispatch is on `event_name` (the two families' codes overlap);
 * `call_transfer` is in both and is told apart by `event_type` 2 (user) or the code (18 user, 7
 * extended). Without a name, a user event is read from its code; anything else is unknown.
 */
export function readEvent(query: URLSearchParams | QueryParams): VoispeedEvent {
  const p = paramsOf(query);
  const name = p[eventParams.eventName] ?? "";
  const rawCode = p[eventParams.event];
  const code = rawCode !== undefined && /^\d+$/.test(rawCode) ? Number(rawCode) : undefined;
  const isUserType = p[eventParams.eventType] === USER_EVENT_TYPE;
  const inUser = Object.hasOwn(userEvents, name);
  const inSsn = Object.hasOwn(ssnEvents, name);
  if (inUser && (!inSsn || isUserType || code === userEvents.call_transfer)) {
    const n = name as UserEventName;
    return { family: "user", name: n, code: userEvents[n], params: p };
  }
  if (inSsn) {
    const n = name as SsnEventName;
    return { family: "ssn", name: n, code: ssnEvents[n], params: p };
  }
  if (!name && isUserType && code !== undefined) {
    const found = (Object.keys(userEvents) as UserEventName[]).find((k) => userEvents[k] === code);
    if (found) return { family: "user", name: found, code, params: p };
  }
  return { family: "unknown", name, code, params: p };
}

/** What a `cmd_failed` event says: the extension, the accepted request it concerns, and why. */
export function readCmdFailed(event: VoispeedEvent): { ext: string; requestId: string; error: string } | undefined {
  if (event.family !== "user" || event.name !== "cmd_failed") return undefined;
  const p = event.params;
  const msg = p[eventParams.errorMsg] || p.error || p.error_description || p.message || "";
  const code = p[eventParams.errorCode] || "";
  const error = msg && code ? `${msg} (code ${code})` : msg || (code ? `error code ${code}` : "no reason given");
  return { ext: p[eventParams.ext] ?? "", requestId: p[eventParams.requestId] ?? "", error };
}

/** The key of an IVR node in the link's `ivrNodes`. */
export function ivrNodeKey(ivrId: string, nodeId: string): string {
  return `${ivrId.trim()}/${nodeId.trim()}`;
}
