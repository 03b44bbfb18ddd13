/**
 * @module sim/ucm/simulator
 * A Grandstream UCM mock for the new HTTPS API v1.0 (specs/pbx-apis.md §2): one POST URL, JSON
 * envelopes, HTTP 200 with a status even on errors; challenge, login checking md5(challenge +
 * password), a session cookie in the JSON body that expires after `cookieSeconds` (-6), -5 without a
 * cookie, -71/-37 for a wrong user or password, and the `pmsapi` actions of src/pbx/ucm/wire.ts
 * (check-in needs both dates; a name only while checked in; category 0/1; class of service 1–4)
 * keeping room state. HTTPS with a self-signed certificate made by openssl at start (its SHA-256 in
 * `fingerprint`), or plain HTTP. Every request is kept in `requests`. node: built-ins only.
 */
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateSha256 } from "../../pbx/ucm/transport.ts";
import {
  actions,
  loginToken,
  pmsActions,
  pmsToken,
  status as S,
  statusText,
  type UcmResponse,
  WIRE_DATE,
} from "../../pbx/ucm/wire.ts";

export interface UcmSimulatorOptions {
  apiUser?: string;
  apiPassword?: string;
  pmsUser?: string;
  pmsPassword?: string;
  /** Session cookie lifetime; a request with an older cookie gets -6. Default 600. */
  cookieSeconds?: number;
  /** Plain HTTP instead of HTTPS. */
  http?: boolean;
  /** The API path. Default "/api". */
  path?: string;
  /** PEM certificate and key to serve instead of a generated pair. */
  tls?: { cert: string; key: string };
  now?: () => number;
}

export interface UcmSimRoom {
  address: string;
  extension: string;
  checkedIn: boolean;
  name: string;
  datein: string | null;
  dateout: string | null;
  guestCategory: 0 | 1;
  permission: number | null;
}

export interface UcmSimRequest {
  at: number;
  action: string;
  /** The parsed JSON body as received (secrets included: this is a test tool). */
  body: unknown;
  status: number;
  response: UcmResponse;
}

/** Generates a self-signed certificate for 127.0.0.1/localhost with openssl. */
export function selfSignedCertificate(commonName = "ucm-simulator"): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-ucm-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "30",
        "-subj",
        `/CN=${commonName}`,
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ],
      { stdio: "ignore" },
    );
    return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SHA-256 (lowercase hex) of the DER encoding of a PEM certificate. */
export function pemFingerprint(pem: string): string {
  const b64 = pem
    .replace(/-----BEGIN CERTIFICATE-----/, "")
    .replace(/-----END CERTIFICATE-----[\s\S]*$/, "")
    .replace(/\s+/g, "");
  return certificateSha256(Buffer.from(b64, "base64"));
}

export class UcmSimulator {
  readonly requests: UcmSimRequest[] = [];
  readonly rooms = new Map<string, UcmSimRoom>();
  /** SHA-256 of the served certificate (HTTPS), null for HTTP. */
  readonly fingerprint: string | null;
  /** PEM of the served certificate (HTTPS), null for HTTP. */
  readonly certificate: string | null;
  /** Called after each request is answered (the CLI prints it). */
  onRequest?: (r: UcmSimRequest) => void;

  private readonly o: Required<Omit<UcmSimulatorOptions, "tls" | "http">> & { http: boolean };
  private readonly server: Server;
  private challenges = new Map<string, string>();
  private sessions = new Map<string, number>();
  private failures: number[] = [];

  constructor(opts: UcmSimulatorOptions = {}) {
    this.o = {
      apiUser: opts.apiUser ?? "bellhop",
      apiPassword: opts.apiPassword ?? "api-secret",
      pmsUser: opts.pmsUser ?? "pms",
      pmsPassword: opts.pmsPassword ?? "pms-secret",
      cookieSeconds: opts.cookieSeconds ?? 600,
      path: opts.path ?? "/api",
      now: opts.now ?? Date.now,
      http: opts.http ?? false,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    // node:http(s) loaded here, not imported: the compiled binary loads every imported built-in at its start.
    if (this.o.http) {
      this.fingerprint = null;
      this.certificate = null;
      this.server = process.getBuiltinModule("node:http").createServer(handler);
    } else {
      const tls = opts.tls ?? selfSignedCertificate();
      this.certificate = tls.cert;
      this.fingerprint = pemFingerprint(tls.cert);
      this.server = process.getBuiltinModule("node:https").createServer({ cert: tls.cert, key: tls.key }, handler);
    }
  }

  listen(port = 0, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      (this.server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }

  /** The next `count` requests (after a successful parse) are answered with `status`. */
  failNext(status: number, count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  /** Ends every session: the next request with an old cookie gets -6. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** The PMS token the simulator accepts (md5 of PMS user + password, see wire.ts). */
  get expectedPmsToken(): string {
    return pmsToken(this.o.pmsUser, this.o.pmsPassword);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0];
      if (req.method !== "POST" || path !== this.o.path) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = undefined;
      }
      const request = (body as { request?: Record<string, unknown> } | undefined)?.request;
      const action = typeof request?.action === "string" ? request.action : "?";
      let answer: UcmResponse;
      if (!request || typeof request !== "object") answer = err(S.invalidParameters);
      else if (this.failures.length) answer = err(this.failures.shift() as number);
      else answer = this.answer(action, request);
      const rec: UcmSimRequest = { at: this.o.now(), action, body, status: answer.status, response: answer };
      this.requests.push(rec);
      this.onRequest?.(rec);
      res.writeHead(200, { "Content-Type": "application/json;charset=UTF-8" }).end(JSON.stringify(answer));
    });
  }

  private answer(action: string, r: Record<string, unknown>): UcmResponse {
    switch (action) {
      case actions.challenge: {
        if (r.user !== this.o.apiUser) return err(S.noSuchUser);
        if (r.version !== "1.0") return err(S.invalidParameters);
        const challenge = String(1_000_000_000_000_000n + BigInt(this.o.now())).slice(-16);
        this.challenges.set(this.o.apiUser, challenge);
        return { response: { challenge }, status: S.ok };
      }
      case actions.login: {
        if (r.user !== this.o.apiUser) return err(S.noSuchUser);
        const challenge = this.challenges.get(this.o.apiUser);
        this.challenges.delete(this.o.apiUser);
        if (!challenge || r.token !== loginToken(challenge, this.o.apiPassword)) return err(S.wrongAccountOrPassword);
        const cookie = `sid${randomBytes(4).readUInt32BE()}-${Math.floor(this.o.now() / 1000)}`;
        this.sessions.set(cookie, this.o.now() + this.o.cookieSeconds * 1000);
        return { response: { cookie }, status: S.ok };
      }
      default: {
        const cookie = r.cookie;
        if (typeof cookie !== "string" || cookie === "") return err(S.needAuthentication);
        const until = this.sessions.get(cookie);
        if (until === undefined || until <= this.o.now()) {
          this.sessions.delete(cookie);
          return err(S.cookieError);
        }
        if (action === actions.pms) return this.pms(r);
        return err(S.unsupported);
      }
    }
  }

  private pms(r: Record<string, unknown>): UcmResponse {
    if (r.pms_user !== this.o.pmsUser || r.pms_token !== this.expectedPmsToken) return err(S.wrongAccountOrPassword);
    const address = typeof r.address === "string" ? r.address : "";
    const extension = typeof r.extension === "string" ? r.extension : "";
    if (!address || !extension) return err(S.invalidParameters);
    for (const k of ["datein", "dateout"] as const) {
      if (r[k] !== undefined && !(typeof r[k] === "string" && WIRE_DATE.test(r[k] as string))) {
        return err(S.invalidValue, `${k} must be YYYYMMDD`);
      }
    }
    if (r.guest_category !== undefined && r.guest_category !== 0 && r.guest_category !== 1) {
      return err(S.invalidValue, "guest_category must be 0 or 1");
    }
    if (
      r.permission !== undefined &&
      !(typeof r.permission === "number" && Number.isInteger(r.permission) && r.permission >= 1 && r.permission <= 4)
    ) {
      return err(S.invalidValue, "permission must be 1, 2, 3 or 4");
    }
    if (r.name !== undefined && typeof r.name !== "string") return err(S.invalidParameters);
    const room = this.rooms.get(address);
    switch (r.pms_action) {
      case pmsActions.checkin: {
        if (r.datein === undefined || r.dateout === undefined)
          return err(S.invalidParameters, "datein and dateout required");
        if (room?.checkedIn) return err(S.alreadyAdded);
        this.rooms.set(address, {
          address,
          extension,
          checkedIn: true,
          name: (r.name as string | undefined) ?? "",
          datein: r.datein as string,
          dateout: r.dateout as string,
          guestCategory: (r.guest_category as 0 | 1 | undefined) ?? 0,
          permission: (r.permission as number | undefined) ?? room?.permission ?? null,
        });
        return ok();
      }
      case pmsActions.checkout: {
        if (!room?.checkedIn) return err(S.noSuchItem, "room is not checked in");
        // Check-out restores the defaults (and the UCM deletes the guest's voicemail).
        Object.assign(room, { checkedIn: false, name: "", datein: null, dateout: null, guestCategory: 0 });
        return ok();
      }
      case pmsActions.update: {
        if (!room?.checkedIn) {
          if (r.name !== undefined || r.datein !== undefined || r.dateout !== undefined) {
            return err(S.failedToOperate, "room is not checked in");
          }
          if (r.guest_category !== undefined) return err(S.failedToOperate, "room is not checked in");
          const vacant = room ?? {
            address,
            extension,
            checkedIn: false,
            name: "",
            datein: null,
            dateout: null,
            guestCategory: 0 as const,
            permission: null,
          };
          if (r.permission !== undefined) vacant.permission = r.permission as number;
          this.rooms.set(address, vacant);
          return ok();
        }
        if (r.name !== undefined) room.name = r.name as string;
        if (r.datein !== undefined) room.datein = r.datein as string;
        if (r.dateout !== undefined) room.dateout = r.dateout as string;
        if (r.guest_category !== undefined) room.guestCategory = r.guest_category as 0 | 1;
        if (r.permission !== undefined) room.permission = r.permission as number;
        room.extension = extension;
        return ok();
      }
      default:
        return err(S.invalidParameters, "unknown pms_action");
    }
  }
}

function ok(): UcmResponse {
  return { response: {}, status: S.ok };
}

function err(status: number, message?: string): UcmResponse {
  return { response: { error_msg: message ?? statusText[status] ?? "error" }, status };
}
