/**
 * @module sim/voispeed/notify
 * Event delivery to the module's notification URL: one GET per event with the parameters appended to
 * the URL's query string, strictly in order (the next waits for the previous answer or its timeout),
 * no retries (VOIspeed's retry policy is unknown, §1.10). Non-2xx answers and network errors are
 * recorded, never retried. A duplicate fault sends the same event twice in a row, byte for byte.
 * `event_name` is always sent: the codes of user and extended events overlap.
 */

export type EventFamily = "user" | "ssn";

export interface SimEvent {
  /** Order of emission (a duplicate has its own seq). */
  seq: number;
  at: number;
  family: EventFamily;
  name: string;
  code: number;
  /** The parameters as sent, in order. */
  params: Record<string, string>;
  /** 1, or 2 for the copy a duplicate fault sends. */
  copy: 1 | 2;
  /** The HTTP status of the GET; null when not sent (no URL) or it failed. */
  status: number | null;
  error?: string;
}

/** Builds the events' query string in a stable order: the common parameters first. */
export function eventQuery(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export class Notifier {
  readonly sent: SimEvent[] = [];
  /** Called after each delivery attempt (the CLI prints it). */
  onEvent?: (e: SimEvent) => void;
  /** The next N events are sent twice; `duplicateAll` sends every event twice. */
  duplicateNext = 0;
  duplicateAll = false;
  /** The module's switches: which families are sent (cmd_failed always is: it answers our request). */
  userEvents = true;
  extendedEvents = true;
  /** The SSN events' event_type: unknown in the seed; user events have 2. */
  ssnEventType = "3";
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    public url: string | null,
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {}

  emit(family: EventFamily, name: string, code: number, params: Record<string, string>): void {
    const twice = this.duplicateAll || this.duplicateNext > 0;
    if (this.duplicateNext > 0) this.duplicateNext--;
    for (const copy of twice ? ([1, 2] as const) : ([1] as const)) {
      const e: SimEvent = { seq: ++this.seq, at: this.now(), family, name, code, params, copy, status: null };
      this.chain = this.chain.then(() => this.deliver(e));
    }
  }

  /** A user event: event_type 2, the code and name, `ext`, then `params`. */
  user(name: UserEventName, ext: string, params: Record<string, string>): void {
    if (!this.userEvents && name !== "cmd_failed") return;
    const code = USER_EVENT[name];
    this.emit("user", name, code, { event_type: "2", event: String(code), event_name: name, ext, ...params });
  }

  /** An extended (SSN) event. */
  ssn(name: SsnEventName, params: Record<string, string>): void {
    if (!this.extendedEvents) return;
    const code = SSN_EVENT[name];
    this.emit("ssn", name, code, { event_type: this.ssnEventType, event: String(code), event_name: name, ...params });
  }

  /** Resolves once every event emitted so far has been delivered (or has failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  private async deliver(e: SimEvent): Promise<void> {
    const url = this.url;
    if (url) {
      const sep = url.includes("?") ? (url.endsWith("?") || url.endsWith("&") ? "" : "&") : "?";
      try {
        const res = await fetch(`${url}${sep}${eventQuery(e.params)}`, {
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        e.status = res.status;
        if (res.status < 200 || res.status > 299) e.error = `HTTP ${res.status}`;
      } catch (err) {
        e.error = err instanceof Error ? err.message : String(err);
      }
    } else {
      e.error = "no notification URL";
    }
    this.sent.push(e);
    this.onEvent?.(e);
  }
}

/** User events (§1.3, T6), event_type 2. 18 call_transfer is "not implemented" in the seed: never sent. */
export const USER_EVENT = {
  cmd_failed: 1,
  incoming_call: 8,
  outgoing_call: 9,
  new_voicemail: 10,
  lost_call: 12,
  call_answered: 14,
  call_rejected: 15,
  call_disconnect_out: 16,
  call_disconnect_in: 17,
} as const;
export type UserEventName = keyof typeof USER_EVENT;

/** Extended (SSN) events (§1.5); 8 dtmf_out is decommissioned: never sent. */
export const SSN_EVENT = {
  call_in: 1,
  call_progress: 2,
  call_out: 3,
  call_response: 4,
  disconnect_in: 5,
  disconnect_out: 6,
  call_transfer: 7,
  call_divert: 9,
  call_terminated: 10,
  call_held: 11,
  call_retrieved: 12,
} as const;
export type SsnEventName = keyof typeof SSN_EVENT;
