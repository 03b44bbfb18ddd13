/**
 * @module ivr/route
 * Which service an inbound call on a port wants, and which extension is calling, from the user
 * parts of the request's addresses. PBXs differ in where the dialled feature code survives: the
 * Request-URI when the call is routed straight to us, otherwise To, or the Diversion/History-Info
 * entries of a forward.
 */

import type { IvrConfig } from "../config/schema.ts";
import type { InboundParties } from "../sip/ua/inbound-info.ts";

/** The user parts of an inbound INVITE's addresses, as the SIP layer extracts them. */
export type InboundCallInfo = InboundParties;

export type IvrService = "housekeeping" | "wakeup" | "minibar";

/**
 * The service the call asks for: the first of Request-URI user, To user, Diversion users,
 * History-Info users that is a configured feature number; else `ivr.defaultService`; else
 * undefined (nobody to route to).
 */
export function routeService(info: InboundCallInfo, ivr: IvrConfig): IvrService | undefined {
  const dialled = [info.requestUser, info.toUser, ...info.diversionUsers, ...info.historyInfoUsers];
  for (const raw of dialled) {
    const user = normalizeUser(raw);
    if (!user) continue;
    if (ivr.housekeeping.includes(user)) return "housekeeping";
    if (ivr.wakeup.includes(user)) return "wakeup";
    if (ivr.minibar?.includes(user)) return "minibar";
  }
  return ivr.defaultService ?? undefined;
}

/**
 * The calling extension: the first P-Asserted-Identity user (the PBX vouches for it), else the
 * From user; undefined when neither has one.
 */
export function callingExtension(info: InboundCallInfo): string | undefined {
  for (const raw of info.assertedUsers) {
    const user = normalizeUser(raw);
    if (user) return user;
  }
  return normalizeUser(info.fromUser);
}

/**
 * A user part as configured numbers are written: percent-escapes decoded ("%23" is the # a URI must
 * escape) and user parameters (";phone-context=…") dropped.
 */
export function normalizeUser(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let user = raw.trim();
  const semi = user.indexOf(";");
  if (semi >= 0) user = user.slice(0, semi);
  if (user.includes("%")) {
    try {
      user = decodeURIComponent(user);
    } catch {
      // A malformed escape is not a feature number either way; compare it as written.
    }
  }
  return user === "" ? undefined : user;
}
