/** Shared fixtures for the SIP transport tests: layers, waits, a throw-away self-signed certificate. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TransportLayer, type TransportLayerOptions } from "../../src/sip/transport/layer.ts";
import type { Inbound } from "../../src/sip/transport/types.ts";
import { testFramer } from "./sip-test-framer.ts";

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A layer plus the messages it received; closed by `closeAll`. */
export interface TestLayer {
  layer: TransportLayer;
  inbox: Inbound[];
}

export function makeLayer(opts: Partial<TransportLayerOptions> = {}, opened?: TestLayer[]): TestLayer {
  const layer = new TransportLayer({ allow: () => true, framer: () => testFramer(), ...opts });
  const inbox: Inbound[] = [];
  layer.onMessage((m) => inbox.push(m));
  const t = { layer, inbox };
  opened?.push(t);
  return t;
}

export async function closeAll(opened: TestLayer[]): Promise<void> {
  await Promise.all(opened.splice(0).map((t) => t.layer.close()));
}

export interface SelfSigned {
  dir: string;
  key: string;
  cert: string;
  certFile: string;
  remove(): Promise<void>;
}

/** A P-256 self-signed certificate for localhost / 127.0.0.1, made with openssl in a temp dir. */
export async function selfSignedCert(): Promise<SelfSigned> {
  const dir = await mkdtemp(path.join(tmpdir(), "bellhop-tls-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  await new Promise<void>((resolve, reject) => {
    execFile(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ],
      (err, _out, stderr) => (err ? reject(new Error(`openssl failed: ${stderr || err.message}`)) : resolve()),
    );
  });
  return {
    dir,
    key: await readFile(keyFile, "utf8"),
    cert: await readFile(certFile, "utf8"),
    certFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
