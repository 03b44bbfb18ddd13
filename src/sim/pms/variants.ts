/**
 * @module sim/pms/variants
 * The PMS peers the simulator can play, as one table: how each greets a connection, answers LS,
 * completes the link init, frames its records and spells its guests. The simulator reads its
 * behaviour from here only; adding a peer met in the field is adding a row.
 * Background: fias.md §1.2 (the strict Oracle IFC reading and the field variants).
 */
import type { FramingName } from "../../pms/fias/frame.ts";
import type { HotelStyle } from "./hotel.ts";

export const pmsVariants = ["oracle", "matrix", "silent-la", "crlf"] as const;
export type PmsVariant = (typeof pmsVariants)[number];

/** A link record the simulator answers an LS with. */
export type LsReply = "LS" | "LA";

export interface VariantBehaviour {
  /** One line for the usage text. */
  summary: string;
  /** Send LS as soon as a connection is up, as the Oracle IFC does. */
  greetOnConnect: boolean;
  /**
   * The answer to an LS from the appliance: before the link is up (asking for LD/LR…/LA), and once
   * linked (the appliance's alive check).
   */
  answerLs: { unlinked: LsReply; linked: LsReply };
  /**
   * Confirm the appliance's LD, LR…, LA with an LA. Either way the simulator counts the link up on
   * the appliance's LA.
   */
  sendLaAfterHandshake: boolean;
  /** Framing of both directions (src/pms/fias/frame.ts). */
  framing: FramingName;
  /** Text appended to every record sent, inside the frame: "\r\n" gives STX record CR LF ETX. */
  recordSuffix: string;
  /** How the guest records of a database swap are spelled (hotel.ts). */
  hotelStyle: HotelStyle;
}

export const VARIANTS: Readonly<Record<PmsVariant, Readonly<VariantBehaviour>>> = {
  oracle: {
    summary: "strict Oracle IFC: LS on connect, LA after LD/LR/LA, LA to an alive check",
    greetOnConnect: true,
    answerLs: { unlinked: "LS", linked: "LA" },
    sendLaAfterHandshake: true,
    framing: "stx-etx",
    recordSuffix: "",
    hotelStyle: "oracle",
  },
  matrix: {
    summary: 'silent on connect, every LS answered with LS, never LA, CR LF before ETX, GN "Last, First"',
    greetOnConnect: false,
    answerLs: { unlinked: "LS", linked: "LS" },
    sendLaAfterHandshake: false,
    framing: "stx-etx",
    recordSuffix: "\r\n",
    hotelStyle: "matrix",
  },
  "silent-la": {
    summary: "like oracle but no LA after LD/LR/LA (linked on the appliance's LA)",
    greetOnConnect: true,
    answerLs: { unlinked: "LS", linked: "LA" },
    sendLaAfterHandshake: false,
    framing: "stx-etx",
    recordSuffix: "",
    hotelStyle: "oracle",
  },
  crlf: {
    summary: "like oracle but records ended by CR LF, no STX/ETX, both directions",
    greetOnConnect: true,
    answerLs: { unlinked: "LS", linked: "LA" },
    sendLaAfterHandshake: true,
    framing: "crlf",
    recordSuffix: "",
    hotelStyle: "oracle",
  },
};

export function isPmsVariant(name: string): name is PmsVariant {
  return (pmsVariants as readonly string[]).includes(name);
}
