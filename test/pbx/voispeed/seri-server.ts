/**
 * A tiny scripted SERI endpoint for the VOIspeed driver tests: it records every request (query,
 * multipart `contacts`), answers from a small state (users, modes, phonebook) as the guide describes,
 * and lets a test replace the answer to any request. Not the VOIspeed simulator (src/sim/voispeed):
 * the driver is tested against replies written here from the guide, one by one.
 */
import { Buffer } from "node:buffer";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { renderResult } from "../../../src/pbx/voispeed/wire.ts";

export interface SeriRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: string;
  /** The parsed `contacts` field of a multipart POST. */
  contacts?: unknown;
  /** The multipart field names, in order. */
  fields?: string[];
}

export interface SeriAnswer {
  status?: number;
  body: string;
  /** Never answer (a hung PBX). */
  hang?: boolean;
}

export interface SeriUser {
  id: string;
  extension: string;
  avStatus?: number;
}

export class ScriptedSeri {
  readonly requests: SeriRequest[] = [];
  token = "seri-token-123";
  users: SeriUser[] = [
    { id: "7", extension: "2101" },
    { id: "8", extension: "2102" },
    { id: "9", extension: "2103" },
  ];
  /** ext → last mode set */
  readonly modes = new Map<string, string>();
  /** `app/external id` → contact */
  readonly phonebook = new Map<string, Record<string, unknown>>();
  private nextRequestId = 15652770917203;
  /** Answers this request instead of the state, when it returns something. */
  override: ((r: SeriRequest) => SeriAnswer | undefined) | undefined;
  readonly server: Server;

  constructor(tls?: { cert: string; key: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://x");
        const r: SeriRequest = {
          method: req.method ?? "",
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          contentType: String(req.headers["content-type"] ?? ""),
          body: Buffer.concat(chunks).toString("utf8"),
        };
        const fields = multipart(r.contentType, r.body);
        if (fields) {
          r.fields = fields.map((f) => f.name);
          const c = fields.find((f) => f.name === "contacts");
          if (c) r.contacts = JSON.parse(c.value);
        }
        this.requests.push(r);
        const a = this.override?.(r) ?? this.answer(r);
        if (a.hang) return;
        res.writeHead(a.status ?? 200, { "Content-Type": "text/xml; charset=UTF-8" });
        res.end(a.body);
      });
    };
    this.server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Requests of one service. */
  of(service: string): SeriRequest[] {
    return this.requests.filter((r) => r.query.service === service);
  }

  static reject(error: string): SeriAnswer {
    return { body: renderResult({ outcome: 1, error }) };
  }

  private answer(r: SeriRequest): SeriAnswer {
    const q = r.query;
    if (q.token !== this.token) return ScriptedSeri.reject("invalid token");
    switch (q.service) {
      case "get_entities":
        if (q.entity_type !== "0") return { body: renderResult({ outcome: 0 }) };
        return {
          body: renderResult({
            outcome: 0,
            users: {
              user: this.users.map((u) => ({
                id: ` ${u.id} `,
                name: "Room",
                surname: u.extension,
                extension: ` ${u.extension} `,
                av_status: u.avStatus ?? 2,
              })),
            },
          }),
        };
      case "set_user_mode": {
        if (!this.users.some((u) => u.extension === q.ext)) return ScriptedSeri.reject(`ext ${q.ext} not enabled`);
        this.modes.set(q.ext, q.mode);
        return { body: renderResult({ outcome: 0, request_id: ` ${this.nextRequestId++} ` }) };
      }
      case "phonebook_import_sync": {
        if (r.method !== "POST") return ScriptedSeri.reject("POST required");
        const list = (r.contacts ?? []) as Record<string, unknown>[];
        const contacts = list.map((c) => {
          const key = `${c.uc_app_name}/${c.uc_external_id}`;
          const act = this.phonebook.has(key) ? "update" : "insert";
          this.phonebook.set(key, c);
          return { uc_external_id: String(c.uc_external_id), id: this.phonebook.size, act, info: "" };
        });
        return {
          body: renderResult({
            outcome: 0,
            processed: contacts.length,
            skipped: 0,
            warnings: 0,
            errors: 0,
            ...(q.verbose_output === "1" ? { contacts: { contact: contacts } } : {}),
          }),
        };
      }
      case "delete_phonebook": {
        const key = `${q.app_name}/${q.external_contact_id}`;
        if (!this.phonebook.delete(key)) return ScriptedSeri.reject("contact not found");
        return { body: renderResult({ outcome: 0 }) };
      }
      default:
        return ScriptedSeri.reject(`unknown service ${q.service}`);
    }
  }
}

function multipart(contentType: string, body: string): { name: string; value: string }[] | undefined {
  const m = /^multipart\/form-data;\s*boundary=(.+)$/i.exec(contentType);
  if (!m) return undefined;
  const boundary = `--${m[1]}`;
  const out: { name: string; value: string }[] = [];
  for (const part of body.split(boundary).slice(1)) {
    if (part.startsWith("--")) break;
    const headEnd = part.indexOf("\r\n\r\n");
    const head = part.slice(0, headEnd);
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? "";
    out.push({ name, value: part.slice(headEnd + 4).replace(/\r\n$/, "") });
  }
  return out;
}
