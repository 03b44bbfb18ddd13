/** @module domain/phone: how a guest phone is addressed (MAC, SIP address). */

/**
 * A MAC address in the one stored form, `aa:bb:cc:dd:ee:ff`, from 12 hex digits with `:`/`-`
 * between pairs, `.` between groups of four, or no separators (Polycom sends `0004f214b8e7`).
 */
export function normalizeMac(text: string): string | undefined {
  let hex = "";
  for (const ch of text.trim()) {
    if (ch === ":" || ch === "-" || ch === ".") continue;
    const c = ch.toLowerCase();
    if (!((c >= "0" && c <= "9") || (c >= "a" && c <= "f"))) return undefined;
    hex += c;
  }
  if (hex.length !== 12) return undefined;
  let out = hex.slice(0, 2);
  for (let i = 2; i < 12; i += 2) out += `:${hex.slice(i, i + 2)}`;
  return out;
}

/** `IP:port`, with IPv6 in brackets, as stored for a room's phone. */
export function formatPhoneAddress(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
