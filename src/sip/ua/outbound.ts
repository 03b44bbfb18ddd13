/**
 * @module sip/ua/outbound
 * What RFC 5626 (SIP outbound) adds to a port's messages when the ports reach the PBX over TLS: the
 * appliance listens nowhere then (`sip.local.port` is only the number put in Contact), so the PBX
 * must send everything for a port over the connection the port registered on, its flow.
 *
 * - REGISTER: `Supported: outbound, path`; the Contact carries `+sip.instance` and `reg-id=1`
 *   (and `;ob` in its URI, as pjsip sends it: registrars that do not know it ignore it).
 * - Contacts of calls and subscriptions carry `;ob`: keep this dialog on my flow (§5.3, §4.3).
 * - The Route to an outbound proxy carries `;ob` too.
 *
 * The instance id is a name-based UUID (RFC 4122 v5, URL namespace) of the port's AoR: the same
 * port keeps the same id across restarts, updates and a replaced appliance, with nothing persisted,
 * so a re-registration replaces the registrar's binding instead of adding a stale second one. Each
 * port is its own instance (one AoR, one registration, reg-id 1).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { TransportKind } from "../transport/types.ts";

/** RFC 4122 Appendix C: the URL namespace. */
const URL_NAMESPACE = "6ba7b8119dad11d180b400c04fd430c8";

/** The one registration each port keeps (RFC 5626 §4.2: one reg-id per flow to one registrar). */
export const REG_ID = 1;

export const OUTBOUND_SUPPORTED = "outbound, path";

/** Whether the ports use RFC 5626 flows on this transport: TLS, where nothing of ours listens. */
export function usesFlows(transport: TransportKind): boolean {
  return transport === "tls";
}

/** `urn:uuid:…`, the port's stable `+sip.instance`, derived from its AoR (`sip:user@domain`). */
export function instanceId(aor: string): string {
  const h = createHash("sha1").update(Buffer.from(URL_NAMESPACE, "hex")).update(aor, "utf8").digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The registrar supports outbound for this binding (RFC 5626 §4.2.1: `Require: outbound` in the 2xx). */
export function registrarUsesOutbound(requireHeaders: string[]): boolean {
  return requireHeaders.some((v) =>
    v
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .includes("outbound"),
  );
}

/** The registrar's Flow-Timer (seconds), when it sent a usable one. */
export function flowTimer(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
