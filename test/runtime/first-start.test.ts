/**
 * A version's first start, in the compiled binary: the prompts (an Opus pack) and the libsql addon
 * are unpacked under TMPDIR by a child process (`bellhop unpack`), so the serving process never
 * reads the 5.8 MB of payload nor compiles the decoder (issue 16 §6, idle RSS).
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { ulawToLinear } from "../../src/sip/rtp/g711.ts";
import { binaryHarness } from "../helpers/binary.ts";
import { eventually } from "../integration/support.ts";

const PROMPTS = resolve(import.meta.dirname ?? ".", "../../prompts");
const h = binaryHarness("bellhop-first-start-");

function emptyTmp(name: string): string {
  const dir = join(h.dir, name);
  mkdirSync(dir);
  return dir;
}

const promptFiles = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ul"))
    .sort();

/** Resident kB of the binary's own writable mapping (where Bun keeps the embedded files). */
function residentPayloadKb(pid: number, bin: string): number {
  let kb = 0;
  let inside = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inside = line.includes(" rw-p ") && line.endsWith(bin);
    else if (inside && line.startsWith("Rss:")) kb += Number(line.split(/\s+/)[1]);
  }
  return kb;
}

// The first build of a fresh clone encodes the prompts (~15–30 s): the binary tests allow for it.
const BINARY = { timeout: 120_000 };

test(
  "`bellhop unpack` expands every prompt, each as long as its source, and the addon; again is a no-op",
  BINARY,
  () => {
    const tmp = emptyTmp("unpack");
    const run = () =>
      Bun.spawnSync([h.binary(), "unpack"], { env: { ...process.env, TMPDIR: tmp }, stdout: "pipe", stderr: "pipe" });
    const first = run();
    assert.equal(first.exitCode, 0, first.stderr.toString());
    const folder = first.stdout.toString().trim();
    assert.ok(folder.startsWith(join(tmp, "bellhop-prompts-")), folder);
    assert.deepEqual(promptFiles(folder), promptFiles(PROMPTS));
    for (const f of promptFiles(PROMPTS)) {
      assert.equal(statSync(join(folder, f)).size, statSync(join(PROMPTS, f)).size, f);
    }
    // The binary's own decoder (bundled, its WebAssembly re-encoded by build.ts) gives the prompt back.
    const source = ulawToLinear(readFileSync(join(PROMPTS, "en", "wakeup.ul")));
    const decoded = ulawToLinear(readFileSync(join(folder, "en", "wakeup.ul")));
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < source.length; i++) {
      ab += source[i] * decoded[i];
      aa += source[i] * source[i];
      bb += decoded[i] * decoded[i];
    }
    assert.ok(ab / Math.sqrt(aa * bb) > 0.9, `correlation ${ab / Math.sqrt(aa * bb)}`);
    assert.ok(readdirSync(tmp).some((f) => /^\.bellhop-libsql-[0-9a-f]+-\d+\.node$/.test(f)));
    const second = run();
    assert.equal(second.stdout.toString().trim(), folder);
  },
);

test("a first start has a child unpack; the serving process does not read the payload", BINARY, async () => {
  const tmp = emptyTmp("serve");
  const site = await h.site("bellhop-first-start-site-", { pms: { mode: "server", host: "127.0.0.1", port: 0 } });
  const proc = Bun.spawn([h.binary(), "serve", "--config", site.configFile, "--data", site.dataDir], {
    env: { ...process.env, TMPDIR: tmp },
    stdout: "ignore",
    stderr: "pipe",
  });
  h.defer(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  await eventually(
    "health 200",
    async () => (await fetch(`http://127.0.0.1:${site.apiPort}/api/v1/health`).catch(() => null))?.status === 200,
    30_000,
  );
  assert.ok(readdirSync(tmp).some((f) => f.startsWith("bellhop-prompts-")));
  // Read in this process, the pack (~2.5 MB) and the addon (~3.2 MB) stay resident here for good.
  const kb = residentPayloadKb(proc.pid, h.binary());
  assert.ok(kb < 4096, `${kb} kB of the binary's payload resident`);
  proc.kill("SIGTERM");
  assert.equal(await proc.exited, 0);
});
