/**
 * @module sim/snom/pages
 * The phone's HTTP pages (§2.8–2.9). Every page answers 200 text/html (clients ignore the body);
 * an unknown page is 404. Query parameters are applied in the order sent. What each request did is
 * added to its log record's `effects`; unknown keys also to `unknownKeys`.
 *
 * - /command.htm: key=…, number=…&outgoing_uri=…, key_dtmf=…, RELEASE_ALL_CALLS, LOGOFFALL,
 *   LOGOFFLINE=n, REREGISTER=n (n = identity 1…12).
 * - /dummy.htm, /settings.htm: settings=save&name=value…[&store_settings=save]. Without
 *   settings=save nothing is stored (ours: that parameter is what makes SNOM save).
 * - /minibrowser.htm?url=…: the phone fetches the URL (after answering: the fetch is in `fetches`).
 * - /line_login.htm?PLAY_RINGER:X=+Ringer (X = 1…9): the ringer is played (recorded).
 * - /advanced_update.htm?reboot=Reboot: answered, then the phone reboots (calls dropped, listener
 *   closed for `rebootMs`, then action_setup_url and action_log_on_url).
 * - /index.htm?misseddel=clear|dialeddel=clear|receiveddel=clear: clears that call list.
 */
import { parseKeys } from "./keys.ts";
import type { SnomRequest } from "./model.ts";

/** What the pages need of the phone. */
export interface PagePhone {
  pressKey(key: string): string;
  dialRemote(number: string, outgoingUri: string | null): string;
  sendDtmf(digits: string): string;
  releaseAll(): string;
  logOff(identity: number | "all"): string;
  reRegister(identity: number): string;
  saveSettings(params: Record<string, string>, store: boolean): string[];
  openMinibrowser(url: string): string;
  playRinger(ringer: number): string;
  clearList(list: "missed" | "dialed" | "received"): string;
  reboot(): void;
}

export interface PageResult {
  status: number;
  body: string;
  /** Runs once the answer is sent (reboot). */
  after?: () => void;
}

const html = (title: string) => `<html><head><title>${title}</title></head><body>OK</body></html>\n`;
const ok = (title = "snom"): PageResult => ({ status: 200, body: html(title) });

function identityNumber(v: string): number | null {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 12 ? n : null;
}

export function servePage(phone: PagePhone, path: string, query: URLSearchParams, rec: SnomRequest): PageResult {
  const effects = rec.effects;
  switch (path) {
    case "/":
    case "/index.htm": {
      for (const [k, v] of query) {
        const list = { misseddel: "missed", dialeddel: "dialed", receiveddel: "received" }[k] as
          | "missed"
          | "dialed"
          | "received"
          | undefined;
        if (list && v === "clear") effects.push(phone.clearList(list));
        else effects.push(`${k}=${v}: ignored`);
      }
      return ok();
    }
    case "/command.htm":
      command(phone, query, rec);
      return ok();
    case "/dummy.htm":
    case "/settings.htm": {
      const params = Object.fromEntries(query);
      if (params.settings !== "save") {
        if (query.size > 0) effects.push("nothing saved: no settings=save");
        return ok();
      }
      effects.push(...phone.saveSettings(params, params.store_settings === "save"));
      return ok();
    }
    case "/minibrowser.htm": {
      const url = query.get("url");
      effects.push(url ? phone.openMinibrowser(url) : "no url");
      return ok();
    }
    case "/line_login.htm": {
      for (const [k] of query) {
        const m = /^PLAY_RINGER:(\d)$/.exec(k);
        const n = m ? Number(m[1]) : 0;
        effects.push(n >= 1 && n <= 9 ? phone.playRinger(n) : `${k}: ignored`);
      }
      return ok();
    }
    case "/advanced_update.htm": {
      if (query.get("reboot") !== "Reboot") {
        effects.push("no reboot=Reboot");
        return ok();
      }
      effects.push("rebooting");
      return { ...ok(), after: () => phone.reboot() };
    }
    default:
      effects.push("no such page");
      return { status: 404, body: "<html><body>Not Found</body></html>\n" };
  }
}

function command(phone: PagePhone, query: URLSearchParams, rec: SnomRequest): void {
  const effects = rec.effects;
  const outgoingUri = query.get("outgoing_uri");
  for (const [k, v] of query) {
    switch (k) {
      case "key":
        for (const ev of parseKeys(v)) {
          if (!ev.known) {
            rec.unknownKeys.push(ev.key);
            effects.push(`${ev.problem}: ignored`);
          } else effects.push(`key ${ev.key}: ${phone.pressKey(ev.key)}`);
        }
        break;
      case "number":
        effects.push(v ? phone.dialRemote(v, outgoingUri) : "number: empty");
        break;
      case "outgoing_uri":
        if (!query.has("number")) effects.push("outgoing_uri without number: ignored");
        break;
      case "key_dtmf":
        effects.push(phone.sendDtmf(v));
        break;
      case "RELEASE_ALL_CALLS":
        effects.push(phone.releaseAll());
        break;
      case "LOGOFFALL":
        effects.push(phone.logOff("all"));
        break;
      case "LOGOFFLINE":
      case "REREGISTER": {
        const n = identityNumber(v);
        if (n === null) effects.push(`${k}=${v}: identity 1…12 expected`);
        else effects.push(k === "LOGOFFLINE" ? phone.logOff(n) : phone.reRegister(n));
        break;
      }
      default:
        effects.push(`${k}: ignored`);
    }
  }
  if (query.size === 0) effects.push("nothing to do");
}
