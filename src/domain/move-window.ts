/**
 * @module domain/move-window
 * Room moves from PMSs that have no move message (Mitel: `CHK0 old`, `CHK1 new`, `NAM new`): a
 * check-out followed within the window (default 10 s) by a check-in of the same guest name in
 * another room becomes one `guest-change` with `fromRoom`, so the guest keeps wake-ups, lamp and
 * messages instead of being checked out and in as a stranger.
 *
 * The helper is pure: the caller passes each event's time, and for a check-out the name of the guest
 * the room holds before it (read from the room model). Events come back in order to be applied:
 * - an online check-out whose guest has a name is held for the window;
 * - a check-in with a name (FIAS, Mitel 2 `CHK1 … NAME`) matching a held check-out becomes the move;
 * - a check-in without a name while a check-out is held is held too, waiting for its name (the
 *   NAM that follows): a guest-change naming that room with the held check-out's name becomes the
 *   move; another name releases the check-in, then the guest-change, as sent;
 * - anything else about a room with held events releases those first (their order is kept); resync
 *   events and events inside a resync release everything held and are never paired (a GRS cycle
 *   lists statuses, not moves);
 * - `due(now)` releases what outlived the window (the caller runs it from a timer at `nextDue()`),
 *   `flush()` everything (link down, stop).
 * Names match ignoring case, spaces around them and the comma spelling: "SMITH,JOHN" = "Smith, John".
 */
import type { PmsEvent, PmsGuest } from "./pms-events.ts";

export const DEFAULT_MOVE_WINDOW_MS = 10_000;

export interface GuestName {
  lastName?: string;
  firstName?: string;
}

interface Held {
  ev: PmsEvent;
  at: number;
  /** Name key of a held check-out. */
  key?: string;
}

function norm(s: string | undefined): string {
  return (s ?? "").trim().replace(/\s+/g, " ").toUpperCase();
}

/** "LAST|FIRST", or undefined when there is no last name to match on. */
export function guestNameKey(n: GuestName | PmsGuest | undefined): string | undefined {
  const last = norm(n?.lastName);
  return last ? `${last}|${norm(n?.firstName)}` : undefined;
}

function roomOf(ev: PmsEvent): string | undefined {
  return "room" in ev ? ev.room : undefined;
}

export class MoveWindow {
  readonly windowMs: number;
  private held: Held[] = [];

  constructor(opts: { windowMs?: number } = {}) {
    this.windowMs = opts.windowMs ?? DEFAULT_MOVE_WINDOW_MS;
  }

  /** Events held now (tests, status). */
  get holding(): number {
    return this.held.length;
  }

  /** True while `ev` (the object pushed) is held; a caller keeps its source unapplied meanwhile. */
  isHeld(ev: PmsEvent): boolean {
    return this.held.some((h) => h.ev === ev);
  }

  /**
   * One event received at `at`; `departing` is the name of the guest a check-out's room holds now.
   * Returns the events to apply now, in order.
   */
  push(ev: PmsEvent, at: number, departing?: GuestName): PmsEvent[] {
    if (ev.kind === "resync-start" || ev.kind === "resync-end" || ("resync" in ev && ev.resync)) {
      return [...this.flush(), ev];
    }
    const room = roomOf(ev);
    if (room === undefined) return [ev];
    switch (ev.kind) {
      case "check-out": {
        const out = this.release(room);
        const key = guestNameKey(departing);
        if (!key) return [...out, ev];
        this.held.push({ ev, at, key });
        return out;
      }
      case "check-in": {
        const out = this.release(room);
        const key = guestNameKey(ev.guest);
        if (key) {
          const from = this.takeCheckOut(key, room);
          if (!from) return [...out, ev];
          return [...out, this.move(ev, from)];
        }
        if (this.held.some((h) => h.key)) {
          this.held.push({ ev, at });
          return out;
        }
        return [...out, ev];
      }
      case "guest-change": {
        const pending = this.held.findIndex((h) => h.ev.kind === "check-in" && h.ev.room === room);
        const key = guestNameKey(ev.guest);
        if (pending >= 0 && !ev.fromRoom && key) {
          const from = this.takeCheckOut(key, room);
          if (from) {
            const checkIn = this.held.findIndex((h) => h.ev.kind === "check-in" && h.ev.room === room);
            const [held] = this.held.splice(checkIn, 1);
            const cos = held.ev.kind === "check-in" ? held.ev.classOfService : undefined;
            return [...this.release(room), this.move({ ...ev, classOfService: ev.classOfService ?? cos }, from)];
          }
        }
        return [...this.release(room), ...(ev.fromRoom ? this.release(ev.fromRoom) : []), ev];
      }
      default:
        return [...this.release(room), ev];
    }
  }

  /** Held events whose window has passed at `now`, in order. */
  due(now: number): PmsEvent[] {
    const out: PmsEvent[] = [];
    this.held = this.held.filter((h) => {
      if (h.at + this.windowMs > now) return true;
      out.push(h.ev);
      return false;
    });
    return out;
  }

  /** When the oldest held event falls due, or undefined when nothing is held. */
  nextDue(): number | undefined {
    return this.held.length ? this.held[0].at + this.windowMs : undefined;
  }

  /** Everything held, in order. */
  flush(): PmsEvent[] {
    return this.held.splice(0).map((h) => h.ev);
  }

  private release(room: string): PmsEvent[] {
    const out: PmsEvent[] = [];
    this.held = this.held.filter((h) => {
      if (roomOf(h.ev) !== room) return true;
      out.push(h.ev);
      return false;
    });
    return out;
  }

  /** Removes and returns the held check-out of that name in another room (the oldest). */
  private takeCheckOut(key: string, notRoom: string): string | undefined {
    const i = this.held.findIndex((h) => h.key === key && roomOf(h.ev) !== notRoom);
    if (i < 0) return undefined;
    const [h] = this.held.splice(i, 1);
    return roomOf(h.ev);
  }

  private move(ev: Extract<PmsEvent, { kind: "check-in" | "guest-change" }>, fromRoom: string): PmsEvent {
    return {
      kind: "guest-change",
      via: ev.via,
      room: ev.room,
      fromRoom,
      guest: ev.guest,
      ...(ev.classOfService !== undefined ? { classOfService: ev.classOfService } : {}),
      resync: false,
    };
  }
}
