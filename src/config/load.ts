/** @module config/load: reads and validates the config file; errors name the key path. */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { type Config, configSchema } from "./schema.ts";

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}\n  ${issues.join("\n  ")}` : message);
    this.name = "ConfigError";
  }
}

/** Keys whose values are credentials: a message about them never repeats the value (it lands in the journal). */
const SECRET_KEY = /password|secret|token|notifykey/i;

function isSecret(issue: v.BaseIssue<unknown>): boolean {
  return issue.path?.some((p) => typeof p.key === "string" && SECRET_KEY.test(p.key)) ?? false;
}

/** What a value is, without the value: `a number`, `null`, `an array`. */
function kindOf(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "an array";
  if (typeof input === "object") return "an object";
  return input === undefined ? "nothing" : `a ${typeof input}`;
}

function issueLine(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue) ?? "(root)";
  // A strict object reports a key it does not know with expected "never"; the same issue type with
  // another expectation is a value of the wrong type where an object belongs (`"sip": null`).
  if (issue.type === "strict_object" && issue.expected === "never") {
    return `${path}: unknown key (not part of the configuration)`;
  }
  if (issue.kind === "schema" && issue.input === undefined && issue.expected?.startsWith('"')) {
    return `${path}: required key is missing`;
  }
  if (!isSecret(issue)) return `${path}: ${issue.message}`;
  // valibot words issues "Invalid type: Expected string but received 12345": keep what was expected.
  const cut = issue.message.indexOf(" but received ");
  let what = cut >= 0 ? issue.message.slice(0, cut) : issue.message;
  if (typeof issue.input === "string" && issue.input !== "" && what.includes(issue.input)) {
    what = `Invalid value: Expected ${issue.expected}`;
  }
  const got = issue.kind === "schema" ? ` but received ${kindOf(issue.input)}` : "";
  return `${path}: ${what}${got} (value not shown: a secret)`;
}

/** The parser's complaint without the text it quotes (V8 quotes the file, secrets included). */
function jsonProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const quote = message.search(/["'`]/);
  const head = (quote >= 0 ? message.slice(0, quote) : message).replace(/[\s,:]+$/, "");
  const where = message.match(/line \d+ column \d+/)?.[0];
  return where ? `${head} (${where})` : head;
}

/** The parts of a valibot schema the walk below reads. */
interface SchemaShape {
  type: string;
  wrapped?: SchemaShape;
  entries?: Record<string, SchemaShape>;
  item?: SchemaShape;
  value?: SchemaShape;
  key?: string;
  options?: SchemaShape[];
  literal?: unknown;
}

/**
 * valibot takes an array where an object belongs (`"pbx": []` would quietly be all defaults), so
 * those are found by walking the input along the schema.
 */
function arraysForObjects(schema: SchemaShape, input: unknown, path: string): string[] {
  let s = schema;
  while (s.wrapped) s = s.wrapped;
  if (input === null || typeof input !== "object") return [];
  const at = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if ((s.entries || s.type === "record") && Array.isArray(input)) {
    return [`${path}: Invalid type: Expected Object but received an array`];
  }
  if (s.entries) {
    const entries = s.entries;
    const obj = input as Record<string, unknown>;
    return Object.keys(entries).flatMap((k) => (k in obj ? arraysForObjects(entries[k], obj[k], at(k)) : []));
  }
  if (!Array.isArray(input) && s.type === "variant" && s.key && s.options) {
    const tag = (input as Record<string, unknown>)[s.key];
    const option = s.options.find((o) => o.entries?.[s.key as string]?.literal === tag);
    return option ? arraysForObjects(option, input, path) : [];
  }
  if (Array.isArray(input) && s.item) return input.flatMap((x, i) => arraysForObjects(s.item as SchemaShape, x, at(i)));
  if (s.type === "record" && s.value) {
    const value = s.value;
    return Object.entries(input).flatMap(([k, x]) => arraysForObjects(value, x, at(k)));
  }
  return [];
}

export function parseConfig(input: unknown, source = "config"): Config {
  if (input !== undefined && input !== null && (typeof input !== "object" || Array.isArray(input))) {
    throw new ConfigError(`invalid configuration in ${source}:`, ["(root): expected a JSON object"]);
  }
  const arrays = arraysForObjects(configSchema as unknown as SchemaShape, input, "");
  const r = v.safeParse(configSchema, input ?? {});
  if (r.success && !arrays.length) return r.output;
  const lines = r.success ? arrays : [...arrays, ...r.issues.map(issueLine)];
  throw new ConfigError(`invalid configuration in ${source}:`, lines);
}

export function loadConfig(file: string | undefined): Config {
  if (!file) return parseConfig({}, "built-in defaults");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${jsonProblem(err)}`);
  }
  return parseConfig(json, file);
}
