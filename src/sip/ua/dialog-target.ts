/** @module sip/ua/dialog-target: where a request inside a dialog goes, as a transport target. */
import { isIP } from "node:net";
import type { Dialog } from "../dialog/dialog.ts";
import type { Target } from "../transaction/types.ts";

/**
 * The dialog's next hop (first route, else the remote target) when it is an IP address; without DNS
 * a host name falls back to `fallback` (the PBX, or where the dialog's request came from), and so
 * does a URI we cannot send to. A stream connection to that same place is reused.
 */
export function dialogTarget(dialog: Dialog, fallback: Target, onHostName?: (host: string) => void): Target {
  let hop: { transport: Target["transport"]; host: string; port: number };
  try {
    hop = dialog.nextHop(fallback.transport);
  } catch {
    return fallback;
  }
  if (isIP(hop.host) === 0) {
    onHostName?.(hop.host);
    return fallback;
  }
  const target: Target = { transport: hop.transport, address: hop.host, port: hop.port };
  if (fallback.connectionId !== undefined && fallback.transport === hop.transport && fallback.address === hop.host)
    target.connectionId = fallback.connectionId;
  return target;
}
