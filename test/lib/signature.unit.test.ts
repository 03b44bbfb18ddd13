/**
 * Release signatures: a file signed with an ed25519 key verifies with its public key and nothing
 * else; a changed byte, a changed version, a key of another kind, a private key among the trusted
 * ones and a malformed signature file each give a reason, never an exception of another kind.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  loadPrivateKey,
  loadPublicKey,
  loadTrustedKeys,
  parseSignature,
  type ReleaseSignature,
  SignatureError,
  serializeSignature,
  signFile,
  verifyFile,
} from "../../src/lib/signature.ts";

const dir = mkdtempSync(join(tmpdir(), "bellhop-sig-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function pair() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    priv: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    pub: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

const signer = pair();
const stranger = pair();
const file = join(dir, "bellhop");
writeFileSync(file, Buffer.alloc(300_000, 7));

function keysDir(name: string, files: Record<string, string>): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const [n, text] of Object.entries(files)) writeFileSync(join(d, n), text);
  return d;
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof SignatureError && re.test(err.message));
}

describe("release signatures", () => {
  let sig: ReleaseSignature;

  test("sign: version, SHA-256 and size of the file, and the key id", async () => {
    sig = await signFile(file, "1.4.0", loadPrivateKey(signer.priv, "k.pem"));
    assert.equal(sig.version, "1.4.0");
    assert.equal(sig.size, 300_000);
    assert.match(sig.sha256, /^[0-9a-f]{64}$/);
    assert.equal(sig.keyId, loadTrustedKeys(keysDir("one", { "a.pem": signer.pub })).keys[0].id);
    assert.deepEqual(parseSignature(serializeSignature(sig), "x.sig"), sig);
  });

  test("verify: the signer's key among others verifies; a stranger's alone does not", async () => {
    const both = loadTrustedKeys(keysDir("both", { "a.pem": stranger.pub, "b.pem": signer.pub, "notes.txt": "x" }));
    assert.equal(both.keys.length, 2);
    const ok = await verifyFile(file, sig, both.keys);
    assert.match(ok.keyFile, /b\.pem$/);
    const alone = loadTrustedKeys(keysDir("stranger", { "a.pem": stranger.pub })).keys;
    await rejects(verifyFile(file, sig, alone), /does not verify with any trusted key/);
    await rejects(verifyFile(file, sig, []), /no trusted public key/);
  });

  test("a changed byte, size or version is refused", async () => {
    const keys = loadTrustedKeys(join(dir, "one")).keys;
    const other = join(dir, "bellhop-changed");
    const bytes = Buffer.alloc(300_000, 7);
    bytes[1234] = 8;
    writeFileSync(other, bytes);
    await rejects(verifyFile(other, sig, keys), /is not the file that was signed/);
    // The JSON says another version: the signature no longer covers what it claims.
    await rejects(verifyFile(file, { ...sig, version: "9.9.9" }, keys), /does not verify/);
  });

  test("unusable keys are named, not thrown, and never echoed", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" });
    const loaded = loadTrustedKeys(
      keysDir("bad", { "rsa.pem": rsa.toString(), "priv.pem": signer.priv, "junk.pem": "hello", "ok.pem": signer.pub }),
    );
    assert.equal(loaded.keys.length, 1);
    assert.equal(loaded.problems.length, 3);
    assert.match(loaded.problems.join("\n"), /rsa\.pem: a rsa key, not ed25519/);
    assert.match(loaded.problems.join("\n"), /priv\.pem: a private key; only public keys are trusted/);
    assert.match(loaded.problems.join("\n"), /junk\.pem: not a public key in PEM/);
    assert.ok(!loaded.problems.join("\n").includes("BEGIN"), "no key text in the reasons");
    assert.throws(() => loadTrustedKeys(join(dir, "absent")), /keys folder .*absent: does not exist/);
    assert.throws(() => loadPrivateKey(signer.pub, "pub.pem"), /pub\.pem: not a private key in PEM/);
    assert.throws(
      () => loadPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "x.pem"),
      SignatureError,
    );
  });

  test("malformed signature files say what is wrong", () => {
    const good = JSON.parse(serializeSignature(sig));
    const cases: [string, RegExp][] = [
      ["not json", /not JSON/],
      ["{}", /format is not/],
      ["null", /format is not/],
      [JSON.stringify({ ...good, version: "1.0\nsha256=00" }), /version is missing or malformed/],
      [JSON.stringify({ ...good, sha256: "abc" }), /sha256 is missing or malformed/],
      [JSON.stringify({ ...good, size: -1 }), /size is missing or malformed/],
      [JSON.stringify({ ...good, signature: "short" }), /signature is missing or malformed/],
    ];
    for (const [text, re] of cases) assert.throws(() => parseSignature(text, "x.sig"), re, text);
  });
});
