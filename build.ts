/**
 * Builds the single appliance binary: `bun build.ts` → dist/bellhop. What we add to Bun's own
 * executable is held to ≤ 10 MB (issue 16 §6; README "The binary" has the budget).
 *
 * What it embeds beside the bundle (minified, with the bytecode of its modules' top-level code):
 * - the migrations: the SQL files and meta/_journal.json (drizzle's migrator reads nothing else; the
 *   snapshots drizzle-kit keeps in meta/ are 0.3 MB of no use at run time);
 * - the prompts as one pack of Opus streams (src/runtime/prompt-pack.ts, build/prompt-encoder.ts:
 *   16.4 MB of μ-law → ~2.5 MB), expanded under TMPDIR at a version's first start;
 * - libsql's native addon, zstd-compressed (9.7 → ~3.2 MB). libsql loads it with a computed require
 *   (`@libsql/${target}`) the bundler cannot follow; the plugin replaces it with code that unpacks the
 *   addon into TMPDIR once (`.bellhop-libsql-<hash>-<uid>.node`, reused while its size, owner and mode
 *   hold) and dlopens it. Bun's own embedding of a .node file read all 9.7 MB of it at every start
 *   (resident pages of the binary's writable segment: 16.1 MB with it, 6.5 MB without).
 * Encoded and compressed files are cached in node_modules/.cache/bellhop-build (encoding the prompts
 * takes ~15 s, zstd 19 of the addon ~10 s, once).
 * `build/serve.order`, when present, lays the bytecode out in the order a start uses it
 * (re-record it with `RECORD_ORDER=build/serve.order bun bench/start.ts`).
 * JavaScriptCore's tier-up thresholds start at 1,000× the default (jitPolicy) and settle at 100×
 * once the appliance has started (src/runtime/jit-policy.ts): start-up code stays in the
 * interpreter, code hot enough still compiles. Measured at 100× against 1×: anonymous RSS after a
 * 2,000-room resync ~30 MB instead of ~38, idle RSS 3–5 MB less, the resync in the binary ~10–20 %
 * slower; 1,000× during the start: idle RSS ~0.8 MB less again.
 * Env: OUT, BUN_TARGET (e.g. bun-linux-arm64), LIBSQL_TARGET / LIBSQL_NODE for cross builds,
 * BYTECODE=0 to skip bytecode, BYTECODE_DEPTH (default 0: top-level code only), JIT_POLICY (1 for
 * JavaScriptCore's default thresholds), EXEC_ARGV (runtime flags baked in), ENTRY for another entry
 * point (experiments).
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as zlib from "node:zlib";
import type { BunPlugin } from "bun";
import { PROMPT_BITRATE, promptEncoder } from "./build/prompt-encoder.ts";
import { encodeStream, packPrompts } from "./src/runtime/prompt-pack.ts";

const ROOT = import.meta.dir;
const CACHE = join(ROOT, "node_modules/.cache/bellhop-build");
/** Sizes printed in MB of 10^6 bytes, as Bun's executable is counted (107.4 MB). */
const MB = 1e6;
const target = process.env.LIBSQL_TARGET ?? `${process.platform}-${process.arch}-gnu`;

/** `make(raw)`, from the cache when the same bytes were made into `label` before. */
function cached(raw: Uint8Array, label: string, make: (raw: Uint8Array) => Uint8Array): Uint8Array {
  const key = createHash("sha256").update(raw).digest("hex").slice(0, 24);
  const file = join(CACHE, `${label}-${key}`);
  if (existsSync(file)) return readFileSync(file);
  const out = make(raw);
  mkdirSync(CACHE, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, out);
  renameSync(temp, file);
  return out;
}

/**
 * The code that replaces libsql's `require(\`@libsql/${target}\`)`: unpack once, dlopen. A first
 * start (no copy yet) has a child process (`bellhop unpack`, marked by BELLHOP_UNPACK_CHILD) unpack
 * the addon and expand the prompts: reading 6 MB of the payload, zstd and compiling the Opus
 * decoder left ~14 MB of the executable resident in the serving process for its whole life.
 */
function addonLoader(hash: string, size: number): string {
  return `return (() => {
    const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
    // Per user: another user's copy in a shared /tmp could neither be trusted nor replaced.
    const file = path.join(os.tmpdir(), ".bellhop-libsql-${hash}-" + process.getuid() + ".node");
    const ready = () => {
      try {
        const st = fs.statSync(file);
        return st.isFile() && st.size === ${size} && st.uid === process.getuid() && (st.mode & 0o022) === 0;
      } catch {
        return false;
      }
    };
    if (!ready() && process.env.BELLHOP_UNPACK_CHILD !== "1") {
      try {
        require("node:child_process").spawnSync(process.execPath, ["unpack"], {
          env: { ...process.env, BELLHOP_UNPACK_CHILD: "1" },
          stdio: "ignore",
          timeout: 300000,
        });
      } catch {}
    }
    if (!ready()) {
      // node:zlib only here: required at every start, it stayed resident (~0.3 MB) for nothing.
      const bytes = require("node:zlib").zstdDecompressSync(fs.readFileSync("/$bunfs/root/libsql.node.zst"));
      const temp = file + "." + process.pid + ".tmp";
      // In 64 kB writes: written at once, the page cache holds it in large folios, and mapping one
      // maps all of it, 4 MB more resident than the pages the addon uses.
      const fd = fs.openSync(temp, "w", 0o700);
      for (let at = 0; at < bytes.length; at += 65536) fs.writeSync(fd, bytes, at, Math.min(65536, bytes.length - at));
      fs.closeSync(fd);
      fs.renameSync(temp, file);
    }
    const mod = { exports: {} };
    process.dlopen(mod, file);
    return mod.exports;
  })();`;
}

const addonPath =
  process.env.LIBSQL_NODE ??
  createRequire(join(ROOT, "node_modules/libsql/index.js")).resolve(`@libsql/${target}/index.node`);
const addon = readFileSync(addonPath);
const addonHash = createHash("sha256").update(addon).digest("hex").slice(0, 16);
const libsqlEmbeddedNative: BunPlugin = {
  name: "libsql-embedded-native",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, async (args) => {
      const src = await Bun.file(args.path).text();
      const out = src.replace("return require(`@libsql/${target}`);", addonLoader(addonHash, addon.length));
      if (out === src) throw new Error(`libsql-embedded-native: pattern not found in ${args.path}`);
      return { contents: out, loader: "js" };
    });
  },
};

/**
 * opus-decoder, lean: its index also exports its Web Worker variant; bundled, the lazy module
 * wrapper of a dynamic import leaves `OpusDecoderWebWorker` undefined when the index runs (Bun
 * 1.4.5: a ReferenceError at the first expansion), and the expansion needs the decoder alone. Its
 * WebAssembly comes as an 80 kB latin-1 string, which the bundler writes as \u00XX escapes
 * (183 kB of JS): written as base64 and `atob`, which gives back the same string, it is 107 kB.
 */
const opusDecoderLean: BunPlugin = {
  name: "opus-decoder-lean",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]opus-decoder[\\/]index\.js$/ }, () => ({
      contents: 'export { default as OpusDecoder } from "./src/OpusDecoder.js";',
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]node_modules[\\/]opus-decoder[\\/]src[\\/]EmscriptenWasm\.js$/ }, async (args) => {
      const src = await Bun.file(args.path).text();
      const open = "get: () => String.raw`";
      const from = src.indexOf(open);
      const to = src.indexOf("`", from + open.length);
      if (from < 0 || to < 0) throw new Error(`opus-decoder-lean: the WebAssembly string not found in ${args.path}`);
      // A raw template's value is its text, with CR LF read as LF.
      const value = src.slice(from + open.length, to).replace(/\r\n?/g, "\n");
      if ([...value].some((c) => c.charCodeAt(0) > 0xff)) {
        throw new Error("opus-decoder-lean: the WebAssembly string is not latin-1");
      }
      const b64 = Buffer.from(value, "latin1").toString("base64");
      return { contents: `${src.slice(0, from)}get: () => atob("${b64}")${src.slice(to + 1)}`, loader: "js" };
    });
  },
};

// Everything embedded is staged in a folder of its own: Bun embeds assets under their path relative
// to the working directory, and concurrent builds (tests) must not share one.
const stage = mkdtempSync(join(tmpdir(), "bellhop-build-"));
const outfile = resolve(process.env.OUT ?? "./dist/bellhop");
const sizes: [string, number, number][] = [];
try {
  mkdirSync(join(stage, "migrations/meta"), { recursive: true });
  let sql = 0;
  for (const f of readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql"))) {
    copyFileSync(join(ROOT, "migrations", f), join(stage, "migrations", f));
    sql += statSync(join(stage, "migrations", f)).size;
  }
  copyFileSync(join(ROOT, "migrations/meta/_journal.json"), join(stage, "migrations/meta/_journal.json"));
  sizes.push(["migrations (SQL + journal)", sql, sql + statSync(join(stage, "migrations/meta/_journal.json")).size]);

  const pack = packPrompts(join(ROOT, "prompts"), (raw) =>
    cached(raw, `prompts-opus${PROMPT_BITRATE}.bin`, () => encodeStream(raw, promptEncoder())),
  );
  writeFileSync(join(stage, pack.name), pack.bytes);
  sizes.push(["prompts (μ-law → Opus)", pack.rawBytes, pack.bytes.length]);

  const addonZst = cached(addon, "libsql.zst", (raw) =>
    zlib.zstdCompressSync(raw, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 19 } }),
  );
  writeFileSync(join(stage, "libsql.node.zst"), addonZst);
  sizes.push(["libsql native addon (zstd)", addon.length, addonZst.length]);

  const order = join(ROOT, "build/serve.order");
  const bytecode = process.env.BYTECODE !== "0";
  const cwd = process.cwd();
  process.chdir(stage);
  let res: Awaited<ReturnType<typeof Bun.build>>;
  try {
    res = await Bun.build({
      entrypoints: [resolve(process.env.ENTRY ?? join(ROOT, "src/main.ts"))],
      plugins: [libsqlEmbeddedNative, opusDecoderLean],
      minify: true,
      bytecode,
      // Bytecode for the modules' top-level code only: nested functions compile from source when
      // first called. All of it: start ~50 ms, 6 MB; none: ~120 ms; top level: ~85 ms, 1 MB.
      bytecodeDepth: Number(process.env.BYTECODE_DEPTH ?? 0),
      format: "esm",
      compile: {
        outfile,
        assets: ["migrations", pack.name, "libsql.node.zst"],
        ...(bytecode && existsSync(order) ? { bytecodeOrder: order } : {}),
        jitPolicy: Number(process.env.JIT_POLICY ?? 1000),
        ...(process.env.EXEC_ARGV ? { execArgv: process.env.EXEC_ARGV.split(" ") } : {}),
        ...(process.env.BUN_TARGET ? { target: process.env.BUN_TARGET } : {}),
      },
    } as Parameters<typeof Bun.build>[0]);
  } finally {
    process.chdir(cwd);
  }
  if (!res.success) {
    for (const l of res.logs) console.error(l);
    process.exit(1);
  }
  const js = res.outputs.reduce((n, o) => n + (o.kind === "entry-point" ? o.size : 0), 0);
  console.log(`built ${outfile} (${(statSync(outfile).size / MB).toFixed(1)} MB)`);
  console.log(`  bundle: ${(js / MB).toFixed(2)} MB of JS${bytecode ? ", and its bytecode" : ""}`);
  for (const [name, raw, embedded] of sizes) {
    console.log(`  ${name}: ${(raw / MB).toFixed(2)} MB → ${(embedded / MB).toFixed(2)} MB`);
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
