/**
 * @module cli/release
 * `bellhop release sign --key KEY.pem FILE [--version V] [--out FILE.sig]`: signs a release binary
 * on the build machine. The version is read by running `FILE version` unless given (a cross build
 * for another architecture cannot run here: pass --version).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { checkVersion, loadPrivateKey, SignatureError, serializeSignature, signFile } from "../lib/signature.ts";
import { flag, type ParsedArgs } from "./args.ts";

interface Out {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const RELEASE_USAGE = `usage: bellhop release sign --key KEY.pem FILE [--version V] [--out FILE.sig]
  KEY.pem: an ed25519 private key (openssl genpkey -algorithm ed25519 -out KEY.pem);
  its public half goes to the boxes' /etc/bellhop/update-keys/ (openssl pkey -in KEY.pem -pubout)
`;

export async function releaseCommand(args: ParsedArgs, env: Out): Promise<number> {
  const [, sub, file, extra] = args.positional;
  const keyPath = flag(args, "key");
  if (sub !== "sign" || !file || extra !== undefined || !keyPath) {
    env.stderr.write(RELEASE_USAGE);
    return 2;
  }
  if (!existsSync(file) || !statSync(file).isFile()) {
    env.stderr.write(`bellhop: ${file}: no such file\n`);
    return 1;
  }
  let keyText: Buffer;
  try {
    keyText = readFileSync(keyPath);
  } catch {
    env.stderr.write(`bellhop: ${keyPath}: cannot read the key\n`);
    return 1;
  }
  try {
    const key = loadPrivateKey(keyText, keyPath);
    const version = checkVersion(flag(args, "version") ?? versionOf(file));
    const sig = await signFile(file, version, key);
    const out = flag(args, "out") ?? `${file}.sig`;
    writeFileSync(out, serializeSignature(sig));
    env.stdout.write(`signed ${file}: version ${sig.version}, sha256 ${sig.sha256}, key ${sig.keyId} → ${out}\n`);
    return 0;
  } catch (err) {
    if (err instanceof SignatureError) {
      env.stderr.write(`bellhop: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** What `FILE version` prints; a SignatureError when it cannot be run. */
export function versionOf(file: string, timeoutMs = 30_000): string {
  const res = spawnSync(file, ["version"], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit ${res.status ?? res.signal}`;
    throw new SignatureError(`cannot run ${file} version (${why}); a cross build? pass --version`);
  }
  return res.stdout.trim();
}
