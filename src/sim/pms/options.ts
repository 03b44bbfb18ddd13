/**
 * @module sim/pms/options
 * What the PMS simulator is configured with, and the events it emits (each frame in and out, each
 * connection and link).
 */
import type { Charset } from "../../lib/charset.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import type { FiasRecord } from "../../pms/fias/record.ts";
import type { Hotel } from "./hotel.ts";
import type { SimPostingOptions } from "./postings.ts";
import type { PmsVariant } from "./variants.ts";

export interface PmsSimulatorOptions {
  hotel: Hotel;
  charset?: Charset;
  logger?: Logger;
  /** Answer DR with DS, the hotel's records, DE. Default true. */
  answerResync?: boolean;
  /** Which PMS peer to play (variants.ts). Default "oracle". */
  variant?: PmsVariant;
  /** Greet each new connection with LS. Default: the variant's (true but for "matrix"). */
  sendLsOnConnect?: boolean;
  /** Add one RE (DN/CS/ML) per room to the swap. Default false, so a swap is exactly one GI per guest. */
  resyncEquipment?: boolean;
  /** Answer each PS with PA|ASOK| (echoing RN, P#, DA, TI). Default false: tests answer postings themselves. */
  answerPostings?: boolean;
  /** With answerPostings: rooms whose postings are refused (PA AS NG, "INVALID ROOM"). */
  rejectPostings?: Iterable<string>;
  /** Never answer a PS, whatever else is set (the appliance's PA time-out). */
  silentPostings?: boolean;
  /** Picks the answer to each PS (postings.ts); undefined falls back to the options above. */
  decidePosting?: SimPostingOptions["decide"];
  /** Every timer and timestamp of the simulator; `now()` must be milliseconds since the epoch. */
  clock?: Clock;
}

export interface SimFrame {
  dir: "in" | "out";
  at: number;
  /** Record text, or the printable bytes of a rejected or raw frame. */
  text: string;
  record?: FiasRecord;
  error?: string;
  connection: number;
}

export type SimEvents = {
  frame: [SimFrame];
  connected: [number];
  disconnected: [number];
  linked: [number];
};
