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

function issueLine(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue) ?? "(root)";
  if (issue.type === "strict_object" && issue.input !== undefined && issue.path?.length) {
    return `${path}: unknown key (not part of the configuration)`;
  }
  return `${path}: ${issue.message}`;
}

export function parseConfig(input: unknown, source = "config"): Config {
  if (input !== undefined && input !== null && (typeof input !== "object" || Array.isArray(input))) {
    throw new ConfigError(`invalid configuration in ${source}:`, ["(root): expected a JSON object"]);
  }
  const r = v.safeParse(configSchema, input ?? {});
  if (r.success) return r.output;
  throw new ConfigError(`invalid configuration in ${source}:`, r.issues.map(issueLine));
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
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, file);
}
