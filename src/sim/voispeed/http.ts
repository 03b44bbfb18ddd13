/**
 * @module sim/voispeed/http
 * Reading a request: the raw body, the query string's parameters (a repeated one: the last wins, as
 * in PHP's $_GET, which the seed's endpoint is), and phonebook_import_sync's multipart form, parsed
 * with the Web `Response.formData()` that Bun, Deno and Node share.
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { ServiceError } from "./model.ts";

export function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function queryParams(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}

/** The text fields of a multipart/form-data body (a file part is read as text). */
export async function multipartFields(body: Buffer, contentType: string): Promise<Record<string, string>> {
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw new ServiceError("phonebook_import_sync wants a multipart/form-data body");
  }
  const form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } })
    .formData()
    .catch(() => {
      throw new ServiceError("malformed multipart/form-data body");
    });
  const out: Record<string, string> = {};
  for (const [k, v] of form.entries()) {
    out[k] = typeof v === "string" ? v : await (v as Blob).text();
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
