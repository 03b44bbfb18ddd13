/**
 * @module sip/transport/address
 * Address normalization and the keys the connection table uses.
 */
import net from "node:net";
import type { Endpoint } from "./types.ts";

/** "::ffff:10.0.0.1" → "10.0.0.1"; IPv6 lower-cased, zone kept; anything else unchanged. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return "";
  const a = address.toLowerCase();
  if (a.startsWith("::ffff:") && net.isIPv4(a.slice(7))) return a.slice(7);
  return a;
}

export function isIPv6(address: string): boolean {
  return net.isIPv6(address.split("%")[0] ?? address);
}

/** "udp 10.0.0.1:5060", "tls [2001:db8::1]:5061": log text and table key in one. */
export function endpointKey(e: Endpoint): string {
  const a = normalizeAddress(e.address);
  return `${e.transport} ${a.includes(":") ? `[${a}]` : a}:${e.port}`;
}

/** True for addresses that bind every interface. */
export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "";
}
