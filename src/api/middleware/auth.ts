/**
 * @module api/middleware/auth
 * Bearer tokens. `Authorization: Bearer <token>` is resolved through ApiDeps.authenticate; the holder
 * lands in `c.var.principal`. No token or an unknown/revoked one is a 401, a role the route does not
 * allow a 403. The header itself is never logged nor echoed.
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../../lib/errors.ts";
import type { Role } from "../../store/tokens.ts";
import type { ApiDeps } from "../deps.ts";

export interface Principal {
  name: string;
  role: Role;
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by requireRole on every route that needs a token. */
    principal: Principal;
  }
}

/** Tokens are `bh_` + 32 base64url characters; anything far longer is not worth hashing. */
const MAX_TOKEN_LENGTH = 512;

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}

export function requireRole(deps: Pick<ApiDeps, "authenticate">, allowed: readonly Role[]): MiddlewareHandler {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new AppError("UNAUTHORIZED", "a bearer token is required");
    const who = token.length <= MAX_TOKEN_LENGTH ? await deps.authenticate(token) : undefined;
    if (!who) throw new AppError("UNAUTHORIZED", "unknown or revoked token");
    if (!allowed.includes(who.role)) {
      throw new AppError("FORBIDDEN", `role ${who.role} may not ${c.req.method} ${c.req.routePath}`);
    }
    c.set("principal", { name: who.name, role: who.role });
    await next();
  };
}
