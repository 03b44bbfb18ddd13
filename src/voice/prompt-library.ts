/**
 * @module voice/prompt-library
 * The prompts the calls play: a hotel's own recording where one was uploaded, else the built-in
 * one, else English. Custom prompts live in their own folder under the data dir (e.g.
 * /var/lib/bellhop/prompts/<lang>/<id>.ul), so a firmware update, which replaces the built-in set,
 * keeps them.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { AppError } from "../lib/errors.ts";
import { type Logger, silentLogger } from "../lib/logger.ts";
import {
  DEFAULT_PROMPT_LANGUAGE,
  PROMPT_IDS,
  PROMPT_LANGUAGES,
  type PromptId,
  type PromptLanguage,
  type PromptSource,
} from "./prompts.ts";
import { wavToUlaw } from "./wav.ts";

export interface PromptLibraryOptions {
  /** The shipped prompts (`prompts/` in the repository, embedded in the binary). */
  builtinDir: string;
  /** Uploaded prompts; created on the first upload. */
  customDir: string;
  logger?: Logger;
}

export interface PromptInfo {
  lang: PromptLanguage;
  id: PromptId;
  /** An uploaded recording replaces the built-in prompt in this language. */
  custom: boolean;
  /** Playing time of what a call plays now (custom, built-in or the English fallback); null when nothing. */
  durationMs: number | null;
}

export interface UploadedPrompt {
  lang: PromptLanguage;
  id: PromptId;
  custom: true;
  durationMs: number;
  /** The uploaded encoding, e.g. `16-bit PCM, 44100 Hz, 2 channels`. */
  source: string;
}

/** Bytes a millisecond of 8 kHz μ-law. */
const BYTES_PER_MS = 8;

export class PromptLibrary implements PromptSource {
  private readonly builtinDir: string;
  private readonly customDir: string;
  private readonly logger: Logger;
  private readonly cache = new Map<string, Uint8Array>();

  constructor(opts: PromptLibraryOptions) {
    this.builtinDir = opts.builtinDir;
    this.customDir = opts.customDir;
    this.logger = opts.logger ?? silentLogger;
  }

  /** What a call plays for `id` in `lang`. Throws NOT_FOUND when not even English has it. */
  get(lang: PromptLanguage, id: PromptId): Uint8Array {
    const key = `${lang}/${id}`;
    let audio = this.cache.get(key);
    if (!audio) {
      const path = this.resolve(lang, id);
      if (!path) throw new AppError("NOT_FOUND", `prompt ${key}: no recording, and no English one either`);
      audio = readBytes(path);
      this.cache.set(key, audio);
    }
    return audio;
  }

  /** Every language × prompt, whether it is a custom recording, and how long it plays. */
  list(): PromptInfo[] {
    const out: PromptInfo[] = [];
    for (const lang of PROMPT_LANGUAGES) {
      for (const id of PROMPT_IDS) {
        const path = this.resolve(lang, id);
        const bytes = path ? fileSize(path) : undefined;
        out.push({
          lang,
          id,
          custom: path === this.customPath(lang, id),
          durationMs: bytes === undefined ? null : Math.round(bytes / BYTES_PER_MS),
        });
      }
    }
    return out;
  }

  /**
   * Converts an uploaded WAV (wav.ts: throws a WavError, code INVALID, saying why it is unusable) and
   * makes it the prompt `id` in `lang`. Written to a temporary file and renamed, so a call never plays
   * half a recording and a power cut leaves the old one or the new one.
   */
  async putCustom(lang: PromptLanguage, id: PromptId, wav: Uint8Array): Promise<UploadedPrompt> {
    const converted = await wavToUlaw(wav);
    const dir = join(this.customDir, lang);
    mkdirSync(dir, { recursive: true });
    const final = join(dir, `${id}.ul`);
    const temp = join(dir, `.${id}.ul.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    try {
      writeDurably(temp, converted.ulaw);
      renameSync(temp, final);
    } catch (err) {
      removeQuietly(temp);
      throw err;
    }
    syncDir(dir);
    this.cache.clear();
    this.logger.info("custom prompt uploaded", {
      lang,
      id,
      durationMs: converted.durationMs,
      source: converted.source,
    });
    return { lang, id, custom: true, durationMs: converted.durationMs, source: converted.source };
  }

  /** Removes an uploaded recording, so the built-in prompt plays again; false when there was none. */
  deleteCustom(lang: PromptLanguage, id: PromptId): boolean {
    try {
      unlinkSync(this.customPath(lang, id));
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    syncDir(join(this.customDir, lang));
    // An English upload may have stood in for other languages too.
    this.cache.clear();
    this.logger.info("custom prompt removed, built-in restored", { lang, id });
    return true;
  }

  /** The file a call plays: custom, built-in, then the same two in English. */
  private resolve(lang: PromptLanguage, id: PromptId): string | undefined {
    const langs = lang === DEFAULT_PROMPT_LANGUAGE ? [lang] : [lang, DEFAULT_PROMPT_LANGUAGE];
    for (const l of langs) {
      for (const path of [this.customPath(l, id), join(this.builtinDir, l, `${id}.ul`)]) {
        if (fileSize(path) !== undefined) return path;
      }
    }
    return undefined;
  }

  private customPath(lang: PromptLanguage, id: PromptId): string {
    return join(this.customDir, lang, `${id}.ul`);
  }
}

function readBytes(path: string): Uint8Array {
  const buf = readFileSync(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function fileSize(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "w", 0o644);
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the rename itself survive a power cut. Not every platform can fsync a directory; that is no failure. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || (err instanceof Error && err.name === "NotFound");
}
