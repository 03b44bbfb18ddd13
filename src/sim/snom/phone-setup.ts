/**
 * @module sim/snom/phone-setup
 * A simulated SNOM phone's options with their defaults, and the settings it starts with.
 */
import type { SnomPhoneOptions } from "./model.ts";

/** SNOM's factory list of numbers dialable under keyboard lock [3rd, unverified]. */
const EMERGENCY_DEFAULT = "911 112 110 999 19222";

/** The options a phone keeps, every one set (credentials, settings, phoneIp and now are taken apart). */
export type PhoneConfig = Required<
  Omit<SnomPhoneOptions, "user" | "password" | "auth" | "settings" | "phoneIp" | "now">
>;

export function phoneConfig(opts: SnomPhoneOptions): PhoneConfig {
  return {
    realm: opts.realm ?? "snom",
    nonceSeconds: opts.nonceSeconds ?? 300,
    extension: opts.extension ?? "101",
    domain: opts.domain ?? "pbx.hotel.test",
    mac: (opts.mac ?? "000413000001").replace(/[:-]/g, "").toUpperCase(),
    lines: opts.lines ?? 4,
    identities: Math.min(12, Math.max(1, opts.identities ?? 1)),
    actionTimeoutMs: opts.actionTimeoutMs ?? 5000,
    fetchTimeoutMs: opts.fetchTimeoutMs ?? 5000,
    rebootMs: opts.rebootMs ?? 200,
    remoteAnswerMs: opts.remoteAnswerMs ?? null,
    announce: opts.announce ?? true,
    uriVariables: opts.uriVariables ?? true,
    volatileUnstored: opts.volatileUnstored ?? false,
    control: opts.control ?? true,
  };
}

/** The settings a new phone holds: its identity, nothing set on the screen, the options' credentials. */
export function initialSettings(opts: SnomPhoneOptions, config: PhoneConfig): Record<string, string> {
  const user = opts.user ?? "";
  return {
    user_name1: config.extension,
    user_host1: config.domain,
    user_realname1: "",
    user_idle_text1: "",
    dnd_mode: "off",
    keyboard_lock: "off",
    keyboard_lock_emergency: EMERGENCY_DEFAULT,
    http_user: user,
    http_pass: user ? (opts.password ?? "") : "",
    http_scheme: opts.auth === "digest" ? "on" : "off",
    ...opts.settings,
  };
}
