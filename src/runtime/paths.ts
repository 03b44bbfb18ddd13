/** @module runtime/paths: where bundled files are, from source or inside the compiled binary. */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expandedFolder, expandPrompts, findPack } from "./prompt-pack.ts";

/** The drizzle-kit migrations folder: embedded as an asset in the binary, at the repo top from source. */
export function migrationsFolder(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  if (here.startsWith("/$bunfs") || here.includes("~BUN")) return join("/$bunfs/root", "migrations");
  return resolve(here, "../../migrations");
}

/**
 * The prompts (`<lang>/<id>.ul`): at the repo top from source; the binary carries them as a pack of
 * Opus streams (build.ts, prompt-pack.ts), expanded under TMPDIR at a version's first start, by a
 * child process (`bellhop unpack`): decoding compiles the Opus decoder and reads the pack, which
 * left ~14 MB of the executable resident in the serving process for its whole life. In-process
 * when the child could not do it (or in that child).
 */
export async function promptsFolder(): Promise<string> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  if (!here.startsWith("/$bunfs") && !here.includes("~BUN")) return resolve(here, "../../prompts");
  const pack = findPack("/$bunfs/root");
  if (!pack) return join("/$bunfs/root", "prompts");
  const ready = expandedFolder(pack, tmpdir());
  if (ready) return ready;
  if (process.env[UNPACK_CHILD] !== "1") {
    // Loaded here, not imported: the binary loads every imported built-in at each start.
    process.getBuiltinModule("node:child_process").spawnSync(process.execPath, ["unpack"], {
      env: { ...process.env, [UNPACK_CHILD]: "1" },
      stdio: "ignore",
      timeout: 300_000,
    });
    const unpacked = expandedFolder(pack, tmpdir());
    if (unpacked) return unpacked;
  }
  return expandPrompts(pack, tmpdir());
}

/** Set in the `bellhop unpack` child a first start runs (build.ts's addon loader sets it too). */
const UNPACK_CHILD = "BELLHOP_UNPACK_CHILD";
