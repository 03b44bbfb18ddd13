// placeholder until the API lands
import { Hono } from "hono";
import type { ApiDeps } from "./deps.ts";
export function createApi(_deps: ApiDeps): Hono {
  return new Hono();
}
