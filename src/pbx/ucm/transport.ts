/**
 * @module pbx/ucm/transport
 * One JSON POST to the UCM over the shared pinned-certificate HTTP client (`pbx/http.ts`, where the
 * certificate is checked before any byte of the request is written). The trust helpers are
 * re-exported for the UCM config, driver and simulator.
 */
import { type HttpResult, httpRequest, type TlsTrust } from "../http.ts";

export { certificateSha256, type HttpResult, normalizeFingerprint, parseResponse, type TlsTrust } from "../http.ts";

export function postJson(url: URL, body: string, trust: TlsTrust, timeoutMs: number): Promise<HttpResult> {
  return httpRequest({
    method: "POST",
    url,
    headers: { "Content-Type": "application/json;charset=UTF-8", Accept: "application/json" },
    body,
    trust,
    timeoutMs,
    peer: "UCM",
  });
}
