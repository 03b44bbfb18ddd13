/**
 * @module api/registry
 * Every route is declared once, as data: method, path, roles, summary, the valibot schemas of its
 * params/query/body, and its responses. `mountRoutes` turns the declarations into Hono handlers
 * (auth, validation, handler, JSON reply); openapi.ts turns the same declarations into the document.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as v from "valibot";
import type { Role } from "../store/tokens.ts";
import type { ApiDeps } from "./deps.ts";
import { type Principal, requireRole } from "./middleware/auth.ts";
import { type AnySchema, readJsonBody, validate } from "./validate.ts";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** A schema whose top level is an object: its entries become OpenAPI parameters. */
export type ParamsSchema = AnySchema & { entries: v.ObjectEntries };

type Out<S> = S extends AnySchema ? v.InferOutput<S> : undefined;

export interface Input<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** Undefined only on public routes. */
  principal: Principal | undefined;
  /** Who the services record as having done it: `api:<token name>`. */
  actor: string;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export interface ResponseSpec {
  description: string;
  schema?: AnySchema;
}

export interface RouteSpec<P, Q, B> {
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
  /** Success responses by status; error responses are added from the route's shape. */
  responses: Record<number, ResponseSpec>;
  /** Checks that need the validated input as well as the role (throw AppError FORBIDDEN). */
  authorize?(input: Input<P, Q, B>): void;
  handler(input: Input<P, Q, B>, c: Context): Promise<Reply> | Reply;
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
  responses: Record<number, ResponseSpec>;
  run(c: Context): Promise<Response>;
}

/** Declares a route; the handler gets the validated, typed input. */
export function defineRoute<
  P extends ParamsSchema | undefined = undefined,
  Q extends ParamsSchema | undefined = undefined,
  B extends AnySchema | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): Route {
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
    responses: spec.responses,
    async run(c) {
      const params = (spec.params ? validate("params", spec.params, c.req.param()) : undefined) as Out<P>;
      const query = (spec.query ? validate("query", spec.query, c.req.query()) : undefined) as Out<Q>;
      const body = (spec.body ? validate("body", spec.body, await readJsonBody(c, bodyOptional)) : undefined) as Out<B>;
      const principal = spec.roles === "public" ? undefined : c.get("principal");
      const input: Input<P, Q, B> = {
        params,
        query,
        body,
        principal,
        actor: principal ? `api:${principal.name}` : "api:anonymous",
      };
      spec.authorize?.(input);
      const reply = await spec.handler(input, c);
      return c.json(reply.body, (reply.status ?? 200) as ContentfulStatusCode);
    },
  };
}

/** `/rooms/{room}` → `/rooms/:room`. */
export function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
}

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
    if (r.roles === "public") app.on(r.method.toUpperCase(), path, (c) => r.run(c));
    else app.on(r.method.toUpperCase(), path, requireRole(deps, r.roles), (c) => r.run(c));
  }
}
