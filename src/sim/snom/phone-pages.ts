/**
 * @module sim/snom/phone-pages
 * What a simulated SNOM phone does for its remote-control pages (pages.ts reads the requests; these
 * act on the phone's calls and report in the page's words).
 */
import type { CallBoard } from "./calls.ts";
import type { SnomCall } from "./model.ts";
import type { SaveResult } from "./settings.ts";
import { isPrivateSetting } from "./variables.ts";

/** command.htm?number=: completes a pending transfer to it, else dials it on a free line. */
export function dialRemote(
  calls: CallBoard,
  dial: (number: string) => SnomCall | null,
  number: string,
  outgoingUri: string | null,
): string {
  const tp = calls.live.find((c) => c.transferPending);
  if (tp) {
    calls.blindTransfer(tp, number);
    return `call ${tp.id} transferred to ${number}`;
  }
  const call = dial(number);
  const via = outgoingUri ? ` via ${outgoingUri}` : "";
  return call ? `dialled ${number}${via}: call ${call.id} calling` : `cannot dial ${number}: no free line`;
}

/** command.htm?key_dtmf=: the digits go on the talking call. */
export function sendDtmf(calls: CallBoard, digits: string): string {
  const t = calls.talking();
  if (!t) return `key_dtmf=${digits}: no talking call`;
  t.dtmf += digits;
  return `DTMF ${digits} on call ${t.id}`;
}

/** One line per setting saved, left unchanged or refused; private values show as ***. */
export function saveReport(r: SaveResult, store: boolean): string[] {
  const show = (name: string, v: string | undefined) => (isPrivateSetting(name) && v ? "***" : (v ?? ""));
  const out = r.changed.map((c) => `saved ${c.name}=${show(c.name, c.to)}${store ? " (stored)" : ""}`);
  if (r.unchanged.length) out.push(`unchanged ${r.unchanged.join(", ")}`);
  for (const x of r.refused) out.push(`refused ${x.name}=${x.value}: ${x.why}`);
  return out.length ? out : ["nothing to save"];
}
