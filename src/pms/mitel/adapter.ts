/**
 * @module mitel/adapter
 * The Mitel adapter of the PMS event model (domain/pms-events.ts).
 *
 * Received: CHK → check-in / check-out; NAM 1 (add) and 2 (replace) → guest-change with the name
 * ("SURNAME,FIRST": last and first name; one word: the surname); MW, DND, RST → room-status
 * (lamp, dnd, class of service = the RST level 0–3); WKP HHMM → wakeup-cancel of the room, then
 * wakeup-set at that time (a Mitel set holds one wake-up: a new time replaces the old one); WKP
 * blank → wakeup-cancel of the room; GRS/END → resync-start/resync-end. Check-ins, check-outs and
 * names between GRS and END carry `resync: true`.
 *
 * NAM 3 (delete) makes no event: the name goes with the check-out (CHK0), and a PMS that sends
 * NAM3 after CHK0 — the usual order — must not occupy the room again, which a guest-change on a
 * vacant room would. The room keeps its name until CHK0 or a new NAM.
 *
 * Mitel guests are room-based: the reservation is "". Room moves arrive as CHK0 old, CHK1 new, NAM
 * new: domain/move-window.ts pairs them.
 *
 * Sent: housekeeping → STS (the status mapped to a Mitel maid code by `maidStatus`; an unmapped
 * status is not sent), voicemail-count → MW 1 / MW 0 (the lamp), posting with `pulses` → MR (0–9999
 * pulses), resync-request → RQINZ. The protocol has no wake-up result and no message-retrieved:
 * those render to undefined.
 *
 * The adapter keeps whether a GRS is open, seeing frames in arrival order (the ingest asks for each
 * frame's events once, in order). Before it has seen a GRS or END (after a restart, replaying frames
 * of a cycle begun before it), it asks `resyncActive` (the ingest's persisted resync state).
 */
import type { PmsAction, PmsAdapter, PmsEvent, PmsGuest, RenderedAction } from "../../domain/pms-events.ts";
import type { Charset } from "../../lib/charset.ts";
import { AppError } from "../../lib/errors.ts";
import { showBytes } from "./codec.ts";
import { formatMessage, type MitelMessage, type MitelName, parseMessage } from "./messages.ts";
import { type MitelProfile, mitelProfile } from "./profiles.ts";

/**
 * Appliance housekeeping status (FIAS RS numbering) → Mitel maid code: 1 dirty/vacant → 9 vacant/not
 * clean, 2 dirty/occupied → 7 occupied/not clean, 3 clean/vacant → 8 vacant/clean, 4 clean/occupied
 * → 6 occupied/clean, 5 inspected/vacant → 8, 6 inspected/occupied → 6.
 */
export const DEFAULT_MAID_STATUS: Readonly<Record<string, number>> = { 1: 9, 2: 7, 3: 8, 4: 6, 5: 8, 6: 6 };

export interface MitelAdapterOptions {
  profile?: MitelProfile;
  charset: Charset;
  /** Housekeeping status → Mitel maid code 1–9; default DEFAULT_MAID_STATUS. */
  maidStatus?: Readonly<Record<string, number>>;
  /** Whether a resync was open when the process started (the ingest's persisted state). */
  resyncActive?: () => boolean;
}

function guestOf(n: MitelName): PmsGuest {
  const fullName = n.first ? `${n.first} ${n.last}` : n.last;
  return { reservation: "", lastName: n.last, firstName: n.first, fullName };
}

export interface MitelAdapter extends PmsAdapter<MitelMessage> {
  /** Whether the adapter is between GRS and END (as far as it has seen). */
  readonly inResync: boolean;
}

export function mitelAdapter(opts: MitelAdapterOptions): MitelAdapter {
  const profile = opts.profile ?? mitelProfile();
  const maid = opts.maidStatus ?? DEFAULT_MAID_STATUS;
  const parseOpts = { profile, charset: opts.charset, direction: "from-pms" as const };
  let seen: boolean | undefined;
  const resync = () => seen ?? opts.resyncActive?.() ?? false;

  function toEvents(m: MitelMessage): PmsEvent[] {
    const via = m.type;
    switch (m.type) {
      case "CHK":
        if (!m.checkedIn) return [{ kind: "check-out", via, room: m.room, resync: resync() }];
        return [
          {
            kind: "check-in",
            via,
            room: m.room,
            guest: m.name ? guestOf(m.name) : { reservation: "" },
            resync: resync(),
          },
        ];
      case "NAM":
        if (m.op === 3) return [];
        return [{ kind: "guest-change", via, room: m.room, guest: guestOf(m.name), resync: resync() }];
      case "MW":
        return [{ kind: "room-status", via, room: m.room, messageWaiting: m.on }];
      case "DND":
        return [{ kind: "room-status", via, room: m.room, dnd: m.on }];
      case "RST":
        return [{ kind: "room-status", via, room: m.room, classOfService: m.level }];
      case "WKP": {
        const cancel: PmsEvent = { kind: "wakeup-cancel", via, room: m.room };
        if (!m.time) return [cancel];
        const time = { hour: m.time.hour, minute: m.time.minute, second: 0, withSeconds: false };
        return [cancel, { kind: "wakeup-set", via, room: m.room, time }];
      }
      case "GRS":
        seen = true;
        return [{ kind: "resync-start", via }];
      case "END":
        seen = false;
        return [{ kind: "resync-end", via }];
      case "AREYUTHERE":
        return [];
      default:
        throw new AppError("INVALID", `${m.type} is not sent by a PMS`);
    }
  }

  function render(action: PmsAction): RenderedAction | undefined {
    let m: MitelMessage;
    switch (action.kind) {
      case "housekeeping": {
        const code = maid[String(action.status)];
        if (code === undefined) return undefined;
        m = { type: "STS", room: action.room, status: code };
        break;
      }
      case "voicemail-count":
        m = { type: "MW", room: action.room, on: action.unread > 0 };
        break;
      case "posting":
        if (action.pulses === undefined || !(action.pulses >= 0 && action.pulses <= 9999)) return undefined;
        m = { type: "MR", room: action.room, pulses: Math.round(action.pulses) };
        break;
      case "resync-request":
        m = { type: "RQINZ" };
        break;
      default:
        // wakeup-result, message-retrieved: the Mitel protocol has no such message.
        return undefined;
    }
    return { type: m.type, text: formatMessage(m, profile) };
  }

  return {
    get inResync() {
      return resync();
    },
    parse(raw) {
      const r = parseMessage(raw, parseOpts);
      return r.ok ? { ok: true, frame: r.message } : r;
    },
    typeOf: (m) => m.type,
    toEvents,
    render,
    isMessage(text) {
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7e) return false;
        bytes[i] = c;
      }
      return parseMessage(bytes, { profile, charset: opts.charset, direction: "to-pms" }).ok;
    },
    printable: (raw) => showBytes(raw),
  };
}
