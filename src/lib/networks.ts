/**
 * @module networks
 * Sets of IP networks written as CIDR ("10.20.0.0/16", "fd00::/8", or a bare address), for access
 * checks: which hosts may send phone events or SIP to the appliance.
 */
import { BlockList, isIP } from "node:net";

export interface NetworkSet {
  contains(address: string): boolean;
  readonly cidrs: readonly string[];
}

/** Returns why the text is not a network, or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return `${JSON.stringify(text)} is not an IP address or CIDR network`;
  if (slash < 0) return undefined;
  const bits = text.slice(slash + 1);
  const n = Number(bits);
  const max = family === 4 ? 32 : 128;
  if (bits === "" || !Number.isInteger(n) || n < 0 || n > max)
    return `${JSON.stringify(text)}: prefix must be 0..${max}`;
  return undefined;
}

export function networkSet(cidrs: readonly string[]): NetworkSet {
  const list = new BlockList();
  for (const c of cidrs) {
    const problem = cidrProblem(c);
    if (problem) throw new Error(problem);
    const slash = c.indexOf("/");
    const addr = slash < 0 ? c : c.slice(0, slash);
    const type = isIP(addr) === 4 ? "ipv4" : "ipv6";
    if (slash < 0) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(c.slice(slash + 1)), type);
  }
  return {
    cidrs,
    contains(address) {
      const a = unmapIPv4(address);
      const family = isIP(a);
      if (family === 0) return false;
      return list.check(a, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) → `10.0.0.5`. */
export function unmapIPv4(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
