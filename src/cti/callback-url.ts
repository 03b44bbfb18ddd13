/**
 * @module cti/callback-url
 * Where a monitored phone sends its events: `<base>/api/v1/cti/snom/<ext>/<event>?remote=$remote&call=$call-id`
 * on the staff API listener. The base is `companion.callbackUrl` when set; else the API's listen
 * address when it is a specific one; else (API on all interfaces) the local address the appliance
 * would use to reach that phone, asked of the routing table through an unsent UDP "connect" (Bun and
 * Node; a runtime that cannot tell gives an error naming the key to set).
 */
import { isIP } from "node:net";
import { type ActionUrls, type CtiPhone, PHONE_EVENTS } from "./phone-control.ts";

/** The API path of a phone event callback (the route in api/routes/cti.ts serves it). */
export const CALLBACK_PATH = "/api/v1/cti/snom";

/** SNOM substitutes `$remote` and `$call-id` when it calls the URL. */
const CALL_PARAMS = "?remote=$remote&call=$call-id";

/** The action URLs for one phone, given the appliance's base URL (`http://host:port`). */
export function actionUrlsFor(base: string, extension: string): ActionUrls {
  const root = `${base.replace(/\/+$/, "")}${CALLBACK_PATH}/${encodeURIComponent(extension)}`;
  const urls = {} as ActionUrls;
  for (const ev of PHONE_EVENTS) urls[ev] = ev.startsWith("dnd-") ? `${root}/${ev}` : `${root}/${ev}${CALL_PARAMS}`;
  return urls;
}

function isWildcard(host: string): boolean {
  return host === "" || host === "0.0.0.0" || host === "::" || host === "[::]";
}

function hostPart(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** The local address the routing table picks toward `ip` (no packet is sent). */
export function localAddressToward(ip: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const family = isIP(ip);
    if (family === 0) {
      reject(new Error(`${ip} is not an IP address`));
      return;
    }
    // node:dgram loaded here, not imported: the compiled binary loads every imported built-in at its start.
    const socket = process.getBuiltinModule("node:dgram").createSocket(family === 6 ? "udp6" : "udp4");
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once("error", fail);
    try {
      socket.connect(9, ip, () => {
        try {
          const local = socket.address().address;
          socket.close();
          resolve(local);
        } catch (err) {
          fail(err as Error);
        }
      });
    } catch (err) {
      fail(err as Error);
    }
  });
}

/**
 * The base URL a phone reaches the appliance's API at. `apiListen` is `api.listen` (HOST:PORT).
 * Rejects when it cannot be known (then `companion.callbackUrl` must be set).
 */
export function callbackBase(
  callbackUrl: string | null,
  apiListen: { hostname: string; port: number },
  lookup: (ip: string) => Promise<string> = localAddressToward,
): (phone: CtiPhone) => Promise<string> {
  if (callbackUrl) {
    const base = callbackUrl.replace(/\/+$/, "");
    return async () => base;
  }
  const { hostname, port } = apiListen;
  if (!isWildcard(hostname)) {
    const base = `http://${hostPart(hostname)}:${port}`;
    return async () => base;
  }
  return async (phone) => {
    const local = await lookup(phone.ip).catch(() => "");
    if (isWildcard(local))
      throw new Error(`cannot tell the appliance's address as ${phone.ip} sees it: set companion.callbackUrl`);
    return `http://${hostPart(local)}:${port}`;
  };
}
