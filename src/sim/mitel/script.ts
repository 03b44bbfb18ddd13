/**
 * @module sim/mitel/script
 * Script mode of the Mitel PMS simulator: one step a line, run in order; each message step waits
 * until the appliance ACKed it (or the simulator gave it up after the NAK resends).
 *
 *   # comment
 *   wait-connected 10000          # until the appliance's connection is there (ms, default 10000)
 *   checkin 101                   # CHK1 (Mitel 2: `checkin 101 SMITH,JOHN` carries the name)
 *   name 101 SMITH,JOHN           # NAM1 (add); `rename 101 SMITH,JANE` NAM2; `unname 101` NAM3
 *   mw 101 on | dnd 101 off | rst 101 2 | wakeup 101 0630 | wakeup 101 cancel | checkout 101
 *   send "CHK3   101"             # the text between STX and ETX exactly as quoted (bad ones too)
 *   resync                        # GRS, the hotel's occupied rooms, END
 *   expect STS 101 8 within 5000  # a message from the appliance: STS/MW/MR [room [value]], RQINZ
 *   sleep 200
 *   drop                          # close the connection abruptly
 *
 * The whole script is parsed before anything is sent. `expect` matches messages that arrived before
 * the step too; each message satisfies at most one expect.
 */
import { errorMessage } from "../../lib/errors.ts";
import type { MitelMessage } from "../../pms/mitel/messages.ts";
import type { MitelMatch, MitelPmsSimulator } from "./simulator.ts";

export const DEFAULT_EXPECT_MS = 5000;
export const DEFAULT_CONNECT_MS = 10_000;

export type MitelStep =
  | { line: number; text: string; op: "wait-connected"; ms: number }
  | { line: number; text: string; op: "send"; message: MitelMessage | string }
  | { line: number; text: string; op: "expect"; match: Partial<MitelMessage>; ms: number }
  | { line: number; text: string; op: "sleep"; ms: number }
  | { line: number; text: string; op: "resync" | "drop" };

function ms(s: string | undefined, what: string): number {
  if (s === undefined || !/^\d+$/.test(s)) throw new Error(`${what} must be a whole number of milliseconds`);
  return Number(s);
}

function room(s: string | undefined): string {
  if (!s || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/.test(s)) throw new Error(`not a room number: "${s ?? ""}"`);
  return s;
}

function onOff(s: string | undefined): boolean {
  if (s === "on" || s === "1") return true;
  if (s === "off" || s === "0") return false;
  throw new Error(`expected on or off, got "${s ?? ""}"`);
}

function nameOf(words: string[]): { last: string; first: string } {
  const t = words.join(" ").trim();
  if (!t) throw new Error("a name is needed, e.g. SMITH,JOHN");
  const comma = t.indexOf(",");
  return comma < 0 ? { last: t, first: "" } : { last: t.slice(0, comma), first: t.slice(comma + 1) };
}

function expectation(args: string[]): { match: Partial<MitelMessage>; ms: number } {
  let timeout = DEFAULT_EXPECT_MS;
  const w = args.indexOf("within");
  if (w >= 0) {
    timeout = ms(args[w + 1], "within");
    args = args.slice(0, w);
  }
  const [type, r, value] = args;
  switch (type) {
    case "RQINZ":
      return { match: { type }, ms: timeout };
    case "STS":
    case "MW":
    case "MR": {
      const m: Record<string, unknown> = { type };
      if (r !== undefined) m.room = room(r);
      if (value !== undefined) {
        if (type === "MW") m.on = onOff(value);
        else m[type === "STS" ? "status" : "pulses"] = Number(value);
      }
      return { match: m as Partial<MitelMessage>, ms: timeout };
    }
    default:
      throw new Error(`expect STS, MW, MR or RQINZ, got "${type ?? ""}"`);
  }
}

function parseStep(line: number, text: string): MitelStep {
  const base = { line, text };
  if (text.startsWith("send ")) {
    const q = text.slice(5).trim();
    if (q.length < 2 || !q.startsWith('"') || !q.endsWith('"'))
      throw new Error('send wants a quoted text: send "CHK1   101"');
    return { ...base, op: "send", message: q.slice(1, -1) };
  }
  const [op, ...args] = text.split(/\s+/);
  const send = (message: MitelMessage): MitelStep => ({ ...base, op: "send", message });
  switch (op) {
    case "wait-connected":
      return { ...base, op, ms: args[0] ? ms(args[0], op) : DEFAULT_CONNECT_MS };
    case "checkin":
      return send({
        type: "CHK",
        room: room(args[0]),
        checkedIn: true,
        ...(args.length > 1 ? { name: nameOf(args.slice(1)) } : {}),
      });
    case "checkout":
      return send({ type: "CHK", room: room(args[0]), checkedIn: false });
    case "name":
    case "rename":
      return send({ type: "NAM", room: room(args[0]), op: op === "name" ? 1 : 2, name: nameOf(args.slice(1)) });
    case "unname":
      return send({ type: "NAM", room: room(args[0]), op: 3, name: { last: "", first: "" } });
    case "mw":
    case "dnd":
      return send({ type: op === "mw" ? "MW" : "DND", room: room(args[0]), on: onOff(args[1]) });
    case "rst": {
      const level = Number(args[1]);
      if (!Number.isInteger(level) || level < 0 || level > 3) throw new Error("rst wants a level 0–3");
      return send({ type: "RST", room: room(args[0]), level });
    }
    case "wakeup": {
      const r = room(args[0]);
      if (args[1] === "cancel") return send({ type: "WKP", room: r });
      const t = args[1] ?? "";
      const hour = Number(t.slice(0, 2));
      const minute = Number(t.slice(2));
      if (!/^\d{4}$/.test(t) || hour > 23 || minute > 59) throw new Error(`wakeup wants HHMM or cancel, got "${t}"`);
      return send({ type: "WKP", room: r, time: { hour, minute } });
    }
    case "expect":
      return { ...base, op, ...expectation(args) };
    case "sleep":
      return { ...base, op, ms: ms(args[0], "sleep") };
    case "resync":
    case "drop":
      if (args.length) throw new Error(`${op} takes no argument`);
      return { ...base, op };
    default:
      throw new Error(`unknown step "${op}"`);
  }
}

export function parseMitelScript(text: string): { steps: MitelStep[]; errors: string[] } {
  const steps: MitelStep[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.search(/(^|\s)#/);
    const body = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (!body) return;
    try {
      steps.push(parseStep(i + 1, body));
    } catch (err) {
      errors.push(`line ${i + 1}: ${errorMessage(err)}`);
    }
  });
  return { steps, errors };
}

export interface MitelStepResult {
  line: number;
  text: string;
  ok: boolean;
  detail?: string;
  ms: number;
}

async function run(sim: MitelPmsSimulator, step: MitelStep): Promise<string | undefined> {
  switch (step.op) {
    case "wait-connected":
      await sim.whenConnected(step.ms);
      return undefined;
    case "send":
      await sim.send(step.message);
      return undefined;
    case "expect":
      return JSON.stringify(await sim.waitFor(step.match as MitelMatch, step.ms));
    case "sleep":
      await new Promise<void>((r) => sim.clock.setTimeout(r, step.ms));
      return undefined;
    case "resync":
      await sim.resync();
      return undefined;
    case "drop":
      sim.drop();
      return undefined;
  }
}

export async function runMitelScript(
  sim: MitelPmsSimulator,
  text: string,
  onStep?: (r: MitelStepResult) => void,
): Promise<{ ok: boolean; failures: string[]; steps: number }> {
  const { steps, errors } = parseMitelScript(text);
  if (errors.length) return { ok: false, failures: errors, steps: 0 };
  let done = 0;
  for (const step of steps) {
    const started = sim.clock.now();
    const r: MitelStepResult = { line: step.line, text: step.text, ok: true, ms: 0 };
    try {
      r.detail = await run(sim, step);
    } catch (err) {
      r.ok = false;
      r.detail = errorMessage(err);
    }
    r.ms = sim.clock.now() - started;
    onStep?.(r);
    if (!r.ok) return { ok: false, failures: [`line ${step.line}: ${r.detail}`], steps: done };
    done++;
  }
  return { ok: true, failures: [], steps: done };
}
