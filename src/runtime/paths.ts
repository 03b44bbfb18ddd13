/** @module runtime/paths: where bundled files are, from source or inside the compiled binary. */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expandPrompts, findPack } from "./prompt-pack.ts";

/** The drizzle-kit migrations folder: embedded as an asset in the binary, at the repo top from source. */
export function migrationsFolder(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  if (here.startsWith("/$bunfs") || here.includes("~BUN")) return join("/$bunfs/root", "migrations");
  return resolve(here, "../../migrations");
}

/**
 * The wake-up prompts (`<lang>/<id>.ul`): at the repo top from source; the binary carries them as a
 * pack of Opus streams (build.ts, prompt-pack.ts), expanded under TMPDIR at a version's first start.
 */
export async function promptsFolder(): Promise<string> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  if (here.startsWith("/$bunfs") || here.includes("~BUN")) {
    const pack = findPack("/$bunfs/root");
    return pack ? await expandPrompts(pack, tmpdir()) : join("/$bunfs/root", "prompts");
  }
  return resolve(here, "../../prompts");
}
