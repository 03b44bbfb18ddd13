/**
 * The CLI contract of issue 16 §1, §7 without SSH: `bellhop release sign --key KEY.pem FILE` writes
 * FILE.sig (with an openssl-made key, as support makes them); `bellhop update verify FILE SIG
 * [--keys DIR]` exits 0 when a key in DIR signed it, else 1 with the reason; usage errors exit 2;
 * `update apply` refuses what does not verify, or does not run as the signed version, before it
 * touches anything. The private key never shows in any output.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseArgs } from "../../src/cli/args.ts";
import { releaseCommand } from "../../src/cli/release.ts";
import { updateCommand } from "../../src/cli/update.ts";
import { tempDir } from "../helpers/store.ts";
import { peerCommand, peerSkip } from "../peers/available.ts";

const tmp = tempDir("bellhop-update-cli-");
after(() => tmp.cleanup());

async function cli(cmd: typeof releaseCommand, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await cmd(parseArgs(argv), {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

function openssl(...args: string[]): void {
  const res = spawnSync(peerCommand("openssl"), args, { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
}

/** A stand-in release: a script that says its version. */
function app(name: string, version: string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = version ] && echo ${version}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("release sign / update verify", () => {
  const key = join(tmp.dir, "release.pem");
  const other = join(tmp.dir, "other.pem");
  const keys = join(tmp.dir, "keys");

  test("an openssl ed25519 key signs; its public key verifies; exit codes and reasons", {
    skip: peerSkip("openssl"),
  }, async () => {
    openssl("genpkey", "-algorithm", "ed25519", "-out", key);
    openssl("genpkey", "-algorithm", "ed25519", "-out", other);
    mkdirSync(keys);
    openssl("pkey", "-in", key, "-pubout", "-out", join(keys, "release.pem"));
    const file = app("bellhop", "2.0.0");

    const signed = await cli(releaseCommand, "release", "sign", "--key", key, file);
    assert.equal(signed.code, 0, signed.err);
    assert.match(signed.out, /signed .*: version 2\.0\.0, sha256 [0-9a-f]{64}, key [0-9a-f]{16} → .*bellhop\.sig/);
    const sig = JSON.parse(readFileSync(`${file}.sig`, "utf8"));
    assert.equal(sig.version, "2.0.0");
    assert.ok(!readFileSync(`${file}.sig`, "utf8").includes("PRIVATE"));

    const ok = await cli(updateCommand, "update", "verify", file, `${file}.sig`, "--keys", keys);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^ok: .* is version 2\.0\.0, signed by key [0-9a-f]{16}\n$/);

    // Another key's signature, a changed file, a folder without keys, garbage: 1 with the reason.
    const file2 = app("bellhop2", "2.0.0");
    assert.equal((await cli(releaseCommand, "release", "sign", "--key", other, file2, "--version", "2.0.0")).code, 0);
    const stranger = await cli(updateCommand, "update", "verify", file2, `${file2}.sig`, "--keys", keys);
    assert.equal(stranger.code, 1);
    assert.match(stranger.err, /^not trusted: signature does not verify with any trusted key/);
    writeFileSync(file2, "changed");
    const changed = await cli(updateCommand, "update", "verify", file2, `${file}.sig`, "--keys", keys);
    assert.equal(changed.code, 1);
    assert.match(changed.err, /is not the file that was signed/);
    const none = await cli(updateCommand, "update", "verify", file, `${file}.sig`, "--keys", join(tmp.dir, "nowhere"));
    assert.equal(none.code, 1);
    assert.match(none.err, /keys folder .*nowhere: does not exist/);
    writeFileSync(join(tmp.dir, "junk.sig"), "\u0000\u0001garbage");
    const junk = await cli(updateCommand, "update", "verify", file, join(tmp.dir, "junk.sig"), "--keys", keys);
    assert.equal(junk.code, 1);
    assert.match(junk.err, /junk\.sig: not a bellhop signature/);
    for (const r of [signed, ok, stranger, changed, none, junk]) assert.ok(!`${r.out}${r.err}`.includes("PRIVATE KEY"));
  });

  test("sign refuses a public key, an RSA key, a missing file; --version for a binary that cannot run here", {
    skip: peerSkip("openssl"),
  }, async () => {
    const file = app("bellhop3", "3.0.0");
    const pub = await cli(releaseCommand, "release", "sign", "--key", join(keys, "release.pem"), file);
    assert.equal(pub.code, 1);
    assert.match(pub.err, /not a private key in PEM/);
    const rsa = join(tmp.dir, "rsa.pem");
    openssl("genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa);
    const r = await cli(releaseCommand, "release", "sign", "--key", rsa, file);
    assert.equal(r.code, 1);
    assert.match(r.err, /a rsa key, not ed25519/);
    assert.ok(!r.err.includes("PRIVATE"));
    assert.equal((await cli(releaseCommand, "release", "sign", "--key", key, join(tmp.dir, "absent"))).code, 1);
    const cross = join(tmp.dir, "cross");
    writeFileSync(cross, "\x7fELF not for this machine");
    const noRun = await cli(releaseCommand, "release", "sign", "--key", key, cross);
    assert.equal(noRun.code, 1);
    assert.match(noRun.err, /cannot run .*cross version .*pass --version/);
    assert.equal((await cli(releaseCommand, "release", "sign", "--key", key, cross, "--version", "3.0.0")).code, 0);
    const badVersion = await cli(releaseCommand, "release", "sign", "--key", key, cross, "--version", "3 0");
    assert.equal(badVersion.code, 1);
    assert.match(badVersion.err, /not a version/);
  });

  test("usage errors exit 2", async () => {
    assert.equal((await cli(releaseCommand, "release", "sign", "file")).code, 2);
    assert.equal((await cli(releaseCommand, "release", "unsign", "--key", "k", "file")).code, 2);
    assert.equal((await cli(updateCommand, "update", "verify", "file")).code, 2);
    assert.equal((await cli(updateCommand, "update", "frobnicate", "a", "b")).code, 2);
    assert.equal((await cli(updateCommand, "update", "apply", "a", "b", "--health-timeout", "soon")).code, 2);
  });

  test("apply refuses before touching anything: bad signature, or a binary that is not the signed version", {
    skip: peerSkip("openssl"),
  }, async () => {
    const box = join(tmp.dir, "box");
    mkdirSync(join(box, "data"), { recursive: true });
    const installed = app("box/bellhop", "1.0.0");
    const systemctl = join(box, "systemctl");
    writeFileSync(systemctl, `#!/bin/sh\necho "$*" >> ${join(box, "systemctl.log")}\n`);
    chmodSync(systemctl, 0o755);
    const flags = ["--keys", keys, "--bin", installed, "--data", join(box, "data"), "--systemctl", systemctl];
    flags.push("--health-url", "http://127.0.0.1:9/api/v1/health");
    const listing = () => [readdirSync(box).sort(), readdirSync(join(box, "data"))];
    const before = listing();

    const file = app("liar", "2.0.0");
    // Signed as 2.0.1 but says 2.0.0: an old binary posing as a newer one.
    assert.equal((await cli(releaseCommand, "release", "sign", "--key", key, file, "--version", "2.0.1")).code, 0);
    const liar = await cli(updateCommand, "update", "apply", file, `${file}.sig`, ...flags);
    assert.equal(liar.code, 1);
    assert.match(
      liar.err,
      /^update refused: the new binary says version 2\.0\.0, signed as 2\.0\.1; nothing was changed/,
    );

    const file2 = app("unsigned", "2.0.0");
    assert.equal((await cli(releaseCommand, "release", "sign", "--key", other, file2)).code, 0);
    const bad = await cli(updateCommand, "update", "apply", file2, `${file2}.sig`, ...flags);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^update refused: signature does not verify/);

    assert.deepEqual(listing(), before, "no file added, none left behind");
    assert.ok(!existsSync(join(box, "systemctl.log")), "the service was not touched");
    assert.equal(readFileSync(installed, "utf8").includes("1.0.0"), true);
  });
});
