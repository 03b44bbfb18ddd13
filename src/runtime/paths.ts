/** @module runtime/paths: where bundled files are, from source or inside the compiled binary. */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The drizzle-kit migrations folder: embedded as an asset in the binary, at the repo top from source. */
export function migrationsFolder(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  if (here.startsWith("/$bunfs") || here.includes("~BUN")) return join("/$bunfs/root", "migrations");
  return resolve(here, "../../migrations");
}

/** The wake-up prompts (`prompts/<lang>/<id>.ul`): embedded in the binary, at the repo top from source. */
export function promptsFolder(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  if (here.startsWith("/$bunfs") || here.includes("~BUN")) return join("/$bunfs/root", "prompts");
  return resolve(here, "../../prompts");
}
