/**
 * @module services/voispeed-ivr
 * VOIspeed's IVR-script hook: an IVR node whose action is "Follow script" (T12 3) calls our URL with
 * the caller's number and the digits keyed (`…/ivr?key=…&ivrid=9&nodeid=0&callid=10724&calling=35&
 * called=12345&input=1&tag=-1`) and waits for an instruction. The reply is the seed's grammar (S1
 * "Integration IVR"): `key=value` lines separated by CR LF, the first `command=<code>`:
 *
 *   command=0                       end the call
 *   command=1 CRLF node_key=K       go to the child node whose select key is K
 *   command=2 CRLF recipient_number=N   transfer to N (the PBX's routing)
 *   command=4 CRLF audio_message=F CRLF audio_loop=0 CRLF tag=T
 *                                   play F (a file stored on the PBX) in this node and run it again
 *
 * Each node is mapped in the link's `ivrNodes` to a service, keyed `"<ivrid>/<nodeid>"`:
 * - `housekeeping`: the room status 1–6, then optionally the maid's id (`123` = status 1 by maid 23),
 *   from the room phone → stored and `RE RS` (ID) to the PMS, as from the appliance's own IVR;
 * - `wakeup`: four digits HHMM → a wake-up at the next such hotel time, stored like any wake-up
 *   (source `phone`); the time cannot be read back (no text-to-speech on the PBX);
 * - `minibar`: an item code and a quantity (`ITEM*QTY`, or digits whose last one is the quantity:
 *   `1042` = two of item 104) → audited as `minibar-phone` on the room, with item, quantity and the
 *   call; postings to the PMS (PS) come later and can be made from these.
 * A trailing `#` (a terminator the node passes on) is ignored. The calling number is looked up as a
 * room extension, then as a room number.
 *
 * The reply after each request is one of three, per node or by default:
 * - `ok` (default: `command=1`, `node_key=2`, the seed's PIN example's "success" child),
 * - `invalid` (default `command=1`, `node_key=1`, its "error" child): an entry that is not one;
 * - `failed` (default `command=0`, end the call): no room for the calling number, an entry the
 *   appliance could not store, a node not in `ivrNodes`, or `maxTries` invalid entries.
 * A reply is `{"node": K}`, `{"prompt": FILE}`, `{"transfer": NUMBER}` or `{"end": true}`. Prompt
 * replies re-run the node (command 4) and count with `tag`: an invalid entry sets `tag` to the number
 * of invalid entries so far, so the next request knows it, and after `maxTries` (default 3) the
 * `failed` reply follows; `ok` and `failed` prompts set `tag=100`, and the node's next request (after
 * the prompt, the caller keying nothing) is answered `command=0`. With node replies the IVR tree
 * itself decides what follows (its "error" child can go back to the entry node).
 * Anything unexpected is answered with a reply, never an HTTP error: VOIspeed ends the call on no
 * reply, and a guest must not be left in a silent node.
 */

import { parseWakeupTime } from "../ivr/guest-wakeup.ts";
import { parseMaidCode } from "../ivr/housekeeping.ts";
import { AppError, errorMessage } from "../lib/errors.ts";
import type { LogBudget } from "../lib/log-budget.ts";
import { writeAudit } from "../store/audit.ts";
import type { ServiceContext } from "./context.ts";
import { roomForExtension, setHousekeepingFromPhone, setWakeupFromPhone } from "./ivr.ts";

export const IVR_SERVICES = ["housekeeping", "minibar", "wakeup"] as const;
export type IvrService = (typeof IVR_SERVICES)[number];

/** What the IVR is told to do next. */
export type IvrReplySpec = { node: string } | { prompt: string } | { transfer: string } | { end: true };

/** A node's service with its replies (each defaulting as in the module's header). */
export interface IvrNodeOptions {
  service: IvrService;
  ok?: IvrReplySpec;
  invalid?: IvrReplySpec;
  failed?: IvrReplySpec;
  /** Invalid entries before `failed`, counted only with prompt replies (the tag); default 3. */
  maxTries?: number;
}

/** `ivrNodes` value: the service alone, or the service with its replies. */
export type IvrNodeSetting = IvrService | IvrNodeOptions;

export const IVR_DEFAULT_REPLIES = {
  ok: { node: "2" },
  invalid: { node: "1" },
  failed: { end: true },
  maxTries: 3,
} as const satisfies Required<Omit<IvrNodeOptions, "service">>;

/** tag value meaning "the ok or failed prompt has played: end the call now". */
export const TAG_DONE = 100;

/** The query VOIspeed sends (unknown extra parameters ignored). */
export interface IvrRequest {
  ivrid?: string;
  nodeid?: string;
  callid?: string;
  calling?: string;
  called?: string;
  input?: string;
  tag?: string;
}

export interface IvrLink {
  name: string;
  ivrNodes: Readonly<Record<string, IvrNodeSetting>>;
}

export interface IvrAnswer {
  /** The reply body (CR LF separated `key=value` lines). */
  body: string;
  /** What happened, for the log and tests. */
  outcome: "ok" | "invalid" | "failed" | "end";
  service?: IvrService;
  room?: string;
}

/** The reply text of a spec; `tag` only for prompt replies. Values never carry a line break. */
export function renderIvrReply(spec: IvrReplySpec, tag?: number): string {
  // A control character (CR, LF above all) would end the line and start another command.
  const clean = (s: string) => [...s].filter((ch) => ch >= " " && ch !== "\u007f").join("");
  if ("node" in spec) return `command=1\r\nnode_key=${clean(spec.node)}`;
  if ("transfer" in spec) return `command=2\r\nrecipient_number=${clean(spec.transfer)}`;
  if ("prompt" in spec) {
    const lines = ["command=4", `audio_message=${clean(spec.prompt)}`, "audio_loop=0"];
    if (tag !== undefined) lines.push(`tag=${tag}`);
    return lines.join("\r\n");
  }
  return "command=0";
}

function nodeOptions(setting: IvrNodeSetting): Required<IvrNodeOptions> {
  const o = typeof setting === "string" ? { service: setting } : setting;
  return {
    service: o.service,
    ok: o.ok ?? IVR_DEFAULT_REPLIES.ok,
    invalid: o.invalid ?? IVR_DEFAULT_REPLIES.invalid,
    failed: o.failed ?? IVR_DEFAULT_REPLIES.failed,
    maxTries: o.maxTries ?? IVR_DEFAULT_REPLIES.maxTries,
  };
}

export interface MinibarEntry {
  item: string;
  quantity: number;
}

/** `ITEM*QTY` (item 1–8 digits, quantity 1–99) or digits whose last one is the quantity (1–9). */
export function parseMinibarEntry(keys: string): MinibarEntry | undefined {
  const star = /^(\d{1,8})\*(\d{1,2})$/.exec(keys);
  if (star) {
    const quantity = Number(star[2]);
    return quantity >= 1 ? { item: star[1], quantity } : undefined;
  }
  if (!/^\d{2,9}$/.test(keys)) return undefined;
  const quantity = Number(keys.slice(-1));
  return quantity >= 1 ? { item: keys.slice(0, -1), quantity } : undefined;
}

/** The digits as the node passed them: trimmed, a trailing terminator `#` dropped. */
function entryOf(input: string | undefined): string {
  const t = (input ?? "").trim();
  return t.endsWith("#") ? t.slice(0, -1) : t;
}

/** The text of a query value safe for a log line: short, printable. */
function shown(s: string | undefined): string {
  return (s ?? "").slice(0, 32).replace(/[^\x20-\x7e]/g, "?");
}

/**
 * Answers one script request of `link`. Never throws: whatever goes wrong becomes the node's
 * `failed` reply (or an end of call when the node is unknown).
 */
export async function answerIvr(
  ctx: ServiceContext,
  link: IvrLink,
  req: IvrRequest,
  budget: LogBudget,
): Promise<IvrAnswer> {
  const nodeKey = `${(req.ivrid ?? "").trim()}/${(req.nodeid ?? "").trim()}`;
  const setting = Object.hasOwn(link.ivrNodes, nodeKey) ? link.ivrNodes[nodeKey] : undefined;
  if (setting === undefined) {
    budget.warn("voispeed-ivr-node", "VOIspeed IVR script called for a node not in ivrNodes", {
      link: link.name,
      node: shown(nodeKey),
    });
    return { body: renderIvrReply(IVR_DEFAULT_REPLIES.failed), outcome: "failed" };
  }
  const node = nodeOptions(setting);
  const tagText = (req.tag ?? "").trim();
  const tag = /^-?\d{1,6}$/.test(tagText) ? Number(tagText) : -1;
  if (tag >= TAG_DONE) return { body: renderIvrReply({ end: true }), outcome: "end", service: node.service };

  const failed = (room?: string): IvrAnswer => ({
    body: renderIvrReply(node.failed, TAG_DONE),
    outcome: "failed",
    service: node.service,
    room,
  });
  let room: string | undefined;
  try {
    room = await roomForExtension(ctx, (req.calling ?? "").slice(0, 64));
  } catch (err) {
    ctx.logger.error("VOIspeed IVR: room lookup failed", { link: link.name, error: errorMessage(err) });
    return failed();
  }
  if (!room) {
    budget.warn("voispeed-ivr-room", "VOIspeed IVR script called from a number that is no room", {
      link: link.name,
      node: nodeKey,
      calling: shown(req.calling),
    });
    return failed();
  }

  const invalid = (): IvrAnswer => {
    const tries = Math.max(tag, 0) + 1;
    if (tries >= node.maxTries) return failed(room);
    return { body: renderIvrReply(node.invalid, tries), outcome: "invalid", service: node.service, room };
  };
  const entry = entryOf(req.input);
  const actor = `voispeed:${link.name}`;
  try {
    switch (node.service) {
      case "housekeeping": {
        const code = parseMaidCode(entry);
        if (!code) return invalid();
        await setHousekeepingFromPhone(ctx, room, code.status, code.maid, actor);
        break;
      }
      case "wakeup": {
        const t = parseWakeupTime(entry);
        if (!t) return invalid();
        await setWakeupFromPhone(ctx, room, t.hh, t.mm, actor);
        break;
      }
      case "minibar": {
        const m = parseMinibarEntry(entry);
        if (!m) return invalid();
        await noteMinibar(ctx, actor, room, m, { link: link.name, call: (req.callid ?? "").trim().slice(0, 32) });
        break;
      }
    }
  } catch (err) {
    if (err instanceof AppError && err.code === "INVALID") return invalid();
    ctx.logger.error("VOIspeed IVR: the entry could not be stored", {
      link: link.name,
      service: node.service,
      room,
      error: errorMessage(err),
    });
    return failed(room);
  }
  return { body: renderIvrReply(node.ok, TAG_DONE), outcome: "ok", service: node.service, room };
}

/** A minibar consumption keyed on the room phone: audited (postings to the PMS come later). */
export async function noteMinibar(
  ctx: ServiceContext,
  actor: string,
  room: string,
  entry: MinibarEntry,
  via: Record<string, string>,
): Promise<void> {
  await ctx.store.tx((tx) =>
    writeAudit(tx, { actor, action: "minibar-phone", room, after: { ...entry, ...via } }, ctx.clock.now()),
  );
}
