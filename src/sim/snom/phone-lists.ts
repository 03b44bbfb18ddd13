/**
 * @module sim/snom/phone-lists
 * What a simulated SNOM phone remembers of its calls: the missed, dialled and received lists
 * (index.htm clears them) and the ringers played (line_login.htm?PLAY_RINGER:X).
 */
import type { ActionEvent, SnomCall } from "./model.ts";

export interface ListEntry {
  number: string;
  name: string;
  at: number;
}

export type ListName = "missed" | "dialed" | "received";

export class CallLists {
  /** Newest last. */
  readonly missed: ListEntry[] = [];
  readonly dialed: ListEntry[] = [];
  readonly received: ListEntry[] = [];
  readonly ringers: { ringer: number; at: number }[] = [];

  /** A call event: a missed call, a call we dialled, or an incoming call answered joins its list. */
  note(event: ActionEvent, call: SnomCall): void {
    if (event === "missed") this.missed.push(entry(call));
    else if (event === "outgoing") this.dialed.push(entry(call));
    else if (event === "connected" && call.direction === "in") this.received.push(entry(call));
  }

  get lastDialed(): string | null {
    return this.dialed[this.dialed.length - 1]?.number ?? null;
  }

  clear(list: ListName): string {
    this[list].length = 0;
    return `${list} list cleared`;
  }

  playRinger(ringer: number, at: number): string {
    this.ringers.push({ ringer, at });
    return `ringer ${ringer} played`;
  }
}

function entry(c: SnomCall): ListEntry {
  return { number: c.remote, name: c.remoteName, at: c.startedAt };
}
