/**
 * @module runtime/prompt-pack
 * The built-in prompts as the binary carries them: one zstd-compressed pack instead of 1,340 `.ul`
 * files. μ-law compresses poorly file by file (74 % with deflate) but well as a whole (49 % with
 * zstd: the files share one synthetic voice), which took 8 MB off the binary (issue 16 §6). At the
 * first start of a firmware version the pack is expanded into `<TMPDIR>/bellhop-prompts-<hash>/`
 * (the systemd unit's TMPDIR is /var/lib/bellhop/tmp, kept across reboots, where Bun unpacks the
 * libsql addon too) and the prompt library reads that folder like the source tree's `prompts/`.
 *
 * The pack is the file `prompts-<hash>.pack` (the name tells a start whether it is expanded already
 * without reading it: Bun's embedded files can be read whole but not opened): the line
 * `bellhop-prompts <index bytes>\n`, the index (JSON `[{lang, bytes, files: [[name, size], …]}, …]`),
 * then per language a zstd frame of its files' bytes back to back, in index order.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { trimMemory } from "./memory-trim.ts";

const MAGIC = "bellhop-prompts";
/** Written last into an expanded folder: its presence says every file is there. */
const DONE = ".complete";

interface Zstd {
  zstdCompressSync(buf: Uint8Array, opts?: { params?: Record<number, number> }): Uint8Array;
  zstdDecompressSync(buf: Uint8Array): Uint8Array;
}

/**
 * node:zlib, loaded when a pack is made or expanded (a version's first start), not imported: the
 * compiled binary loads every imported built-in at its start.
 */
function zlib() {
  return process.getBuiltinModule("node:zlib");
}

function zstd(): Zstd {
  const z = zlib() as unknown as Partial<Zstd>;
  if (!z.zstdCompressSync || !z.zstdDecompressSync) throw new Error("node:zlib has no zstd in this runtime");
  return z as Zstd;
}

/** Every language folder under `dir`, sorted, with its `.ul` files, sorted. */
function promptFiles(dir: string): { lang: string; files: { name: string; bytes: Uint8Array }[] }[] {
  return readdirSync(dir)
    .filter((lang) => !lang.startsWith("."))
    .sort()
    .map((lang) => ({
      lang,
      files: readdirSync(join(dir, lang))
        .filter((f) => f.endsWith(".ul"))
        .sort()
        .map((name) => ({ name, bytes: readFileSync(join(dir, lang, name)) })),
    }));
}

interface Frame {
  lang: string;
  /** Compressed bytes of the frame. */
  bytes: number;
  files: [name: string, size: number][];
}

const defaultCompress = (raw: Uint8Array) =>
  zstd().zstdCompressSync(raw, { params: { [zlib().constants.ZSTD_c_compressionLevel]: 19 } });

/**
 * The pack of the prompts folder `dir` and its file name: a zstd frame per language, so expanding
 * it holds one language (~3.5 MB) in memory at a time. `compress`: zstd level 19 by default.
 */
export function packPrompts(
  dir: string,
  compress: (raw: Uint8Array) => Uint8Array = defaultCompress,
): { name: string; bytes: Uint8Array; rawBytes: number } {
  const hash = createHash("sha256");
  const frames: Frame[] = [];
  const bodies: Uint8Array[] = [];
  let rawBytes = 0;
  for (const { lang, files } of promptFiles(dir)) {
    const raw = Buffer.concat(files.map((f) => f.bytes));
    const body = compress(raw);
    const frame: Frame = { lang, bytes: body.length, files: files.map((f) => [f.name, f.bytes.length]) };
    hash.update(JSON.stringify(frame)).update(raw);
    frames.push(frame);
    bodies.push(body);
    rawBytes += raw.length;
  }
  const index = Buffer.from(JSON.stringify(frames));
  const bytes = Buffer.concat([Buffer.from(`${MAGIC} ${index.length}\n`), index, ...bodies]);
  return { name: `prompts-${hash.digest("hex").slice(0, 16)}.pack`, bytes, rawBytes };
}

/** The pack in `dir` (`prompts-<hash>.pack`), if there is one. */
export function findPack(dir: string): string | undefined {
  try {
    const name = readdirSync(dir).find((f) => PACK_NAME.test(f));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

const PACK_NAME = /^prompts-([0-9a-f]{16})\.pack$/;

/**
 * The folder holding the pack's files, expanded under `baseDir` unless a previous start did; then
 * the pack is not read at all, so its pages stay out of memory.
 */
export function expandPrompts(pack: string, baseDir: string): string {
  const hash = PACK_NAME.exec(basename(pack))?.[1];
  if (!hash) throw new Error(`${pack}: not a prompt pack name`);
  const dir = join(baseDir, `bellhop-prompts-${hash}`);
  if (isComplete(dir)) return dir;
  const all = readFileSync(pack);
  const head = new RegExp(`^${MAGIC} (\\d+)\\n`).exec(all.subarray(0, 64).toString("latin1"));
  if (!head) throw new Error(`${pack}: not a prompt pack`);
  let at = head[0].length + Number(head[1]);
  const frames = JSON.parse(all.subarray(head[0].length, at).toString("utf8")) as Frame[];
  // Expanded beside its final name and renamed, so a crash or a second process never sees half of it.
  const temp = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const counts: Record<string, number> = {};
    for (const frame of frames) {
      const raw = zstd().zstdDecompressSync(all.subarray(at, at + frame.bytes));
      at += frame.bytes;
      mkdirSync(join(temp, frame.lang), { recursive: true });
      let from = 0;
      for (const [name, size] of frame.files) {
        writeFileSync(join(temp, frame.lang, name), raw.subarray(from, from + size));
        from += size;
      }
      if (from !== raw.length) throw new Error(`${pack}: ${frame.lang}: index and data disagree`);
      counts[frame.lang] = frame.files.length;
    }
    writeFileSync(join(temp, DONE), JSON.stringify(counts));
    try {
      renameSync(temp, dir);
    } catch {
      // Another process expanded the same pack meanwhile (fine), or a damaged copy is in the way.
      if (!isComplete(dir)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(temp, dir);
      }
    }
  } finally {
    if (existsSync(temp)) rmSync(temp, { recursive: true, force: true });
  }
  removeStale(baseDir, dir);
  // The pack and the languages expanded (~12 MB) are garbage now; without this a version's first
  // start kept ~16 MB more anonymous memory until the next restart.
  trimMemory();
  return dir;
}

/** A version's prompts unused this long are an old firmware's (a roll-back expands them again). */
const STALE_MS = 7 * 86_400_000;

/**
 * Removes the expanded prompts of earlier firmware versions, 19 MB each, expanded more than a week
 * ago. Not younger ones: on a development machine several builds run side by side.
 */
function removeStale(baseDir: string, keep: string): void {
  try {
    for (const name of readdirSync(baseDir)) {
      const dir = join(baseDir, name);
      if (!/^bellhop-prompts-[0-9a-f]{16}$/.test(name) || dir === keep) continue;
      let expandedAt = 0;
      try {
        expandedAt = statSync(join(dir, DONE)).mtimeMs;
      } catch {
        // no marker: a damaged copy, as stale as it gets
      }
      if (Date.now() - expandedAt > STALE_MS) rmSync(dir, { recursive: true, force: true });
    }
  } catch {
    // tidying up only
  }
}

/** Expanded, and no file lost since (a tmp cleaner): the marker's count per language still holds. */
function isComplete(dir: string): boolean {
  let counts: Record<string, number>;
  try {
    counts = JSON.parse(readFileSync(join(dir, DONE), "utf8")) as Record<string, number>;
  } catch {
    return false;
  }
  try {
    return Object.entries(counts).every(([lang, n]) => readdirSync(join(dir, lang)).length === n);
  } catch {
    return false;
  }
}
