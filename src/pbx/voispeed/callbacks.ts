/**
 * @module pbx/voispeed/callbacks
 * Who may call the appliance's VOIspeed event and IVR-script URLs: the link's `callbackNetworks`, or
 * by default the address of the host in its `url` (the PBX that serves SERI also sends the events on
 * an on-premises VOIspeed). A host name is looked up once, when the link starts; every address it has
 * then is allowed (`/32` or `/128`). A name that cannot be looked up is an error naming it, so the
 * endpoint refuses everyone rather than guess; set `callbackNetworks` for a hosted VOIspeed whose
 * notifications come from other machines than its SERI host.
 */
import { isIP } from "node:net";
import { errorMessage } from "../../lib/errors.ts";
import type { VoispeedLinkConfig } from "./config.ts";

export type HostLookup = (host: string) => Promise<string[]>;

// node:dns loaded when a name is looked up, not imported: the compiled binary loads every imported
// built-in at its start.
const systemLookup: HostLookup = async (host) =>
  (await process.getBuiltinModule("node:dns/promises").lookup(host, { all: true })).map((a) => a.address);

function hostNetwork(address: string): string {
  return isIP(address) === 6 ? `${address}/128` : `${address}/32`;
}

/** The CIDR list allowed to call back (see the module comment); throws when the host has no address. */
export async function callbackNetworksOf(
  link: Pick<VoispeedLinkConfig, "name" | "url" | "callbackNetworks">,
  lookup: HostLookup = systemLookup,
): Promise<string[]> {
  if (link.callbackNetworks !== null) return [...link.callbackNetworks];
  const host = new URL(link.url).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return [hostNetwork(host)];
  let addresses: string[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    throw new Error(
      `pbx link ${link.name}: cannot look up ${host} for callbackNetworks (${errorMessage(err)}); set callbackNetworks`,
    );
  }
  const valid = [...new Set(addresses.filter((a) => isIP(a) !== 0))];
  if (!valid.length) throw new Error(`pbx link ${link.name}: ${host} has no address; set callbackNetworks`);
  return valid.map(hostNetwork);
}
