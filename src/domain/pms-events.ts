/**
 * @module domain/pms-events
 * The protocol-neutral PMS model (issue 15 §0). A protocol adapter (src/pms/fias today, a Mitel one
 * next) turns each received frame into PMS events and renders the appliance's outgoing actions in its
 * own protocol; the services apply events and enqueue actions, never frames. Field names say what a
 * value means, not which protocol field carried it (`guest.lastName`, not GN).
 *
 * Imports nothing: the guest fields are structurally a `GuestPatch` of domain/room.ts.
 */

/** A hotel-local calendar day. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A hotel-local time of day; `withSeconds` says the PMS sent the seconds (they are echoed back). */
export interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
  withSeconds: boolean;
}

/** A hotel-local date and time (the DR resync request's stamp). */
export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

/**
 * Guest data of a check-in or guest change. Only the fields the PMS sent are present (a guest change
 * and a resync check-in change only those); `reservation` is "" for a room-based PMS.
 */
export interface PmsGuest {
  reservation: string;
  lastName?: string;
  firstName?: string;
  /** The whole name as the PMS gave it, or "First Last" from a "Last, First" name. */
  fullName?: string;
  title?: string;
  /** The PMS's language code as sent (trimmed); prompt languages are mapped from it later. */
  language?: string;
  /** VIP level as domain/vip judges it ("" = not a VIP). */
  vip?: string;
  group?: string;
  sharer?: boolean;
  /** ISO dates YYYY-MM-DD; null when the PMS sent one that is not a date. */
  arrival?: string | null;
  departure?: string | null;
}

/** Housekeeping (maid) status codes: 1 dirty/vacant … 6 inspected/occupied (FIAS RS numbering). */
export interface HousekeepingStatus {
  status: number;
  maid: string | null;
}

interface Base {
  /** The protocol's name for the frame the event came from ("GI", "CHK"): error and log text only. */
  via?: string;
}

export type PmsEvent =
  | (Base & {
      kind: "check-in";
      room: string;
      guest: PmsGuest;
      classOfService?: number;
      /** Sent as part of a database resync (FIAS SF): statuses are kept, no new stay is opened. */
      resync: boolean;
    })
  | (Base & { kind: "check-out"; room: string; reservation?: string; resync: boolean })
  | (Base & {
      kind: "guest-change";
      room: string;
      /** A room move: the room the guest leaves. */
      fromRoom?: string;
      guest: PmsGuest;
      classOfService?: number;
      resync: boolean;
    })
  | (Base & {
      /** Room statuses set by the PMS; one frame may carry several, applied as one change. */
      kind: "room-status";
      room: string;
      dnd?: boolean;
      /** The message lamp: on, or off (every counted message is then gone). */
      messageWaiting?: boolean;
      classOfService?: number;
      housekeeping?: HousekeepingStatus;
    })
  | (Base & {
      /** Without a date: the next such time of day (today, or tomorrow when it has passed). */
      kind: "wakeup-set";
      room: string;
      date?: LocalDate;
      time: TimeOfDay;
    })
  | (Base & {
      /**
       * Neither date nor time: every open wake-up of the room; date alone: that day's; time alone:
       * those at that time of day (seconds count only when sent); both: that one.
       */
      kind: "wakeup-cancel";
      room: string;
      date?: LocalDate;
      time?: TimeOfDay;
    })
  | (Base & {
      /** A text message waits; the room may be known only by the reservation. */
      kind: "message-waiting";
      room?: string;
      reservation: string;
      messageId: string;
      text: string;
    })
  | (Base & {
      /** A message was given to the guest (or deleted); no id: all of the room's. */
      kind: "message-deleted";
      room?: string;
      reservation: string;
      messageId: string;
    })
  | (Base & { kind: "resync-start" })
  | (Base & { kind: "resync-end" })
  | (Base & { kind: "night-audit"; running: boolean })
  /** The link went up or down (reported by the link itself, not by a frame; the monitor tracks it). */
  | (Base & { kind: "link-state"; up: boolean })
  | (Base & {
      /**
       * The PMS's answer to a posting (FIAS PA), matched by the posting's sequence number (P#); a PMS
       * that leaves the number out answers the one posting in flight.
       */
      kind: "posting-answer";
      sequence?: number;
      room?: string;
      status: PostingAnswerStatus;
      /** The protocol's answer code as sent (FIAS AS: OK, NG, RY, …); "" when none was sent. */
      code: string;
      /** The PMS's text (FIAS CT), "" when none. */
      text: string;
    });

/**
 * What an answer means for the posting: on the folio; refused for good (guest not found, no-post,
 * denied…: staff post it by hand or retry); or not now (busy, night audit): sent again later.
 */
export type PostingAnswerStatus = "accepted" | "rejected" | "retry";

/** A posting answer as the sender sees it. */
export type PostingAnswer = Omit<Extract<PmsEvent, { kind: "posting-answer" }>, "kind" | "via">;

export type PmsEventKind = PmsEvent["kind"];

/** Final result of a wake-up call as reported to the PMS. */
export type WakeupResult = "OK" | "NR" | "BY" | "UR" | "RY";

export type PmsAction =
  | {
      /** The result of a PMS wake-up, echoing its date and time of day as the PMS sent them. */
      kind: "wakeup-result";
      room: string;
      date: LocalDate;
      time: TimeOfDay;
      status: WakeupResult;
    }
  | { kind: "housekeeping"; room: string; status: number; maid?: string }
  | { kind: "voicemail-count"; room: string; unread: number; read: number }
  | { kind: "message-retrieved"; room: string; reservation: string; messageId: string }
  | { kind: "resync-request"; at: LocalDateTime }
  | {
      /**
       * A charge for the PMS (issue 15 §2), rendered when the posting sender sends it (not through the
       * outbox). Amounts in minor units. Exactly one way of costing is set: `amount` (pre-costed),
       * `pulses` or `durationSeconds` + `dialled` (a call the PMS costs), `article` (minibar the PMS
       * prices).
       */
      kind: "posting";
      room: string;
      /** The guest's reservation: kept with the posting; FIAS PS cannot name a guest (room-based only). */
      reservation?: string;
      sequence: number;
      charge: "call" | "minibar" | "charge";
      /** When the charge happened (a call's start), hotel-local. */
      at: LocalDateTime;
      amount?: number;
      /** Meter pulses, for PMS-costed calls (FIAS MP, Mitel MR). */
      pulses?: number;
      durationSeconds?: number;
      /** Dialled digits of a call (unformatted). */
      dialled?: string;
      /** Call class as the PMS knows it (FIAS PC: I, N, L). */
      callType?: string;
      article?: string;
      quantity?: number;
      text?: string;
    };

export type PmsActionKind = PmsAction["kind"];

/** An action in a protocol's words, as the outbox stores it. */
export interface RenderedAction {
  /** The protocol's message type ("WA", "STS"). */
  type: string;
  /** The message as text, exactly as it goes on the wire (without the link's framing). */
  text: string;
}

/**
 * A PMS protocol as the services see it. `F` is the adapter's parsed frame. Every method but
 * `render` runs on received frames; `toEvents` throws (with the reason the inbox shows) on a frame
 * it cannot apply.
 */
export interface PmsAdapter<F> {
  /** Reads a stored frame again (inbox replay after an unclean stop). */
  parse(raw: Uint8Array): { ok: true; frame: F } | { ok: false; reason: string };
  /** Short name of the frame's message type, for the inbox ("GI"). */
  typeOf(frame: F): string;
  toEvents(frame: F): PmsEvent[];
  /** The outbox row: message type and protocol text; undefined when the protocol has no such message. */
  render(action: PmsAction): RenderedAction | undefined;
  /** True when stored outbox text is a message of this protocol (a row that is not is dropped, logged). */
  isMessage(text: string): boolean;
  /** The frame as a trace shows it (control bytes visible). */
  printable(raw: Uint8Array): string;
}

const p2 = (n: number) => String(n).padStart(2, "0");

/**
 * Keys the wake-up rows keep of a PMS wake-up (store columns `fiasDate` / `fiasTime`): the day as
 * YYMMDD and the time of day as HHMM or HHMMSS, as requested, so its result echoes them exactly.
 */
export function wakeupDayKey(d: LocalDate): string {
  return `${p2(d.year % 100)}${p2(d.month)}${p2(d.day)}`;
}

export function wakeupTimeKey(t: TimeOfDay): string {
  return `${p2(t.hour)}${p2(t.minute)}${t.withSeconds ? p2(t.second) : ""}`;
}

function digits(s: string): number {
  return /^[0-9]+$/.test(s) ? Number(s) : Number.NaN;
}

export function parseWakeupDayKey(s: string): LocalDate | undefined {
  if (s.length !== 6) return undefined;
  const d = { year: 2000 + digits(s.slice(0, 2)), month: digits(s.slice(2, 4)), day: digits(s.slice(4, 6)) };
  if (Number.isNaN(d.year + d.month + d.day) || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31)
    return undefined;
  return d;
}

export function parseWakeupTimeKey(s: string): TimeOfDay | undefined {
  if (s.length !== 4 && s.length !== 6) return undefined;
  const withSeconds = s.length === 6;
  const t = {
    hour: digits(s.slice(0, 2)),
    minute: digits(s.slice(2, 4)),
    second: withSeconds ? digits(s.slice(4)) : 0,
  };
  if (Number.isNaN(t.hour + t.minute + t.second) || t.hour > 23 || t.minute > 59 || t.second > 59) return undefined;
  return { ...t, withSeconds };
}
