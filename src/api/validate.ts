/**
 * @module api/validate
 * Request validation with valibot. A failure is a 400 INVALID whose message names the field:
 * `body.guest.lastName: required field is missing`; every issue is listed in details.issues.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { AppError } from "../lib/errors.ts";

export type AnySchema = v.GenericSchema;
export type Part = "params" | "query" | "body";

function issueMessage(issue: v.BaseIssue<unknown>): string {
  // valibot words a missing key as `Invalid key: Expected "x" but received undefined`.
  if (issue.kind === "schema" && issue.input === undefined && issue.expected?.startsWith('"')) {
    return "required field is missing";
  }
  if (issue.kind === "schema" && issue.expected === "never" && issue.path?.at(-1)?.type === "object") {
    return "unknown field";
  }
  return issue.message;
}

export function validate<S extends AnySchema>(part: Part, schema: S, value: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, value);
  if (r.success) return r.output;
  const issues = r.issues.map((i) => {
    const dot = v.getDotPath(i);
    return { path: dot ? `${part}.${dot}` : part, message: issueMessage(i) };
  });
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  throw new AppError("INVALID", `${first.path}: ${first.message}${more}`, { issues });
}

/** Fatal: a lenient decoder would turn bad bytes into U+FFFD and store them as a guest's name. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The request body as JSON (RFC 8259: UTF-8). Bytes that are not UTF-8 are a 400, never replaced.
 * An empty body is `{}` when the route allows one (e.g. a check-out of the whole room), otherwise a 400.
 */
export async function readJsonBody(c: Context, optional: boolean): Promise<unknown> {
  const text = decodeUtf8(new Uint8Array(await c.req.arrayBuffer()));
  if (text.trim() === "") {
    if (optional) return {};
    throw new AppError("INVALID", "body: a JSON body is required");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : "";
    throw new AppError("INVALID", `body: malformed JSON${why ? ` (${why})` : ""}`);
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AppError("INVALID", "body: not valid UTF-8 (JSON must be sent as UTF-8)");
  }
}
