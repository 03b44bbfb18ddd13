/**
 * @module cti/protocol
 * The "24U STLI" wire format, and nothing else: parsing the lines a 24U Phone Companion client sends
 * (README "24U Phone Companion compatible CTI server"), the `error_ind` replies, and the event lines
 * for a monitored phone. Every byte the CTI server writes is built here.
 *
 * Commands (seed 004): `STLI[;Version=n][;DeviceInformation=Off|Standard|Extended]`, `BYE`,
 * `MakeCall A B`, `AnswerCall E`, `ClearConnection E`, `HoldCall E`, `RetrieveCall E`,
 * `TransferCall E`, `MonitorStart E`, `MonitorStop E`, and a JSON object (RawCommand). Tokens are
 * separated by spaces or tabs; command names are matched without regard to case and answered in the
 * seed's spelling. Replies are `error_ind SUCCESS <Cmd>` / `error_ind ERROR <Cmd>`, lines end CR LF.
 *
 * EVENTS ARE UNVERIFIED against the real 24U plug-in: 24U documents none. They follow the ilink
 * TeamCall STLI lineage the protocol comes from (the event names and parameter order of TeamCall
 * clients, spec §2.3): `<Event> <p1> <p2> …`, space-separated, `""` for an empty value, a value with
 * a space in double quotes; the call events TeamCall clients read a `DeviceInformation` line after
 * (Delivered, Originated, ConnectionCleared) get one unless the channel asked for
 * `DeviceInformation=Off`.
 */

/** The call-control and monitoring commands, in the seed's spelling. */
export const DEVICE_COMMANDS = [
  "MakeCall",
  "AnswerCall",
  "ClearConnection",
  "HoldCall",
  "RetrieveCall",
  "TransferCall",
  "MonitorStart",
  "MonitorStop",
] as const;
export type DeviceCommandName = (typeof DEVICE_COMMANDS)[number];

/** What the channel asked for in its `STLI;DeviceInformation=…` (TeamCall): Off drops the lines. */
export type DeviceInformationMode = "Off" | "Standard" | "Extended";

export type Command =
  /** An empty line (or only blanks): ignored, no reply. */
  | { kind: "empty" }
  | { kind: "stli"; version?: string; deviceInformation?: DeviceInformationMode }
  | { kind: "bye" }
  /** A JSON object: a provider REST call in 24U; refused here (no provider is proxied). */
  | { kind: "raw" }
  | { kind: "device"; name: "MakeCall"; device: string; number: string }
  | { kind: "device"; name: Exclude<DeviceCommandName, "MakeCall">; device: string }
  /** Unknown command, wrong arity, a malformed argument or a line too long: `error_ind ERROR <name>`. */
  | { kind: "invalid"; name: string; reason: string };

/** One parsed device command (MakeCall has the number too). */
export type DeviceCommand = Extract<Command, { kind: "device" }>;

const BY_LOWER = new Map<string, DeviceCommandName>(DEVICE_COMMANDS.map((c) => [c.toLowerCase(), c]));

/** An extension as the phones file and the rooms spell them. */
const DEVICE = /^[A-Za-z0-9*#+_.-]{1,32}$/;
/** A number to dial: digits and dial characters, or a SIP user@host. */
const NUMBER = /^[A-Za-z0-9*#+_.@:-]{1,64}$/;
/** The command word echoed in an error reply: a plain word, else "Unknown" (never echo junk). */
const WORD = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

export function isDevice(text: string): boolean {
  return DEVICE.test(text);
}

/** The word an error reply names for a line that is not a valid command. */
export function replyWord(firstToken: string | undefined): string {
  if (firstToken === undefined) return "Unknown";
  const known = BY_LOWER.get(firstToken.toLowerCase());
  if (known) return known;
  const lower = firstToken.toLowerCase();
  if (lower === "stli" || lower.startsWith("stli;")) return "STLI";
  if (lower === "bye") return "BYE";
  if (firstToken.startsWith("{")) return "RawCommand";
  return WORD.test(firstToken) ? firstToken : "Unknown";
}

function tokens(line: string): string[] {
  return line.split(/[ \t]+/).filter((t) => t.length > 0);
}

function parseStli(word: string): Command {
  // STLI;Version=2;DeviceInformation=Standard (TeamCall); options in any order, any case.
  const parts = word.split(";");
  const out: { kind: "stli"; version?: string; deviceInformation?: DeviceInformationMode } = { kind: "stli" };
  for (const p of parts.slice(1)) {
    if (p === "") continue;
    const eq = p.indexOf("=");
    const key = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? "" : p.slice(eq + 1);
    if (key === "version" && /^[0-9]{1,4}$/.test(value)) out.version = value;
    else if (key === "deviceinformation") {
      const mode = (["Off", "Standard", "Extended"] as const).find((m) => m.toLowerCase() === value.toLowerCase());
      if (!mode) return { kind: "invalid", name: "STLI", reason: `unknown DeviceInformation ${value}` };
      out.deviceInformation = mode;
    } else return { kind: "invalid", name: "STLI", reason: `unknown option ${p.slice(0, 40)}` };
  }
  return out;
}

/** Parses one line (its terminator already removed). Never throws. */
export function parseCommand(line: string): Command {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "empty" };
  if (trimmed.startsWith("{")) return { kind: "raw" };
  const t = tokens(trimmed);
  const first = t[0] as string;
  const lower = first.toLowerCase();
  if (lower === "stli" || lower.startsWith("stli;")) {
    if (t.length > 1) return { kind: "invalid", name: "STLI", reason: "STLI takes no arguments" };
    return parseStli(first);
  }
  if (lower === "bye") {
    if (t.length > 1) return { kind: "invalid", name: "BYE", reason: "BYE takes no arguments" };
    return { kind: "bye" };
  }
  const name = BY_LOWER.get(lower);
  if (!name) return { kind: "invalid", name: replyWord(first), reason: "unknown command" };
  const args = t.slice(1);
  const arity = name === "MakeCall" ? 2 : 1;
  if (args.length !== arity)
    return {
      kind: "invalid",
      name,
      reason: `${name} takes ${arity} argument${arity > 1 ? "s" : ""}, got ${args.length}`,
    };
  const device = args[0] as string;
  if (!DEVICE.test(device)) return { kind: "invalid", name, reason: "malformed extension" };
  if (name === "MakeCall") {
    const number = args[1] as string;
    if (!NUMBER.test(number)) return { kind: "invalid", name, reason: "malformed number" };
    return { kind: "device", name, device, number };
  }
  return { kind: "device", name, device };
}

const CRLF = "\r\n";

/** `error_ind SUCCESS MakeCall` / `error_ind ERROR MakeCall`, with its CR LF. */
export function reply(ok: boolean, name: string): string {
  return `error_ind ${ok ? "SUCCESS" : "ERROR"} ${name}${CRLF}`;
}

// ---------------------------------------------------------------------------------------------
// Events

/** CSTA cause words (spec §2.3 proposal), or "" for none. */
export type Cause = "newCall" | "makeCall" | "normalClearing" | "";

/** The state of one of a device's calls, as the DeviceInformation line lists it. */
export type ConnectionState = "alerting" | "initiated" | "connected" | "held";

export type CtiEvent =
  /** The monitored device rings: `Delivered dev cause alertingDevice callingDevice calledDevice lastRedirectionDevice`. */
  | { name: "Delivered"; device: string; cause: Cause; calling: string; called: string }
  /** A call is answered: `Established dev cause answeringDevice callingDevice calledDevice lastRedirectionDevice`. */
  | { name: "Established"; device: string; cause: Cause; answering: string; calling: string; called: string }
  /** The device starts a call: `Originated dev cause callingDevice calledDevice originatingDevice`. */
  | { name: "Originated"; device: string; cause: Cause; calling: string; called: string }
  /** A call of the device ended: `ConnectionCleared dev cause releasingDevice activeConnectionsList`. */
  | { name: "ConnectionCleared"; device: string; cause: Cause; releasing: string }
  /** `Held dev cause holdingDevice`. */
  | { name: "Held"; device: string; cause: Cause }
  /** `Retrieved dev cause retrievingDevice`. */
  | { name: "Retrieved"; device: string; cause: Cause }
  /** `DoNotDisturb dev device On|Off`. */
  | { name: "DoNotDisturb"; device: string; on: boolean };

/** The TeamCall call events a client reads a DeviceInformation line after (TeamCall's STLICallEvents). */
const WITH_DEVICE_INFORMATION = new Set<CtiEvent["name"]>(["Delivered", "Originated", "ConnectionCleared"]);

/**
 * One parameter as the line carries it: `""` when empty, in double quotes when it has a space.
 * CR, LF, other control bytes and `"` are dropped: nothing a phone reports can end a line or forge
 * one.
 */
export function param(value: string): string {
  let v = "";
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f || ch === '"') continue;
    v += ch;
  }
  if (v.length > 128) v = v.slice(0, 128);
  if (v === "") return '""';
  return v.includes(" ") ? `"${v}"` : v;
}

function eventLine(ev: CtiEvent): string {
  const d = ev.device;
  switch (ev.name) {
    case "Delivered":
      return ["Delivered", d, ev.cause, d, ev.calling, ev.called, ""].map(paramOrName).join(" ");
    case "Established":
      return ["Established", d, ev.cause, ev.answering, ev.calling, ev.called, ""].map(paramOrName).join(" ");
    case "Originated":
      return ["Originated", d, ev.cause, ev.calling, ev.called, d].map(paramOrName).join(" ");
    case "ConnectionCleared":
      return ["ConnectionCleared", d, ev.cause, ev.releasing, ""].map(paramOrName).join(" ");
    case "Held":
      return ["Held", d, ev.cause, d].map(paramOrName).join(" ");
    case "Retrieved":
      return ["Retrieved", d, ev.cause, d].map(paramOrName).join(" ");
    case "DoNotDisturb":
      return ["DoNotDisturb", d, d, ev.on ? "On" : "Off"].map(paramOrName).join(" ");
  }
}

function paramOrName(value: string, index: number): string {
  return index === 0 ? value : param(value);
}

/** `DeviceInformation <device> <numberOfCalls> (<state,state…>)`; `(idle)` without calls. */
export function deviceInformationLine(device: string, calls: readonly ConnectionState[]): string {
  return `DeviceInformation ${param(device)} ${calls.length} (${calls.length ? calls.join(",") : "idle"})`;
}

/** The bytes of an event for a channel: its line, and the DeviceInformation line when it has one. */
export interface EncodedEvent {
  /** For channels that want DeviceInformation (the default). */
  standard: string;
  /** For channels that sent `STLI;DeviceInformation=Off`. */
  off: string;
}

/** Encodes an event once for every channel it goes to. `calls` = the device's calls after it. */
export function encodeEvent(ev: CtiEvent, calls: readonly ConnectionState[]): EncodedEvent {
  const line = `${eventLine(ev)}${CRLF}`;
  if (!WITH_DEVICE_INFORMATION.has(ev.name)) return { standard: line, off: line };
  return { standard: `${line}${deviceInformationLine(ev.device, calls)}${CRLF}`, off: line };
}
