/** @module errors: error types shared by every layer. */

export type ErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "INVALID"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "UNAVAILABLE"
  | "INTERNAL";

/** An error meant for the caller: its message is safe to show and log. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
