/**
 * @module sim/pms/script
 * Script mode of the PMS simulator: a plain-text list of steps, one a line, run in order.
 *
 *   # comment (a '#' at the start of a line or after a blank; "G#" inside a record is not one)
 *   wait-link 10000              # wait until the appliance completed LD/LR/LA (ms timeout, default 10000)
 *   send GI|RN101|G#1001|GNSmith|GFJohn|GLEA|
 *   expect RE|RN101|RS3| 5000    # wait for a matching record, optional timeout ms (default 5000)
 *   sleep 200
 *   resync                       # send DS, the hotel's records, DE
 *   drop                         # close the connection abruptly
 *
 * `expect` matches on the record type and the listed fields only; each received record satisfies at
 * most one expect, and records that arrived before the step count. The whole script is parsed before
 * anything is sent, so a typo on line 40 does not leave a half-run scenario behind. Sleeps and step
 * timings run on the simulator's clock. `wait-link` works with every variant: the link is up on the
 * appliance's LA after its LD, whether or not the simulator answers it with LA.
 */
import { errorMessage } from "../../lib/errors.ts";
import { type FiasRecord, formatRecord, recordFromText } from "../../pms/fias/record.ts";
import type { PmsSimulator } from "./simulator.ts";

export const DEFAULT_EXPECT_MS = 5000;
export const DEFAULT_LINK_MS = 10_000;

export type ScriptStep =
  | { line: number; op: "wait-link"; timeoutMs: number }
  | { line: number; op: "send"; record: FiasRecord }
  | { line: number; op: "expect"; record: FiasRecord; timeoutMs: number }
  | { line: number; op: "sleep"; ms: number }
  | { line: number; op: "resync" }
  | { line: number; op: "drop" };

export interface StepResult {
  line: number;
  /** The step as written (comment stripped). */
  text: string;
  ok: boolean;
  /** The matched record of an expect, or why the step failed. */
  detail?: string;
  ms: number;
}

export interface ScriptResult {
  ok: boolean;
  /** "line N: …" for the syntax errors or the step that failed. */
  failures: string[];
  /** Steps completed successfully. */
  steps: number;
}

function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "#" && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) return line.slice(0, i);
  }
  return line;
}

function parseMs(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${what} must be a whole number of milliseconds, got "${text}"`);
  return Number(text);
}

/** Splits "REC| 5000" into the record and an optional timeout; a record always ends with '|'. */
function recordAndTimeout(args: string, fallback: number): { record: FiasRecord; timeoutMs: number } {
  if (args.endsWith("|")) return { record: recordFromText(args), timeoutMs: fallback };
  const cut = Math.max(args.lastIndexOf(" "), args.lastIndexOf("\t"));
  if (cut < 0) throw new Error(`a record must end with '|': "${args}"`);
  const rec = args.slice(0, cut).trim();
  if (!rec.endsWith("|")) throw new Error(`a record must end with '|': "${rec}"`);
  return { record: recordFromText(rec), timeoutMs: parseMs(args.slice(cut + 1), "timeout") };
}

function parseStep(line: number, text: string): ScriptStep {
  const space = text.search(/\s/);
  const op = space < 0 ? text : text.slice(0, space);
  const args = space < 0 ? "" : text.slice(space + 1).trim();
  const noArgs = () => {
    if (args) throw new Error(`${op} takes no argument`);
  };
  switch (op) {
    case "wait-link":
      return { line, op, timeoutMs: args ? parseMs(args, "wait-link timeout") : DEFAULT_LINK_MS };
    case "send":
      if (!args) throw new Error("send needs a record, e.g. send GI|RN101|G#1|GNSmith|");
      if (!args.endsWith("|")) throw new Error(`a record must end with '|': "${args}"`);
      return { line, op, record: recordFromText(args) };
    case "expect":
      if (!args) throw new Error("expect needs a record, e.g. expect RE|RN101|RS3| 5000");
      return { line, op, ...recordAndTimeout(args, DEFAULT_EXPECT_MS) };
    case "sleep":
      return { line, op, ms: parseMs(args, "sleep") };
    case "resync":
    case "drop":
      noArgs();
      return { line, op };
    default:
      throw new Error(`unknown step "${op}" (expected wait-link, send, expect, sleep, resync or drop)`);
  }
}

export function parseScript(text: string): { steps: ScriptStep[]; errors: string[] } {
  const steps: ScriptStep[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const body = stripComment(raw).trim();
    if (!body) return;
    try {
      steps.push(parseStep(i + 1, body));
    } catch (err) {
      errors.push(`line ${i + 1}: ${errorMessage(err)}`);
    }
  });
  return { steps, errors };
}

export function describeStep(step: ScriptStep): string {
  switch (step.op) {
    case "wait-link":
      return `wait-link ${step.timeoutMs}`;
    case "send":
      return `send ${formatRecord(step.record)}`;
    case "expect":
      return `expect ${formatRecord(step.record)} ${step.timeoutMs}`;
    case "sleep":
      return `sleep ${step.ms}`;
    default:
      return step.op;
  }
}

async function runStep(sim: PmsSimulator, step: ScriptStep): Promise<string | undefined> {
  switch (step.op) {
    case "wait-link":
      await sim.whenLinked(step.timeoutMs);
      return undefined;
    case "send":
      sim.send(step.record);
      return undefined;
    case "expect":
      return formatRecord(await sim.waitFor(step.record, step.timeoutMs));
    case "sleep":
      await new Promise<void>((resolve) => sim.clock.setTimeout(resolve, step.ms));
      return undefined;
    case "resync":
      sim.resync();
      return undefined;
    case "drop":
      sim.drop();
      return undefined;
  }
}

/** Runs a script against a simulator; stops at the first failing step. */
export async function runScript(
  sim: PmsSimulator,
  text: string,
  opts: { onStep?: (result: StepResult) => void } = {},
): Promise<ScriptResult> {
  const { steps, errors } = parseScript(text);
  if (errors.length) return { ok: false, failures: errors, steps: 0 };
  let done = 0;
  for (const step of steps) {
    const started = sim.clock.now();
    const result: StepResult = { line: step.line, text: describeStep(step), ok: true, ms: 0 };
    try {
      result.detail = await runStep(sim, step);
    } catch (err) {
      result.ok = false;
      result.detail = errorMessage(err);
    }
    result.ms = sim.clock.now() - started;
    opts.onStep?.(result);
    if (!result.ok) return { ok: false, failures: [`line ${step.line}: ${result.detail}`], steps: done };
    done++;
  }
  return { ok: true, failures: [], steps: done };
}
