/**
 * @module sim/voispeed/ivr
 * IVR nodes that follow a script (§1.6): a node plays its message, takes the caller's input and, with
 * action 3, GETs its script URL (`license_id domain ivrid nodeid callid calling called input tag`) and
 * obeys the reply: CRLF-separated `key=value` lines (LF accepted too), `command=<0-4>` first.
 * No reply, a non-2xx status, a time-out, an unknown command or bad syntax end the call (the seed's
 * default). Every script call, prompt and transfer is recorded for assertions.
 *
 * Decisions where the seed is silent: a node with action 0 plays its message and then does nothing
 * until the caller hangs up (state "idle"); action 1 waits for a key naming a child's select_key (or
 * go_back_key); action 2 transfers to its called_* entity; a script node with input_type 0 calls its
 * script at once with an empty input. Command 1 to a missing child leaves the call "stuck" in its node
 * (the seed: until the caller hangs up): later input is ignored. Command 4 changes the node for this
 * call only, then runs it again: input_timeout is waiting_input_time, node_action the action,
 * script_url the script, tag the tag sent from then on (-1 until set); other keys are ignored and
 * listed; values are taken literally (a quoted `'url'` stays quoted). A bad number in a command ends
 * the call. At most 10 script calls follow one input, so a script answering command 4 to a node
 * without input cannot loop forever.
 */
import type { SimIvr, SimIvrNode } from "./model.ts";
import type { VoispeedSimState } from "./state.ts";

export type IvrState = "input" | "menu" | "idle" | "stuck" | "ended" | "transferred";

export interface IvrPrompt {
  callid: number;
  ivrid: number;
  nodeid: number;
  audio_message: string;
  audio_loop: number;
}

export interface IvrTransfer {
  callid: number;
  ivrid: number;
  nodeid: number;
  /** "number": command 2 (routing rules); "entity": command 3 or a node with action 2. */
  kind: "number" | "entity";
  recipient_number: string;
  recipient_id?: number;
  recipient_type?: number;
}

/** One script call. */
export interface IvrStep {
  callid: number;
  ivrid: number;
  nodeid: number;
  url: string;
  query: Record<string, string>;
  status: number | null;
  reply: string | null;
  /** How the reply's lines ended. */
  lineEnding: "crlf" | "lf" | "mixed" | "none";
  command: number | null;
  params: Record<string, string>;
  result: "end" | "goto" | "stay" | "transfer" | "update";
  /** Why the call ended by default, when it did. */
  error?: string;
  /** Keys of a command 4 that were not applied. */
  ignored?: string[];
}

export interface IvrSession {
  callid: number;
  ivrid: number;
  nodeId: number;
  tag: string;
  calling: string;
  called: string;
  state: IvrState;
  /** Command 4's changes, per node, for this call only. */
  overrides: Map<number, Partial<SimIvrNode>>;
}

/** What one call into the IVR engine did. */
export interface IvrOutcome {
  callid: number;
  state: IvrState;
  nodeid: number;
  tag: string;
  steps: IvrStep[];
  prompts: IvrPrompt[];
  transfer?: IvrTransfer;
}

export interface IvrContext {
  state: VoispeedSimState;
  licenseId: string;
  domain: string;
  timeoutMs: number;
  newCallId(): number;
  /** The call left the IVR: ended by it, or transferred. */
  left?(session: IvrSession, transfer?: IvrTransfer): Promise<void>;
}

const MAX_SCRIPT_CALLS = 10;

export function parseScriptReply(text: string): {
  command: number | null;
  params: Record<string, string>;
  lineEnding: IvrStep["lineEnding"];
  error?: string;
} {
  const crlf = text.split("\r\n").length - 1;
  const lf = text.split("\n").length - 1 - crlf;
  const lineEnding = crlf && lf ? "mixed" : crlf ? "crlf" : lf ? "lf" : "none";
  const params: Record<string, string> = {};
  let command: number | null = null;
  let first = true;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { command: null, params, lineEnding, error: `bad line "${line}"` };
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (first) {
      if (key !== "command") return { command: null, params, lineEnding, error: "the first line is not command=" };
      const n = Number(value);
      if (value === "" || !Number.isInteger(n) || n < 0 || n > 4) {
        return { command: null, params, lineEnding, error: `unknown command "${value}"` };
      }
      command = n;
      first = false;
      continue;
    }
    params[key] = value;
  }
  if (command === null) return { command, params, lineEnding, error: "empty reply" };
  return { command, params, lineEnding };
}

export class IvrEngine {
  readonly sessions = new Map<number, IvrSession>();
  readonly steps: IvrStep[] = [];
  readonly prompts: IvrPrompt[] = [];
  readonly transfers: IvrTransfer[] = [];
  /** Each script call, once the input that caused it has been handled (the CLI prints them). */
  onStep?: (s: IvrStep) => void;

  constructor(private readonly ctx: IvrContext) {}

  /** A call reaches the IVR: its root node (or `nodeid`) runs. */
  async enter(o: {
    ivrid: number;
    callid?: number;
    calling: string;
    called: string;
    nodeid?: number;
  }): Promise<IvrOutcome> {
    const s = this.session(o);
    const out = this.outcome(s);
    await this.run(s, out);
    return this.done(s, out);
  }

  /**
   * The caller's input on the session of `callid`, or on a new session at ivrid/nodeid (the spec's
   * one-shot `ivrInput`). `tag` overrides the session's tag for this script call.
   */
  async input(o: {
    callid?: number;
    ivrid?: number;
    nodeid?: number;
    calling?: string;
    called?: string;
    input: string;
    tag?: string;
  }): Promise<IvrOutcome> {
    let s = o.callid !== undefined ? this.sessions.get(o.callid) : undefined;
    if (!s) {
      const ivrid = o.ivrid ?? this.ctx.state.ivrs[0]?.id;
      if (ivrid === undefined) throw new Error("no IVR");
      s = this.session({ ivrid, callid: o.callid, calling: o.calling ?? "", called: o.called ?? "", nodeid: o.nodeid });
      const n = this.node(s);
      s.state = n.action === 1 ? "menu" : n.action === 3 ? "input" : "idle";
    }
    if (o.tag !== undefined) s.tag = o.tag;
    const out = this.outcome(s);
    if (s.state === "input") await this.script(s, o.input, out);
    else if (s.state === "menu") await this.menu(s, o.input, out);
    return this.done(s, out);
  }

  private session(o: { ivrid: number; callid?: number; calling: string; called: string; nodeid?: number }): IvrSession {
    const ivr = this.ivr(o.ivrid);
    const root = ivr.nodes.find((n) => n.parent_id === -1) ?? ivr.nodes[0];
    const nodeId = o.nodeid ?? root?.node_id;
    if (nodeId === undefined || !ivr.nodes.some((n) => n.node_id === nodeId)) {
      throw new Error(`IVR ${o.ivrid} has no node ${o.nodeid}`);
    }
    const s: IvrSession = {
      callid: o.callid ?? this.ctx.newCallId(),
      ivrid: ivr.id,
      nodeId,
      tag: "-1",
      calling: o.calling,
      called: o.called,
      state: "input",
      overrides: new Map(),
    };
    this.sessions.set(s.callid, s);
    return s;
  }

  private ivr(id: number): SimIvr {
    const ivr = this.ctx.state.ivrs.find((i) => i.id === id);
    if (!ivr) throw new Error(`no IVR ${id}`);
    return ivr;
  }

  private node(s: IvrSession, id = s.nodeId): SimIvrNode {
    const n = this.ivr(s.ivrid).nodes.find((x) => x.node_id === id);
    if (!n) throw new Error(`IVR ${s.ivrid} has no node ${id}`);
    return { ...n, ...s.overrides.get(id) };
  }

  private outcome(s: IvrSession): IvrOutcome {
    return { callid: s.callid, state: s.state, nodeid: s.nodeId, tag: s.tag, steps: [], prompts: [] };
  }

  private async done(s: IvrSession, out: IvrOutcome): Promise<IvrOutcome> {
    Object.assign(out, { state: s.state, nodeid: s.nodeId, tag: s.tag });
    for (const step of out.steps) this.onStep?.(step);
    if (s.state === "ended" || s.state === "transferred") {
      this.sessions.delete(s.callid);
      await this.ctx.left?.(s, out.transfer);
    }
    return out;
  }

  /** Plays the current node, then does what its action says. */
  private async run(s: IvrSession, out: IvrOutcome): Promise<void> {
    const n = this.node(s);
    const prompt = {
      callid: s.callid,
      ivrid: s.ivrid,
      nodeid: n.node_id,
      audio_message: n.audio_message,
      audio_loop: n.audio_loop,
    };
    this.prompts.push(prompt);
    out.prompts.push(prompt);
    if (n.action === 1) s.state = "menu";
    else if (n.action === 2) {
      const entity = n.called_type !== null && n.called_id !== null;
      this.transfer(s, out, {
        kind: entity ? "entity" : "number",
        recipient_number: n.called_external_number,
        ...(entity ? { recipient_id: n.called_id as number, recipient_type: n.called_type as number } : {}),
      });
    } else if (n.action === 3) {
      s.state = "input";
      if (n.input_type === 0) await this.script(s, "", out);
    } else s.state = "idle";
  }

  private async menu(s: IvrSession, key: string, out: IvrOutcome): Promise<void> {
    const n = this.node(s);
    const nodes = this.ivr(s.ivrid).nodes;
    const child = nodes.find((c) => c.parent_id === n.node_id && c.select_key === key);
    const target =
      child ?? (key !== "" && key === n.go_back_key && n.parent_id !== -1 ? this.node(s, n.parent_id) : undefined);
    if (!target) return;
    s.nodeId = target.node_id;
    await this.run(s, out);
  }

  private transfer(s: IvrSession, out: IvrOutcome, t: Omit<IvrTransfer, "callid" | "ivrid" | "nodeid">): void {
    const transfer: IvrTransfer = { callid: s.callid, ivrid: s.ivrid, nodeid: s.nodeId, ...t };
    this.transfers.push(transfer);
    out.transfer = transfer;
    s.state = "transferred";
  }

  private async script(s: IvrSession, input: string, out: IvrOutcome): Promise<void> {
    if (out.steps.length >= MAX_SCRIPT_CALLS) {
      s.state = "ended";
      return;
    }
    const n = this.node(s);
    const query = {
      license_id: this.ctx.licenseId,
      domain: this.ctx.domain,
      ivrid: String(s.ivrid),
      nodeid: String(n.node_id),
      callid: String(s.callid),
      calling: s.calling,
      called: s.called,
      input,
      tag: s.tag,
    };
    const step: IvrStep = {
      callid: s.callid,
      ivrid: s.ivrid,
      nodeid: n.node_id,
      url: n.script,
      query,
      status: null,
      reply: null,
      lineEnding: "none",
      command: null,
      params: {},
      result: "end",
    };
    this.steps.push(step);
    out.steps.push(step);
    await this.fetchReply(step);
    const parsed = step.reply === null ? null : parseScriptReply(step.reply);
    if (parsed) Object.assign(step, { lineEnding: parsed.lineEnding, command: parsed.command, params: parsed.params });
    if (parsed?.error && !step.error) step.error = parsed.error;
    if (!parsed || parsed.command === null || step.error) return this.end(s);
    const p = parsed.params;
    switch (parsed.command) {
      case 1: {
        if (!p.node_key) return this.end(s, step, "command 1 without node_key");
        const child = this.ivr(s.ivrid).nodes.find((c) => c.parent_id === n.node_id && c.select_key === p.node_key);
        if (!child) {
          step.result = "stay";
          s.state = "stuck";
          return;
        }
        step.result = "goto";
        s.nodeId = child.node_id;
        return this.run(s, out);
      }
      case 2:
        if (!p.recipient_number) return this.end(s, step, "command 2 without recipient_number");
        step.result = "transfer";
        return this.transfer(s, out, { kind: "number", recipient_number: p.recipient_number });
      case 3: {
        const id = int(p.recipient_id);
        const type = int(p.recipient_type);
        if (id === null || type === null) return this.end(s, step, "command 3 needs recipient_id and recipient_type");
        step.result = "transfer";
        return this.transfer(s, out, {
          kind: "entity",
          recipient_number: p.recipient_number ?? "",
          recipient_id: id,
          recipient_type: type,
        });
      }
      case 4:
        return this.update(s, step, p, out);
      default:
        return this.end(s);
    }
  }

  private async update(s: IvrSession, step: IvrStep, p: Record<string, string>, out: IvrOutcome): Promise<void> {
    const change: Partial<SimIvrNode> = {};
    const ints = {
      audio_loop: "audio_loop",
      input_length: "input_length",
      input_timeout: "waiting_input_time",
      node_action: "action",
    } as const;
    step.ignored = [];
    for (const [k, v] of Object.entries(p)) {
      if (k === "audio_message") change.audio_message = v;
      else if (k === "script_url") change.script = v;
      else if (k === "tag") continue;
      else if (k in ints) {
        const n = int(v);
        if (n === null || (k === "node_action" && n > 3)) return this.end(s, step, `command 4: bad ${k} "${v}"`);
        change[ints[k as keyof typeof ints]] = n;
      } else step.ignored.push(k);
    }
    if (p.tag !== undefined) s.tag = p.tag;
    s.overrides.set(s.nodeId, { ...s.overrides.get(s.nodeId), ...change });
    step.result = "update";
    return this.run(s, out);
  }

  private end(s: IvrSession, step?: IvrStep, error?: string): void {
    if (step && error) {
      step.error = error;
      step.result = "end";
    }
    s.state = "ended";
  }

  private async fetchReply(step: IvrStep): Promise<void> {
    if (!step.url) {
      step.error = "the node has no script URL";
      return;
    }
    const sep = step.url.includes("?") ? "&" : "?";
    try {
      const res = await fetch(`${step.url}${sep}${new URLSearchParams(step.query)}`, {
        signal: AbortSignal.timeout(this.ctx.timeoutMs),
      });
      step.status = res.status;
      const text = await res.text();
      if (res.status < 200 || res.status > 299) step.error = `HTTP ${res.status}`;
      else step.reply = text;
    } catch (err) {
      step.error = err instanceof Error ? err.message : String(err);
    }
  }
}

function int(v: string | undefined): number | null {
  if (v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : null;
}
