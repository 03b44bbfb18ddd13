/**
 * Builds the single appliance binary: `bun build.ts` → dist/bellhop.
 *
 * libsql loads its native addon with a computed require (`@libsql/${target}`) the bundler cannot
 * follow; the plugin rewrites it to a static require so the .node file is embedded. The migrations
 * folder is embedded as assets (it must sit inside `compile`, a top-level `assets` is ignored).
 * Env: OUT, BUN_TARGET (e.g. bun-linux-arm64), LIBSQL_TARGET / LIBSQL_NODE for cross builds,
 * BYTECODE=0 to skip bytecode (faster start-up with it).
 */
import type { BunPlugin } from "bun";

const target = process.env.LIBSQL_TARGET ?? `${process.platform}-${process.arch}-gnu`;
const libsqlStaticNative: BunPlugin = {
  name: "libsql-static-native",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, async (args) => {
      const src = await Bun.file(args.path).text();
      const spec = process.env.LIBSQL_NODE ?? `@libsql/${target}`;
      const out = src.replace("return require(`@libsql/${target}`);", `return require(${JSON.stringify(spec)});`);
      if (out === src) throw new Error(`libsql-static-native: pattern not found in ${args.path}`);
      return { contents: out, loader: "js" };
    });
  },
};

const outfile = process.env.OUT ?? "./dist/bellhop";
const res = await Bun.build({
  entrypoints: ["./src/main.ts"],
  plugins: [libsqlStaticNative],
  minify: true,
  bytecode: process.env.BYTECODE !== "0",
  format: "esm",
  compile: {
    outfile,
    // Migrations and the wake-up prompt audio (8 kHz μ-law, made by appliance/prompts/generate.sh).
    assets: ["migrations", "prompts"],
    ...(process.env.BUN_TARGET ? { target: process.env.BUN_TARGET } : {}),
  },
} as Parameters<typeof Bun.build>[0]);
if (!res.success) {
  for (const l of res.logs) console.error(l);
  process.exit(1);
}
console.log(`built ${outfile}`);
