/**
 * @module lib/signature
 * Detached release signatures: ed25519 (node:crypto) over the file's version, SHA-256 and size.
 *
 * The `.sig` file is one JSON object: `{format, version, sha256, size, keyId, signature}`. What is
 * signed is a fixed text built from version, sha256 and size, so neither the JSON layout nor an added
 * field can change what a signature covers. The version is signed too: the appliance checks that the
 * binary it is about to run says that version, so an old signed binary cannot pose as a newer one.
 *
 * Keys are PEM files (`openssl genpkey -algorithm ed25519` for the private key, `openssl pkey -pubout`
 * for the public one). Error texts name files and key ids, never key material.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const SIGNATURE_FORMAT = "bellhop-release-signature/1";

export interface ReleaseSignature {
  format: typeof SIGNATURE_FORMAT;
  version: string;
  sha256: string;
  size: number;
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER): tells which key signed. */
  keyId: string;
  /** base64 ed25519 signature of `signedText(version, sha256, size)`. */
  signature: string;
}

/** A signature file or key that cannot be used, or a file no trusted key signed: the message says why. */
export class SignatureError extends Error {
  override name = "SignatureError";
}

/** Version strings are printed by `bellhop version`: short, one line, no spaces. */
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

export function signedText(version: string, sha256: string, size: number): string {
  return `${SIGNATURE_FORMAT}\nversion=${version}\nsha256=${sha256}\nsize=${size}\n`;
}

/** SHA-256 (hex) and size of a file, streamed: release binaries are over 100 MB. */
export async function fileDigest(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

/** An ed25519 private key from PEM text; `source` names it in errors. */
export function loadPrivateKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new SignatureError(`${source}: not a private key in PEM (make one with: openssl genpkey -algorithm ed25519)`);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new SignatureError(`${source}: a ${key.asymmetricKeyType ?? "unknown"} key, not ed25519`);
  }
  return key;
}

/** An ed25519 public key from PEM text; a private key's file is refused (it does not belong on the box). */
export function loadPublicKey(pem: string | Buffer, source: string): KeyObject {
  const text = typeof pem === "string" ? pem : pem.toString("latin1");
  if (text.includes("PRIVATE KEY")) throw new SignatureError(`${source}: a private key; only public keys are trusted`);
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new SignatureError(`${source}: not a public key in PEM`);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new SignatureError(`${source}: a ${key.asymmetricKeyType ?? "unknown"} key, not ed25519`);
  }
  return key;
}

export function isVersion(text: string): boolean {
  return VERSION_RE.test(text);
}

export function checkVersion(version: string): string {
  if (!VERSION_RE.test(version))
    throw new SignatureError(`version ${JSON.stringify(version.slice(0, 80))}: not a version`);
  return version;
}

export async function signFile(path: string, version: string, privateKey: KeyObject): Promise<ReleaseSignature> {
  checkVersion(version);
  const { sha256, size } = await fileDigest(path);
  const signature = sign(null, Buffer.from(signedText(version, sha256, size)), privateKey).toString("base64");
  return { format: SIGNATURE_FORMAT, version, sha256, size, keyId: keyId(createPublicKey(privateKey)), signature };
}

export function serializeSignature(sig: ReleaseSignature): string {
  return `${JSON.stringify(sig, null, 2)}\n`;
}

/** Parses a `.sig` file's text, checking every field; `source` names it in errors. */
export function parseSignature(text: string, source: string): ReleaseSignature {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SignatureError(`${source}: not a bellhop signature (not JSON)`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o !== "object" || o === null || o.format !== SIGNATURE_FORMAT) {
    throw new SignatureError(`${source}: not a bellhop signature (format is not ${SIGNATURE_FORMAT})`);
  }
  const bad = (field: string) => new SignatureError(`${source}: ${field} is missing or malformed`);
  if (typeof o.version !== "string" || !VERSION_RE.test(o.version)) throw bad("version");
  if (typeof o.sha256 !== "string" || !SHA256_RE.test(o.sha256)) throw bad("sha256");
  if (typeof o.size !== "number" || !Number.isSafeInteger(o.size) || o.size < 0) throw bad("size");
  if (typeof o.keyId !== "string" || !/^[0-9a-f]{16}$/.test(o.keyId)) throw bad("keyId");
  if (typeof o.signature !== "string" || !/^[A-Za-z0-9+/]{86}==$/.test(o.signature)) throw bad("signature");
  return {
    format: SIGNATURE_FORMAT,
    version: o.version,
    sha256: o.sha256,
    size: o.size,
    keyId: o.keyId,
    signature: o.signature,
  };
}

export interface TrustedKey {
  file: string;
  id: string;
  key: KeyObject;
}

/**
 * The `*.pem` public keys of a folder. Unusable files are returned as problems, not thrown: one bad
 * file must not stop the others from verifying, and the refusal names them.
 */
export function loadTrustedKeys(dir: string): { keys: TrustedKey[]; problems: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".pem"))
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SignatureError(
      `keys folder ${dir}: ${code === "ENOENT" ? "does not exist" : (code ?? "cannot be read")}`,
    );
  }
  const keys: TrustedKey[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const key = loadPublicKey(readFileSync(file), file);
      keys.push({ file, id: keyId(key), key });
    } catch (err) {
      problems.push(err instanceof SignatureError ? err.message : `${file}: cannot be read`);
    }
  }
  return { keys, problems };
}

export interface Verified {
  signature: ReleaseSignature;
  /** The trusted key file that verified it. */
  keyFile: string;
}

/**
 * Checks that `file` is the one the signature names (size, SHA-256) and that a trusted key signed
 * it. Throws SignatureError with the reason otherwise.
 */
export async function verifyFile(file: string, sig: ReleaseSignature, trusted: TrustedKey[]): Promise<Verified> {
  const { sha256, size } = await fileDigest(file);
  if (size !== sig.size || sha256 !== sig.sha256) {
    throw new SignatureError(
      `${file} is not the file that was signed (size ${size}, sha256 ${sha256.slice(0, 16)}…; signed: size ${sig.size}, sha256 ${sig.sha256.slice(0, 16)}…)`,
    );
  }
  const text = Buffer.from(signedText(sig.version, sig.sha256, sig.size));
  const bytes = Buffer.from(sig.signature, "base64");
  // Every key is tried, not only the one keyId names: keyId is a hint for people, not trust.
  for (const t of trusted) {
    if (verify(null, text, t.key, bytes)) return { signature: sig, keyFile: t.file };
  }
  throw new SignatureError(
    trusted.length === 0
      ? "no trusted public key to verify with"
      : `signature does not verify with any trusted key (signed by key ${sig.keyId}; trusted: ${trusted.map((t) => t.id).join(", ")})`,
  );
}
