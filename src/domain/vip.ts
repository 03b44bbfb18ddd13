/**
 * @module domain/vip
 * The guest's VIP level (FIAS GV) as PMSs in the field send it. Oracle sends a level only for VIPs,
 * but many PMSs send `GV0` or `GVN` for an ordinary guest: read naively, every guest was a VIP and
 * names came out as "N Rossi 101". Every place that judges VIP (names, escalation, PBX guest
 * category) goes through here, so rows stored before this rule are read the same way.
 */

/** "" when not a VIP (nothing, `0`, `N` in any case); otherwise the trimmed level as sent. */
export function vipLevel(raw: string | null | undefined): string {
  const t = (raw ?? "").trim();
  if (t === "" || t === "0" || t === "N" || t === "n") return "";
  return t;
}

export function isVip(raw: string | null | undefined): boolean {
  return vipLevel(raw) !== "";
}

/**
 * What a name shows for the level: the configured label (`rooms.vipLabels`, e.g. {"2": "VVIP"}), or
 * the level itself when none is configured for it. A label may be "" to keep a level out of names.
 */
export function vipLabel(raw: string | null | undefined, labels: Readonly<Record<string, string>> = {}): string {
  const level = vipLevel(raw);
  if (level === "") return "";
  return Object.hasOwn(labels, level) ? labels[level] : level;
}
