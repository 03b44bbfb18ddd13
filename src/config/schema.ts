/**
 * @module config/schema
 * The appliance configuration: one JSON file, every key with a built-in default. Objects are strict,
 * so a misspelt key stops start-up instead of being silently ignored.
 */
import * as v from "valibot";
import { charsets } from "../lib/charset.ts";
import { cidrProblem } from "../lib/networks.ts";
import { snomLinkSchema } from "../pbx/snom/config.ts";
import { ucmLinkProblem, ucmLinkSchema } from "../pbx/ucm/config.ts";
import { voispeedLinkProblem, voispeedLinkSchema } from "../pbx/voispeed/config.ts";
import { zoomLinkSchema } from "../pbx/zoom/config.ts";
import { framings } from "../pms/fias/frame.ts";
import { backupSchema } from "./backup-schema.ts";
import { companionSchema } from "./companion-schema.ts";
import { linkCommon } from "./link-common.ts";
import { metricsSchema } from "./metrics-schema.ts";
import { pmsMitelSchema } from "./pms-mitel-schema.ts";
import { postingsSchema } from "./postings-schema.ts";
import { snomSchema } from "./snom-schema.ts";
import { voicemailSchema } from "./voicemail-schema.ts";

const hostPort = v.pipe(
  v.string(),
  v.check((s) => {
    const i = s.lastIndexOf(":");
    const digits = s.slice(i + 1);
    if (i <= 0 || digits.length === 0 || digits.length > 5) return false;
    for (const ch of digits) if (ch < "0" || ch > "9") return false;
    return Number(digits) <= 65535 && s.slice(0, i).trim() === s.slice(0, i);
  }, "expected HOST:PORT, e.g. 127.0.0.1:8080"),
);
const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535));
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const timezone = v.pipe(
  v.string(),
  v.check((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "expected an IANA time zone such as Europe/Rome"),
);

export const siteSchema = v.strictObject({
  name: v.optional(v.string(), "Hotel"),
  /** Hotel-local time zone for FIAS dates and wake-ups; null = the machine's zone. */
  timezone: v.optional(v.nullable(timezone), null),
});

const cidr = v.pipe(
  v.string(),
  v.check((s) => cidrProblem(s) === undefined, "expected an IP address or CIDR network, e.g. 10.20.0.0/16"),
);

export const apiSchema = v.strictObject({
  listen: v.optional(hostPort, "127.0.0.1:8080"),
  /** Addresses the staff API answers; others get 403 and are counted. null = any (tokens still apply). */
  allow: v.optional(v.nullable(v.array(cidr)), null),
});

export const pmsSchema = v.strictObject({
  protocol: v.optional(v.picklist(["fias", "mitel"]), "fias"),
  mitel: v.optional(pmsMitelSchema, {}),
  /** tcp: `mode`/`host`/`port`; serial: RS-232 with `serial` (FIAS LRC + ACK/NAK/ENQ, STX…ETX framing). */
  transport: v.optional(v.picklist(["tcp", "serial"]), "tcp"),
  /** The RS-232 line when `transport` is "serial" (set with stty; reopened with backoff when it vanishes). */
  serial: v.optional(
    v.strictObject({
      /** e.g. /dev/ttyUSB0 or a stable /dev/serial/by-id/… link; required with transport "serial". */
      device: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
      baud: v.optional(v.picklist([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]), 9600),
      dataBits: v.optional(v.picklist([7, 8]), 8),
      parity: v.optional(v.picklist(["none", "even", "odd"]), "none"),
      stopBits: v.optional(v.picklist([1, 2]), 1),
    }),
    {},
  ),
  /** client: connect to the PMS interface (the usual case); server: listen for it. */
  mode: v.optional(v.picklist(["client", "server"]), "server"),
  host: v.optional(v.string(), "127.0.0.1"),
  port: v.optional(port, 5010),
  /** Local address of the PMS NIC for outgoing connections; null = any. */
  bind: v.optional(v.nullable(v.string()), null),
  charset: v.optional(v.picklist(charsets), "latin1"),
  /**
   * A GN of "Last, First" without GF is split into last and first name (a salutation after the comma,
   * as in Oracle's own `GNGuest, Mr.`, becomes the title). Off: GN is the last name as sent.
   */
  splitGuestName: v.optional(v.boolean(), true),
  aliveSeconds: v.optional(positiveInt, 300),
  /** Frames kept for GET /api/v1/pms. */
  traceSize: v.optional(positiveInt, 500),
  /** Request a database resync (DR) after every link-up, not only after an unclean stop. */
  resyncOnLink: v.optional(v.boolean(), false),
  /**
   * How records are framed on the wire, both ways: "stx-etx" (FIAS: STX record ETX) or "crlf" (a
   * record per line ended by CR LF, as some PMS simulators and protocol gateways send).
   */
  framing: v.optional(v.picklist(framings), "stx-etx"),
  /**
   * After our LD/LR…/LA, how long the link waits for the PMS's LA (or its first record) before it
   * counts as up anyway, the connection being open and quiet. Some PMSs never send that LA.
   */
  linkGraceSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(300)), 10),
  /**
   * Server mode: addresses the PMS may connect from; anyone else is closed at once and counted.
   * null = loopback only (set it to the PMS's address when listening on a network). Client mode
   * dials `host` and talks to nothing else.
   */
  allow: v.optional(v.nullable(v.array(cidr)), null),
  /** Longest record accepted (FIAS RL is at most 2000); longer frames are rejected whole. */
  maxFrameBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(256), v.maxValue(65_536)), 2000),
  /** Bytes outside frames (or in rejected ones) tolerated within one second before the connection is dropped. */
  maxGarbageBytesPerSecond: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024)), 65_536),
  /** Declare DR, DS, DE, NS, NE in the LR list (`LR|RIDR|FLDATI|` …); off for a PMS that refuses them. */
  syncLinkRecords: v.optional(v.boolean(), true),
});

export const roomsSchema = v.strictObject({
  /** Extension for a room first seen in a PMS record. Variables: ${room}. */
  extensionTemplate: v.optional(v.string(), "${room}"),
  /** Name pushed to the phone system. Variables: room extension mailbox title first last vip language group arrival departure. */
  nameTemplate: v.optional(v.string(), "${vip} ${first} ${last} ${extension}"),
  /** Name pushed at check-out. */
  vacantNameTemplate: v.optional(v.string(), "Vacant ${extension}"),
  /**
   * VIP level (FIAS GV) → what `${vip}` shows, e.g. {"1": "VIP", "2": "VVIP"}; an unlisted level shows
   * as itself, "" hides it. GV empty, 0 or N is no VIP whatever is listed here.
   */
  vipLabels: v.optional(v.record(v.pipe(v.string(), v.minLength(1)), v.string()), {}),
  /** Class of service set at check-in when the PMS sends none (FIAS CS: 0 barred … 3 unrestricted). */
  checkinClassOfService: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3)), 3),
  /** Class of service at check-out. */
  checkoutClassOfService: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3)), 0),
});

/** Drivers register their link schemas here as they arrive; "log" only records jobs (commissioning). */
export const pbxLinkSchema = v.variant("type", [
  v.strictObject({ type: v.literal("log"), ...linkCommon }),
  zoomLinkSchema,
  ucmLinkSchema,
  voispeedLinkSchema,
  snomLinkSchema,
]);

export const pbxSchema = v.strictObject({
  links: v.optional(
    v.pipe(
      v.array(pbxLinkSchema),
      // A UCM or VOIspeed link over https must pin its certificate (fingerprint or CA); plain http only to loopback.
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        dataset.value.forEach((l, i) => {
          const problem = l.type === "ucm" ? ucmLinkProblem(l) : l.type === "voispeed" ? voispeedLinkProblem(l) : null;
          if (problem)
            addIssue({
              message: problem,
              path: [{ type: "array", origin: "value", input: dataset.value, key: i, value: l }],
            });
        });
      }),
      v.check((links) => new Set(links.map((l) => l.name)).size === links.length, "link names must be unique"),
    ),
    [],
  ),
  /** How often the job runner looks for due jobs when nothing woke it. */
  pollMs: v.optional(positiveInt, 1000),
});

export const phonesSchema = v.strictObject({
  /**
   * Where the guest phones are. Phone events (action URLs) are accepted only from these networks,
   * and a phone address outside them is never stored (MWI NOTIFYs go to that address).
   */
  networks: v.optional(v.array(cidr), ["127.0.0.0/8", "::1/128"]),
  /** SIP port and transport assumed for a phone that reports only its IP. */
  sipPort: v.optional(port, 5060),
  transport: v.optional(v.picklist(["udp", "tcp", "tls"]), "udp"),
});

const sipTransport = v.picklist(["udp", "tcp", "tls"]);

export const sipPortSchema = v.strictObject({
  /** SIP user of this port (one port = one call at a time). */
  user: v.pipe(v.string(), v.minLength(1)),
  /** Digest user name when it differs from `user`. */
  authUser: v.optional(v.nullable(v.string()), null),
  /** Digest password; never returned by the API nor logged. */
  password: v.optional(v.string(), ""),
  displayName: v.optional(v.nullable(v.string()), null),
});

export const sipSchema = v.strictObject({
  /** Address of the VoIP NIC: every SIP socket binds here. */
  bind: v.optional(v.string(), "127.0.0.1"),
  local: v.optional(
    v.strictObject({
      port: v.optional(port, 5060),
      transport: v.optional(sipTransport, "udp"),
    }),
    {},
  ),
  /** The PBX the ports register with; null = SIP off (no socket is opened). */
  pbx: v.optional(
    v.strictObject({
      address: v.optional(v.nullable(v.string()), null),
      port: v.optional(port, 5060),
      expiresSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(30)), 3600),
      /** Digest realm expected from the PBX; null = take it from the challenge. */
      realm: v.optional(v.nullable(v.string()), null),
      /** SIP domain of the ports (e.g. the Zoom SIP domain); null = the PBX address. */
      domain: v.optional(v.nullable(v.string()), null),
      /** Host part of the REGISTER Request-URI and AoR: the PBX address or the domain. */
      registerUsing: v.optional(v.picklist(["pbx-address", "domain"]), "pbx-address"),
    }),
    {},
  ),
  /** Outbound proxy: REGISTERs and calls are sent there instead of to the PBX address. */
  proxy: v.optional(
    v.nullable(
      v.strictObject({
        address: v.string(),
        port: v.optional(port, 5091),
      }),
    ),
    null,
  ),
  tls: v.optional(
    v.strictObject({
      /** CA certificate file that signs the PBX's certificate (self-signed PBXs: its own cert). */
      caFile: v.optional(v.nullable(v.string()), null),
      /** Name checked against the PBX certificate (and sent as SNI); null = the PBX address. */
      serverName: v.optional(v.nullable(v.string()), null),
      /** Certificate verification is on unless switched off here (logged as a warning). */
      verify: v.optional(v.boolean(), true),
    }),
    {},
  ),
  ports: v.optional(v.array(sipPortSchema), []),
  /** RTP of the calls the ports place and answer (wake-ups, IVR). */
  media: v.optional(
    v.pipe(
      v.strictObject({
        /** RTP ports are taken from this range (even numbers; with SRTP the odd port above carries SRTCP). */
        portMin: v.optional(port, 16384),
        portMax: v.optional(port, 16999),
        /** Codecs offered and accepted, most wanted first. */
        codecs: v.optional(v.pipe(v.array(v.picklist(["PCMU", "PCMA"])), v.minLength(1)), ["PCMU", "PCMA"]),
        /**
         * SRTP keyed by SDES (`a=crypto`): "mandatory" offers and accepts only RTP/SAVP, "optional"
         * offers RTP/AVP with a=crypto and accepts plain RTP, "off" never encrypts. null = by
         * `local.transport`: mandatory over TLS (Zoom), off otherwise; `srtpMode` resolves it.
         */
        srtp: v.optional(v.nullable(v.picklist(["mandatory", "optional", "off"])), null),
      }),
      v.check((m) => m.portMax > m.portMin, "media.portMax must be above media.portMin"),
    ),
    {},
  ),
  /** Message lamps (SIP NOTIFY to the room phones). */
  mwi: v.optional(
    v.strictObject({
      /** NOTIFYs a second at most, so a refresh of every room does not flood the phone network. */
      ratePerSecond: v.optional(v.pipe(v.number(), v.minValue(1)), 50),
      /** NOTIFYs in flight at once. */
      concurrency: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
      /** Further attempts after a failed NOTIFY, `intervalSeconds` apart and doubling. */
      retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 5),
      intervalSeconds: v.optional(v.pipe(v.number(), v.minValue(0)), 10),
    }),
    {},
  ),
  /**
   * What one peer, or all of them, can make the SIP endpoint hold. "Per source" is per IP address,
   * and the PBX and proxy are exempt from it (phones behind them share their address). Defaults fit
   * a 2,000-room hotel with two phones a room and 48-port analog gateways.
   */
  limits: v.optional(
    v.strictObject({
      /** Live server transactions (~7 kB each, up to 32 s); beyond it new requests get 503 + Retry-After. */
      serverTransactions: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16)), 4096),
      /** Live server transactions from one address. */
      serverTransactionsPerSource: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 256),
      /** MWI subscriptions from one address; beyond it SUBSCRIBE gets 503 + Retry-After. */
      subscriptionsPerSource: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 64),
      /** MWI subscriptions in total. */
      subscriptionsTotal: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 4096),
      /** Open inbound TCP/TLS connections from one address; one more is closed at once. */
      connectionsPerSource: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 16),
    }),
    {},
  ),
});

const minutes = v.pipe(v.number(), v.minValue(0));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const featureNumbers = v.array(
  v.pipe(v.string(), v.regex(/^[0-9*#+]{1,20}$/, "expected a dialled number such as 500 or *61")),
);

export const wakeupSchema = v.strictObject({
  /** A wake-up found this many minutes past due (after a stop) is no longer called: it ends NR. */
  lateMinutes: v.optional(minutes, 30),
  /** Further attempts after an unanswered, busy or failed call. */
  retries: v.optional(count, 2),
  retryIntervalMinutes: v.optional(minutes, 5),
  /** Ring time before CANCEL, in rings of 6 s. */
  rings: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20)), 4),
  snoozeMinutes: v.optional(v.pipe(v.number(), v.minValue(1)), 5),
  /** Snoozes per wake-up; 0 = no snooze (key 2 then confirms). */
  snoozeLimit: v.optional(count, 3),
  /** A call answered without a key press: the guest is awake ("answered") or it is tried again ("retry"). */
  answeredWithoutKey: v.optional(v.picklist(["answered", "retry"]), "retry"),
  /** Times the menu is played before an answered call without a key press ends. */
  menuRepeats: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10)), 3),
  /** Seconds to wait for a key after the menu. */
  keyWaitSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 6),
  /** After the last failed attempt, call the front desk with a prompt naming the room. */
  escalation: v.optional(
    v.strictObject({
      /** Front-desk extension; null = no escalation call. */
      extension: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1))), null),
      /** Escalate only for rooms with a VIP guest. */
      vipOnly: v.optional(v.boolean(), false),
      /** Further escalation attempts when the front desk does not answer. */
      retries: v.optional(count, 1),
      /** Language of the announcement the front desk hears. */
      language: v.optional(v.picklist(["en", "de", "fr", "es", "it"]), "en"),
    }),
    {},
  ),
  /** How often the store is read for wake-ups set elsewhere. */
  pollSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 15),
});

export const ivrSchema = v.strictObject({
  /** Dialled numbers (feature codes) of the housekeeping service (maid code + optional maid id + #). */
  housekeeping: v.optional(featureNumbers, ["500"]),
  /** Dialled numbers of the guest wake-up service (HHMM). */
  wakeup: v.optional(featureNumbers, ["501"]),
  /** Dialled numbers of the minibar service (article, quantity, confirm); none = off. Needs `postings.enabled`. */
  minibar: v.optional(featureNumbers, []),
  /** Service of a call whose dialled number matches none of the above; null = say so and hang up. */
  defaultService: v.optional(v.nullable(v.picklist(["housekeeping", "wakeup"])), null),
  /** Seconds allowed between two keys before the caller is prompted again. */
  digitTimeoutSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 5),
  /** Tries at an entry before the call ends politely. */
  maxTries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10)), 3),
});

export const logSchema = v.strictObject({
  level: v.optional(v.picklist(["debug", "info", "warn", "error"]), "info"),
});

export const configSchema = v.strictObject({
  site: v.optional(siteSchema, {}),
  api: v.optional(apiSchema, {}),
  pms: v.optional(pmsSchema, {}),
  rooms: v.optional(roomsSchema, {}),
  pbx: v.optional(pbxSchema, {}),
  phones: v.optional(phonesSchema, {}),
  sip: v.optional(sipSchema, {}),
  wakeup: v.optional(wakeupSchema, {}),
  ivr: v.optional(ivrSchema, {}),
  voicemail: v.optional(voicemailSchema, {}),
  companion: v.optional(companionSchema, {}),
  snom: v.optional(snomSchema, {}),
  postings: v.optional(postingsSchema, {}),
  log: v.optional(logSchema, {}),
  metrics: v.optional(metricsSchema, {}),
  backup: v.optional(backupSchema, {}),
  /** Where the libSQL file lives; the --data flag wins. */
  dataDir: v.optional(v.string(), "./data"),
});

export type Config = v.InferOutput<typeof configSchema>;

export type SrtpMode = "mandatory" | "optional" | "off";

/**
 * `sip.media.srtp` with its default applied. The default depends on another key, which a valibot
 * default cannot see, so it stays null in the parsed config (the API and the example show what was
 * written) and is resolved here, the one place every caller asks.
 */
export function srtpMode(sip: Pick<Config["sip"], "media" | "local">): SrtpMode {
  return sip.media.srtp ?? (sip.local.transport === "tls" ? "mandatory" : "off");
}
export type PmsConfig = Config["pms"];
export type RoomsConfig = Config["rooms"];
export type PhonesConfig = Config["phones"];
export type SipConfig = Config["sip"];
export type WakeupConfig = Config["wakeup"];
export type IvrConfig = Config["ivr"];
export type PbxLinkConfig = v.InferOutput<typeof pbxLinkSchema>;
export type { CompanionConfig } from "./companion-schema.ts";
export type { PostingsConfig } from "./postings-schema.ts";
export type { SnomConfig } from "./snom-schema.ts";
export type { VoicemailConfig } from "./voicemail-schema.ts";
