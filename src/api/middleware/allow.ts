/**
 * @module api/middleware/allow
 * `api.allow`: the staff API answers only the networks it is configured for (the front desk and
 * support VLANs, say), whatever token a request carries. Others get 403 before anything else runs.
 */
import type { Context, Next } from "hono";
import { type NetworkSet, unmapIPv4 } from "../../lib/networks.ts";
import { errorJson } from "../errors.ts";

export function allowFrom(networks: NetworkSet | undefined, onRefused: (address: string) => void) {
  return async function allowFrom(c: Context, next: Next) {
    // The runtime passes the client's address; without one (in-process requests) there is no network.
    const raw = (c.env as { remoteAddress?: string } | undefined)?.remoteAddress;
    if (networks && raw !== undefined) {
      const address = unmapIPv4(raw);
      if (!networks.contains(address)) {
        onRefused(address);
        return errorJson(c, "FORBIDDEN", `requests from ${address} are not accepted: not in api.allow`);
      }
    }
    await next();
  };
}
