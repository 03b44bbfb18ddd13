/**
 * @module pbx/voispeed/client
 * Requests to a VOIspeed SERI endpoint: a GET with `service`, `token` and the service's parameters in
 * the query string, or, for `phonebook_import_sync`, a multipart/form-data POST with the one field
 * `contacts` (service, token and `verbose_output` in the query string). Paced by a token bucket,
 * bounded by a time-out, over the shared pinned-certificate HTTP client (`pbx/http.ts`).
 *
 * Replies: `outcome 0` resolves (with `request_id` for an asynchronous service); `outcome 1` throws a
 * `VoispeedRejectError` carrying VOIspeed's text, retryable unless the text names a bad parameter or
 * credential (`isPermanentReject` in wire.ts); HTTP errors, network errors and answers that are not
 * SERI XML throw retryable PbxErrors. The token never appears in an error or a log line: the debug
 * packet log writes `token=***`, and any echo of it in a reply is masked.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { TokenBucket } from "../../lib/token-bucket.ts";
import { PbxError } from "../driver.ts";
import { httpRequest, type TlsTrust } from "../http.ts";
import {
  child,
  type ImportResult,
  importSyncBody,
  importSyncParams,
  isPermanentReject,
  OUTCOME_OK,
  type PhonebookContact,
  parseReply,
  QUERY_TOKEN,
  type QueryParams,
  readImportResult,
  requestQuery,
  type SeriReply,
  type ServiceName,
  services,
} from "./wire.ts";

export interface VoispeedClientOptions {
  url: string;
  token: string;
  /** Normalized pin (64 lowercase hex) or null. */
  certificateSha256: string | null;
  caFile: string | null;
  timeoutMs: number;
  ratePerSecond: number;
  clock: Clock;
  logger: Logger;
  debug: () => boolean;
}

/** VOIspeed answered `outcome 1` (or another non-zero outcome). */
export class VoispeedRejectError extends PbxError {
  constructor(
    readonly service: string,
    /** VOIspeed's own `<error>` text, trimmed. */
    readonly text: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message, { retryable: !permanent });
    this.name = "VoispeedRejectError";
  }
}

export interface CallOptions {
  /**
   * A data reply that holds this element counts as success even without `<outcome>` (the guide's
   * voicemail and park-line examples have none).
   */
  container?: string;
}

const PEER = "VOIspeed";

export class VoispeedClient {
  private readonly url: URL;
  private readonly bucket: TokenBucket;
  private trust: TlsTrust | undefined;

  constructor(private readonly opts: VoispeedClientOptions) {
    this.url = new URL(opts.url);
    this.bucket = new TokenBucket(opts.clock, opts.ratePerSecond);
  }

  /** A GET of `service`; `what` names the target in errors ("room 101"). */
  get(service: ServiceName, p: QueryParams, what: string, opts: CallOptions = {}): Promise<SeriReply> {
    return this.send("GET", service, p, what, opts);
  }

  /** phonebook_import_sync of these contacts (an upsert by uc_app_name + uc_external_id). */
  async importSync(
    contacts: readonly PhonebookContact[],
    what: string,
  ): Promise<{ reply: SeriReply; result: ImportResult }> {
    const boundary = `bellhop-${randomUUID()}`;
    const body = importSyncBody(contacts, boundary);
    const reply = await this.send("POST", services.phonebookImportSync, importSyncParams(), what, {}, body);
    return { reply, result: readImportResult(reply) };
  }

  private async send(
    method: "GET" | "POST",
    service: ServiceName,
    p: QueryParams,
    what: string,
    opts: CallOptions,
    body?: { contentType: string; body: Uint8Array },
  ): Promise<SeriReply> {
    const { logger, token } = this.opts;
    const query = requestQuery(service, token, p);
    const url = new URL(this.url);
    for (const [k, val] of query) url.searchParams.append(k, val);
    const debug = this.opts.debug();
    if (debug) {
      logger.info("voispeed packet", {
        dir: "out",
        method,
        service,
        query: maskedQuery(query),
        ...(body ? { body: new TextDecoder().decode(body.body) } : {}),
      });
    }
    const trust = await this.trustSettings();
    await this.bucket.take();
    const http = await httpRequest({
      method,
      url,
      headers: body ? { "Content-Type": body.contentType, Accept: "text/xml" } : { Accept: "text/xml" },
      body: body?.body,
      trust,
      timeoutMs: this.opts.timeoutMs,
      peer: PEER,
    });
    const text = this.redact(http.body);
    if (debug) logger.info("voispeed packet", { dir: "in", service, http: http.status, body: text.slice(0, 2000) });
    if (http.status !== 200) {
      throw new PbxError(
        `VOIspeed answered HTTP ${http.status} to ${service}${http.status === 404 ? ": check url" : ""}`,
      );
    }
    const reply = parseReply(text);
    if (!reply.isXml) {
      const snippet = text.trim().replace(/\s+/g, " ").slice(0, 80);
      throw new PbxError(
        `VOIspeed answered ${service} with something that is not SERI XML: ${JSON.stringify(snippet)}`,
      );
    }
    if (reply.outcome === OUTCOME_OK) return reply;
    if (reply.outcome === undefined) {
      if (opts.container && child(reply.result, opts.container)) return reply;
      throw new PbxError(`VOIspeed answered ${service} for ${what} without an outcome`);
    }
    const reason = reply.error || `outcome ${reply.outcome}, no reason given`;
    const permanent = reply.error !== undefined && reply.error !== "" && isPermanentReject(reply.error);
    const hint = /token/i.test(reason) ? " (check the link's token and the integration module)" : "";
    throw new VoispeedRejectError(
      service,
      reason,
      `VOIspeed refused ${service} for ${what}: ${reason}${hint}`,
      permanent,
    );
  }

  /** The token, should a reply ever echo it, is masked before anything reads or logs the reply. */
  private redact(text: string): string {
    const t = this.opts.token;
    if (!t) return text;
    let out = text.replaceAll(t, "***");
    const encoded = encodeURIComponent(t);
    if (encoded !== t) out = out.replaceAll(encoded, "***");
    return out;
  }

  private async trustSettings(): Promise<TlsTrust> {
    if (this.trust) return this.trust;
    if (this.url.protocol === "http:") this.trust = { kind: "none" };
    else if (this.opts.certificateSha256) this.trust = { kind: "pin", sha256: this.opts.certificateSha256 };
    else if (this.opts.caFile) {
      try {
        this.trust = { kind: "ca", ca: await readFile(this.opts.caFile, "utf8") };
      } catch (err) {
        throw new PbxError(`cannot read caFile ${this.opts.caFile}: ${errorMessage(err)}`, { retryable: false });
      }
    } else throw new PbxError("https URL without certificateSha256 or caFile", { retryable: false });
    return this.trust;
  }
}

/** The query string with the token masked, for the packet log. */
export function maskedQuery(query: URLSearchParams): string {
  const masked = new URLSearchParams();
  for (const [k, val] of query) masked.append(k, k === QUERY_TOKEN ? "***" : val);
  return masked.toString().replaceAll("%2A%2A%2A", "***");
}
