/**
 * @module voicemail/mailbox-from
 * Which mailbox an inbound call on a port belongs to (issue 12 §1, README "Guest voicemail"):
 * a deposit into a room's box, a guest calling in to listen, or neither. The sources are tried in
 * the site's `voicemail.mailboxFrom` order and the first that names a room wins.
 *
 * The guard matters more than the order: any forwarding evidence from an enabled source (an RFC 4458
 * `target`/`cause`, a History-Info entry with `cause`, a Diversion, a display name whose digits are
 * not the port's) makes the call a deposit, never a retrieval, even when the caller is the room
 * itself. A product that let such a call log in without a PIN would hand an outside caller the
 * guest's messages whenever the PBX puts the forwarding room in P-Asserted-Identity (spec §1.4).
 * Evidence whose mailbox is not a room still blocks retrieval: the deposit then has no extension
 * and the caller hears "not available" or goes to the operator.
 *
 * A source left out of `mailboxFrom` gives no evidence either: dropping a source is how a site
 * tells us its PBX writes that header on calls that were not forwarded.
 */
import type { MailboxSource, VoicemailConfig } from "../config/voicemail-schema.ts";
import { callingExtension } from "../ivr/route.ts";
import type { DiversionEntry, HistoryInfoEntry, InboundParties } from "../sip/ua/inbound-info.ts";
import { digitRuns, userForms, userIn } from "./mailbox-user.ts";

export type { MailboxSource } from "../config/voicemail-schema.ts";

export type CallPurpose =
  /** Record a message for `extension`'s room; null = forwarded, but not from a room we know. */
  | { kind: "deposit"; extension: string | null; source: MailboxSource; reason?: string }
  /** A guest calling in to listen; `caller` (PAI, else From) may be a room for auto-login. */
  | { kind: "retrieve"; caller?: string }
  | { kind: "none" };

export interface MailboxContext {
  /** Whether a user part (already normalized: "101") is a room's phone extension. */
  isRoomExtension(ext: string): boolean | Promise<boolean>;
  /** The answering port's own extension: display-name digits equal to it mean "dialled directly". */
  portExtension?: string;
}

type Found = { extension: string; reason?: string };

interface Scan {
  info: InboundParties;
  cfg: VoicemailConfig;
  /** The first room form of a user part, or undefined (lookups cached per call). */
  room(raw: string | undefined): Promise<string | undefined>;
  /** Numbers that, as display-name digits, name the port itself rather than a forwarder. */
  direct: readonly string[];
}

/**
 * Classifies one inbound call. Pure apart from `ctx.isRoomExtension`; rejects only when that does.
 */
export async function classifyCall(
  info: InboundParties,
  cfg: VoicemailConfig,
  ctx: MailboxContext,
): Promise<CallPurpose> {
  const cache = new Map<string, Promise<boolean>>();
  const isRoom = (ext: string): Promise<boolean> => {
    let hit = cache.get(ext);
    if (!hit) {
      hit = Promise.resolve(ctx.isRoomExtension(ext));
      cache.set(ext, hit);
    }
    return hit;
  };
  const scan: Scan = {
    info,
    cfg,
    async room(raw) {
      for (const form of userForms(raw)) if (await isRoom(form)) return form;
      return undefined;
    },
    direct: [...userForms(ctx.portExtension), ...cfg.accessNumbers],
  };
  const evidence = cfg.mailboxFrom.find((source) => forwarded(scan, source));
  for (const source of cfg.mailboxFrom) {
    if (source === "access-number") {
      if (!evidence && (userIn(info.requestUser, cfg.accessNumbers) || userIn(info.toUser, cfg.accessNumbers))) {
        const caller = callingExtension(info);
        return caller === undefined ? { kind: "retrieve" } : { kind: "retrieve", caller };
      }
      continue;
    }
    const found = await FIND[source](scan);
    if (found) return deposit(source, found.extension, found.reason);
  }
  if (evidence) return deposit(evidence, null, evidenceReason(scan, evidence));
  return { kind: "none" };
}

function deposit(source: MailboxSource, extension: string | null, reason: string | undefined): CallPurpose {
  return reason === undefined ? { kind: "deposit", extension, source } : { kind: "deposit", extension, source, reason };
}

/** Whether `source` shows that the call was forwarded (whatever the mailbox turns out to be). */
function forwarded(scan: Scan, source: MailboxSource): boolean {
  const { info } = scan;
  switch (source) {
    case "target":
      return info.requestTarget !== undefined || info.requestCause !== undefined;
    case "history-info":
      return (info.historyInfo ?? []).some((e) => e.cause !== undefined);
    case "diversion":
      return (info.diversions ?? []).length > 0;
    case "name-digits":
      return displayNames(scan).some((name) => forwarderDigits(scan, name.text).length > 0);
    default:
      // A call to a room's number or to an access number is not, by itself, a forward.
      return false;
  }
}

function evidenceReason(scan: Scan, source: MailboxSource): string | undefined {
  const { info } = scan;
  if (source === "target") return info.requestCause;
  if (source === "history-info") return (info.historyInfo ?? []).findLast((e) => e.cause !== undefined)?.cause;
  if (source === "diversion") return diversionOrder(scan).find((d) => d.reason !== undefined)?.reason;
  return undefined;
}

const FIND: Record<Exclude<MailboxSource, "access-number">, (scan: Scan) => Promise<Found | undefined>> = {
  /** RFC 4458: `sip:vm@host;target=<forwarding party>;cause=486`. */
  async target(scan) {
    const extension = await scan.room(scan.info.requestTarget);
    return extension ? withReason(extension, scan.info.requestCause) : undefined;
  },

  /**
   * RFC 7044: the entry carrying `cause` is the forward's target (us); its parent is who forwarded.
   * The newest such entry first, so a room → room → voicemail chain opens the last room's box.
   */
  async "history-info"(scan) {
    const entries = scan.info.historyInfo ?? [];
    for (let k = entries.length - 1; k >= 0; k--) {
      const entry = entries[k];
      if (entry.cause === undefined) continue;
      const extension = await scan.room(parentOf(entries, k)?.user);
      if (extension) return withReason(extension, entry.cause);
    }
    return undefined;
  },

  /** RFC 5806: the newest entry (header order) that is a room, or the oldest per `diversionEntry`. */
  async diversion(scan) {
    for (const entry of diversionOrder(scan)) {
      const extension = await scan.room(entry.user);
      if (extension) return withReason(extension, entry.reason);
    }
    return undefined;
  },

  /** Zoom gives a third-party device the forwarding user only as a display name ("Room 101 Smith"). */
  async "name-digits"(scan) {
    for (const name of displayNames(scan)) {
      for (const digits of forwarderDigits(scan, name.text)) {
        const extension = await scan.room(digits);
        if (extension) return withReason(extension, name.reason);
      }
    }
    return undefined;
  },

  /** The PBX retargeted a room's call to us without any history. */
  async "called-room"(scan) {
    const extension = (await scan.room(scan.info.requestUser)) ?? (await scan.room(scan.info.toUser));
    return extension ? { extension } : undefined;
  },
};

function withReason(extension: string, reason: string | undefined): Found {
  return reason === undefined ? { extension } : { extension, reason };
}

function diversionOrder(scan: Scan): DiversionEntry[] {
  const entries = scan.info.diversions ?? [];
  return scan.cfg.diversionEntry === "oldest" ? [...entries].reverse() : entries;
}

/**
 * The parent of History-Info entry `k`: the entry named by its `mp`/`rc`/`np` tag; else the one its
 * index descends from ("1.1.2" → "1.1"); else, for PBXs that number entries flatly or drop tags,
 * the entry written before it.
 */
export function parentOf(entries: readonly HistoryInfoEntry[], k: number): HistoryInfoEntry | undefined {
  const entry = entries[k];
  const wanted: string[] = [];
  if (entry.parentIndex !== undefined) wanted.push(entry.parentIndex);
  const dot = entry.index?.lastIndexOf(".") ?? -1;
  if (entry.index !== undefined && dot > 0) wanted.push(entry.index.slice(0, dot));
  for (const index of wanted) {
    for (let j = entries.length - 1; j >= 0; j--) {
      if (j !== k && entries[j].index === index) return entries[j];
    }
  }
  return k > 0 ? entries[k - 1] : undefined;
}

interface DisplayName {
  text: string;
  /** Why the named party forwarded, when its header says (Diversion reason, History-Info cause). */
  reason?: string;
}

/**
 * Display names that may carry a forwarder's extension, newest forward first: the Diversion entries
 * (in the configured order), History-Info from the last entry back, then To (the original called
 * party when the PBX did not rewrite it). Never From or P-Asserted-Identity: those name the caller.
 */
function displayNames(scan: Scan): DisplayName[] {
  const { info } = scan;
  const out: DisplayName[] = [];
  for (const d of diversionOrder(scan)) {
    if (d.display) out.push(d.reason === undefined ? { text: d.display } : { text: d.display, reason: d.reason });
  }
  const hi = info.historyInfo ?? [];
  for (let k = hi.length - 1; k >= 0; k--) {
    const display = hi[k].display;
    // The cause sits on the entry after the forwarder (its target), so the forwarder's own cause is the child's.
    const cause = hi.find((e, j) => j > k && e.cause !== undefined && parentOf(hi, j) === hi[k])?.cause;
    if (display) out.push(cause === undefined ? { text: display } : { text: display, reason: cause });
  }
  if (info.toDisplay) out.push({ text: info.toDisplay });
  return out;
}

/**
 * The digit runs of a display name that may be a forwarder's extension. A name with the port's own
 * extension (or an access number) in it is the port itself ("Voicemail 800"): the call came straight
 * to us, and its other digits do not count.
 */
function forwarderDigits(scan: Scan, name: string): string[] {
  const runs = digitRuns(name);
  for (const run of runs) if (scan.direct.includes(run)) return [];
  return runs;
}
