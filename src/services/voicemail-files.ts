/**
 * @module services/voicemail-files
 * Where message files live and how they go. A file is named by its row's id and the row holds the
 * path, so the row is the truth: rows are deleted (committed) before their files are unlinked, and a
 * crash in between leaves a file without a row, which the start-up reconcile removes.
 */
import { randomBytes } from "node:crypto";
import { mkdir, statfs, unlink } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../lib/errors.ts";
import type { ServiceContext } from "./context.ts";

/** Folder of the message files, relative to the voicemail folder. */
export const MESSAGES_DIR = "msgs";

/** Message ids: 96 random bits in hex, safe in a file name and a URL path, and not guessable. */
export const MESSAGE_ID_PATTERN = /^[0-9a-f]{24}$/;

export function newMessageId(): string {
  return randomBytes(12).toString("hex");
}

/** The row's `file` for a message id. */
export function messageFile(id: string): string {
  return `${MESSAGES_DIR}/${id}.wav`;
}

export function absolutePath(ctx: ServiceContext, file: string): string {
  return join(ctx.voicemailDir, file);
}

export async function ensureMessagesDir(ctx: ServiceContext): Promise<string> {
  const dir = join(ctx.voicemailDir, MESSAGES_DIR);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** Unlinks files whose rows are gone; one that cannot go is logged and left to the next reconcile. */
export async function unlinkMessageFiles(ctx: ServiceContext, files: readonly string[]): Promise<void> {
  for (const file of files) {
    try {
      await unlink(absolutePath(ctx, file));
    } catch (err) {
      if (isNotFound(err)) continue;
      ctx.logger.warn("cannot remove a voicemail file; the next start removes it", {
        file,
        error: errorMessage(err),
      });
    }
  }
}

/** A missing file, as Node, Bun and Deno each say it. */
export function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || (err instanceof Error && err.name === "NotFound");
}
