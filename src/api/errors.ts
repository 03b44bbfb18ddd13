/**
 * @module api/errors
 * Errors to HTTP. An AppError's message is meant for the caller and goes out as is; anything else is
 * a bug: it is logged (with its stack, never in the response) and the caller gets a generic 500.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";

/** API error codes: the service codes plus the one only the HTTP layer raises. */
export type ApiErrorCode = ErrorCode | "PAYLOAD_TOO_LARGE";

export const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  PAYLOAD_TOO_LARGE: 413,
};

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: ApiErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function errorJson(c: Context, code: ApiErrorCode, message: string, details?: Record<string, unknown>) {
  if (code === "UNAUTHORIZED") c.header("WWW-Authenticate", 'Bearer realm="bellhop"');
  return c.json(errorBody(code, message, details), STATUS[code]);
}

const CODE_BY_STATUS = new Map<number, ApiErrorCode>(
  Object.entries(STATUS).map(([code, status]) => [status, code as ApiErrorCode]),
);

/** The app's onError: every thrown error ends here. */
export function handleError(err: unknown, c: Context, logger: Logger): Response {
  if (err instanceof AppError) {
    // INTERNAL from a service still carries a message meant for the log, not for the caller.
    if (err.code === "INTERNAL") {
      logger.error("API request failed", { method: c.req.method, path: c.req.path, error: err.message });
      return errorJson(c, "INTERNAL", "internal error");
    }
    return errorJson(c, err.code, err.message, err.details);
  }
  if (err instanceof HTTPException) {
    const code = CODE_BY_STATUS.get(err.status);
    if (code && code !== "INTERNAL") return errorJson(c, code, err.message || code.toLowerCase());
  }
  logger.error("API request failed", {
    method: c.req.method,
    path: c.req.path,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return errorJson(c, "INTERNAL", "internal error");
}
