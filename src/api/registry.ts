/**
 * @module api/registry
 * Every route is declared once, as data: method, path, roles, summary, the valibot schemas of its
 * params/query/body, and its responses. `mountRoutes` turns the declarations into Hono handlers
 * (auth, body limit, validation, handler, JSON reply); openapi.ts turns the same declarations into the
 * document. A route may take a file instead of JSON (`rawBody`, e.g. a recording) and answer with one
 * (a reply with `bytes`).
 */
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as v from "valibot";
import { AppError } from "../lib/errors.ts";
import type { Role } from "../store/tokens.ts";
import type { ApiDeps } from "./deps.ts";
import { errorJson } from "./errors.ts";
import { type Principal, requireRole } from "./middleware/auth.ts";
import { type AnySchema, readJsonBody, validate } from "./validate.ts";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** Largest request body of a JSON route. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A request body that is a file, handed to the handler as bytes. */
export interface RawBodySpec {
  /** Content-Types accepted (parameters such as `; codecs=…` are ignored). */
  mediaTypes: readonly string[];
  /** Larger bodies are refused with 413 before they are read. */
  maxBytes: number;
  description: string;
}

/** A schema whose top level is an object: its entries become OpenAPI parameters. */
export type ParamsSchema = AnySchema & { entries: v.ObjectEntries };

type Out<S> = S extends AnySchema ? v.InferOutput<S> : undefined;

export interface Input<P, Q, B, R = undefined> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The request body of a `rawBody` route, never empty. */
  raw: R extends RawBodySpec ? Uint8Array : undefined;
  /** Undefined only on public routes. */
  principal: Principal | undefined;
  /** Who the services record as having done it: `api:<token name>`. */
  actor: string;
}

/** A JSON body, or a file (`bytes` sent as they are, with their Content-Type). */
export type Reply =
  | { status?: number; body: unknown }
  | { status?: number; bytes: Uint8Array<ArrayBuffer>; contentType: string; headers?: Record<string, string> };

export interface ResponseSpec {
  description: string;
  schema?: AnySchema;
  /** The response is a file of this type rather than JSON. */
  mediaType?: string;
}

export interface RouteSpec<P, Q, B, R extends RawBodySpec | undefined = undefined> {
  method: Method;
  /** OpenAPI form: `/api/v1/rooms/{room}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Roles allowed, or "public" for no token at all. */
  roles: readonly Role[] | "public";
  params?: P;
  query?: Q;
  body?: B;
  /** An empty request body counts as `{}`. */
  bodyOptional?: boolean;
  /** The body is a file, not JSON (exclusive with `body`). */
  rawBody?: R;
  /** Success responses by status; error responses are added from the route's shape. */
  responses: Record<number, ResponseSpec>;
  /** Checks that need the validated input as well as the role (throw AppError FORBIDDEN). */
  authorize?(input: Input<P, Q, B, R>): void;
  handler(input: Input<P, Q, B, R>, c: Context): Promise<Reply> | Reply;
}

/** A declared route with its types erased, as the registry keeps it. */
export interface Route {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  roles: readonly Role[] | "public";
  params?: ParamsSchema;
  query?: ParamsSchema;
  body?: AnySchema;
  bodyOptional: boolean;
  rawBody?: RawBodySpec;
  responses: Record<number, ResponseSpec>;
  run(c: Context): Promise<Response>;
}

/** Declares a route; the handler gets the validated, typed input. */
export function defineRoute<
  P extends ParamsSchema | undefined = undefined,
  Q extends ParamsSchema | undefined = undefined,
  B extends AnySchema | undefined = undefined,
  R extends RawBodySpec | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R>): Route {
  if (spec.body && spec.rawBody) throw new Error(`route ${spec.method} ${spec.path}: body and rawBody both declared`);
  const bodyOptional = spec.bodyOptional ?? false;
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    tag: spec.tag,
    roles: spec.roles,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    bodyOptional,
    rawBody: spec.rawBody,
    responses: spec.responses,
    async run(c) {
      const params = (spec.params ? validate("params", spec.params, c.req.param()) : undefined) as Out<P>;
      const query = (spec.query ? validate("query", spec.query, c.req.query()) : undefined) as Out<Q>;
      const body = (spec.body ? validate("body", spec.body, await readJsonBody(c, bodyOptional)) : undefined) as Out<B>;
      const raw = (spec.rawBody ? await readRawBody(c, spec.rawBody) : undefined) as Input<P, Q, B, R>["raw"];
      const principal = spec.roles === "public" ? undefined : c.get("principal");
      const input: Input<P, Q, B, R> = {
        params,
        query,
        body,
        raw,
        principal,
        actor: principal ? `api:${principal.name}` : "api:anonymous",
      };
      spec.authorize?.(input);
      const reply = await spec.handler(input, c);
      const status = (reply.status ?? 200) as ContentfulStatusCode;
      if ("bytes" in reply) return c.body(reply.bytes, status, { ...reply.headers, "Content-Type": reply.contentType });
      return c.json(reply.body, status);
    },
  };
}

/** The body of a `rawBody` route: its declared Content-Type, not empty. */
async function readRawBody(c: Context, spec: RawBodySpec): Promise<Uint8Array> {
  const given = c.req.header("content-type");
  const type = given?.split(";")[0].trim().toLowerCase();
  if (!type || !spec.mediaTypes.includes(type)) {
    throw new AppError("INVALID", `body: Content-Type must be ${spec.mediaTypes.join(", ")} (got ${given || "none"})`);
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) throw new AppError("INVALID", "body: the request body is empty");
  return bytes;
}

/** `/rooms/{room}` → `/rooms/:room`. */
export function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
}

/**
 * Mounts the routes: token and role check first (nobody unauthorised gets to send a large body),
 * then the route's body limit (MAX_BODY_BYTES unless it takes a file).
 */
export function mountRoutes(app: Hono, deps: Pick<ApiDeps, "authenticate">, routes: readonly Route[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) throw new Error(`route declared twice: ${key}`);
    seen.add(key);
    if (!r.responses[200] && !r.responses[201] && !r.responses[202]) {
      throw new Error(`route ${key} declares no success response`);
    }
    const path = honoPath(r.path);
    const maxSize = r.rawBody?.maxBytes ?? MAX_BODY_BYTES;
    const limit = bodyLimit({
      maxSize,
      onError: (c) => errorJson(c, "PAYLOAD_TOO_LARGE", `the request body is over ${maxSize} bytes`),
    });
    if (r.roles === "public") app.on(r.method.toUpperCase(), path, limit, (c) => r.run(c));
    else app.on(r.method.toUpperCase(), path, requireRole(deps, r.roles), limit, (c) => r.run(c));
  }
}
