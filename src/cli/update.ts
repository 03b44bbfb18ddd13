/**
 * @module cli/update
 * `bellhop update verify FILE SIG [--keys DIR]` and `bellhop update apply FILE SIG [--keys DIR] …`.
 * Every path the box uses can be given, so the whole update runs in a test folder; the defaults are
 * the appliance's (appliance/install.sh).
 */
import { loadConfig } from "../config/load.ts";
import { SignatureError } from "../lib/signature.ts";
import { flag, type ParsedArgs } from "./args.ts";
import { type ApplyOptions, applyUpdate, verifyRelease } from "./update-apply.ts";

interface Out {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const DEFAULT_KEYS_DIR = "/etc/bellhop/update-keys";

export const UPDATE_USAGE = `usage:
  bellhop update verify FILE SIG [--keys DIR]
  bellhop update apply FILE SIG [--keys DIR] [--bin PATH] [--data DIR] [--config FILE] [--service NAME]
                       [--systemctl PATH] [--health-url URL] [--health-timeout S] [--settle S] [--max-starts N]
defaults: --keys ${DEFAULT_KEYS_DIR} (*.pem ed25519 public keys), --bin /usr/local/bin/bellhop,
  --data /var/lib/bellhop, --config /etc/bellhop/config.json (health URL from api.listen),
  --service bellhop, --systemctl systemctl, --health-timeout 60, --settle 5, --max-starts 3
`;

export async function updateCommand(args: ParsedArgs, env: Out): Promise<number> {
  const [, sub, file, sig, extra] = args.positional;
  if ((sub !== "verify" && sub !== "apply") || !file || !sig || extra !== undefined) {
    env.stderr.write(UPDATE_USAGE);
    return 2;
  }
  const keysDir = flag(args, "keys") ?? DEFAULT_KEYS_DIR;
  if (sub === "verify") {
    try {
      const s = await verifyRelease(file, sig, keysDir);
      env.stdout.write(`ok: ${file} is version ${s.version}, signed by key ${s.keyId}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      env.stderr.write(`not trusted: ${err.message}\n`);
      return 1;
    }
  }
  const opts = applyOptions(args, file, sig, keysDir, env);
  return typeof opts === "number" ? opts : await applyUpdate(opts, env);
}

function applyOptions(args: ParsedArgs, file: string, sig: string, keysDir: string, env: Out): ApplyOptions | number {
  const seconds = (name: string, dflt: number, min: number): number | undefined => {
    const v = flag(args, name);
    if (v === undefined) return dflt;
    const n = Number(v);
    return Number.isFinite(n) && n >= min && n <= 3600 ? n : undefined;
  };
  const timeout = seconds("health-timeout", 60, 1);
  const settle = seconds("settle", 5, 0);
  const maxStarts = seconds("max-starts", 3, 1);
  if (timeout === undefined || settle === undefined || maxStarts === undefined || !Number.isInteger(maxStarts)) {
    env.stderr.write(
      `--health-timeout (1–3600 s), --settle (0–3600 s) and --max-starts (a whole number ≥ 1) take numbers\n`,
    );
    return 2;
  }
  return {
    file,
    sig,
    keysDir,
    bin: flag(args, "bin") ?? "/usr/local/bin/bellhop",
    dataDir: flag(args, "data") ?? "/var/lib/bellhop",
    service: flag(args, "service") ?? "bellhop",
    systemctl: flag(args, "systemctl") ?? "systemctl",
    healthUrl: flag(args, "health-url") ?? healthUrlFromConfig(flag(args, "config") ?? "/etc/bellhop/config.json", env),
    healthTimeoutMs: timeout * 1000,
    settleMs: settle * 1000,
    maxStarts,
  };
}

/** The staff API's health URL on this box, from `api.listen` (a wildcard listen is asked on loopback). */
export function healthUrlFromConfig(file: string, env: Out): string {
  let listen = "127.0.0.1:8080";
  try {
    listen = loadConfig(file).api.listen;
  } catch (err) {
    env.stderr.write(`update: ${(err as Error).message}; asking the health of ${listen}\n`);
  }
  const at = listen.lastIndexOf(":");
  let host = listen.slice(0, at);
  const port = listen.slice(at + 1);
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  if (host === "[::]") host = "[::1]";
  return `http://${host}:${port}/api/v1/health`;
}
