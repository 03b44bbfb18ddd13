/**
 * @module sim/snom/minibrowser
 * The XML minibrowser (§2.8–2.9, "XML Minibrowser" [official]): `minibrowser.htm?url=` makes the phone
 * GET that URL and show the object. Modelled: SnomIPPhoneText (Title, Text), SnomIPPhoneMenu
 * (MenuItem Name/URL), SnomIPPhoneSilent (no screen), SoftKeyItem (Name = the key, e.g. F1; Label =
 * its text, Name when absent; URL), `<fetch mil="…">URL</fetch>` (also `<Fetch>`: both spellings are
 * in SNOM's docs) fetched after that many ms while the screen is still shown, and
 * `<Led number="N" color="…">On|Off|blink|blinkfast|blinkslow</Led>` (`Off` hands the LED back: it
 * is forgotten). `snom://mb_exit` closes the screen, `snom://mb_nop` does nothing. Other objects are
 * shown by name and title with a warning. A failed or malformed fetch leaves the screen as it was.
 * Fetches run one at a time, in order (ours), from the phone's own address (outbound.ts).
 */
import { withoutUserInfo } from "./actions.ts";
import { phoneGet } from "./outbound.ts";
import { child, childText, parseXml, type XmlElement } from "./xml.ts";

export interface SoftKey {
  /** The key: F1…F4, or whatever the document names. */
  name: string;
  label: string;
  url: string;
}

export interface Screen {
  object: string;
  title: string;
  text: string;
  softkeys: SoftKey[];
  items: { name: string; url: string }[];
  /** A pending `<fetch>`: the URL and its delay. */
  fetch: { ms: number; url: string } | null;
  /** The URL the screen came from (relative URLs resolve against it). */
  source: string;
}

export type LedMode = "on" | "blink" | "blinkfast" | "blinkslow";

export interface LedState {
  number: number;
  color: string;
  mode: LedMode;
}

export type FetchReason = "push" | "softkey" | "item" | "fetch";

export interface BrowserFetch {
  seq: number;
  at: number;
  url: string;
  reason: FetchReason;
  status: number | null;
  /** The object fetched (root element), when parsed. */
  object?: string;
  error?: string;
  warnings: string[];
}

const LED_MODES: readonly string[] = ["on", "off", "blink", "blinkfast", "blinkslow"];

export class Minibrowser {
  screen: Screen | null = null;
  readonly leds = new Map<number, LedState>();
  readonly fetches: BrowserFetch[] = [];
  onFetch?: (f: BrowserFetch) => void;
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number,
    /** The address the phone listens on (fetches go out from it); undefined: any. */
    private readonly listenHost: () => string | undefined = () => undefined,
  ) {}

  /** Queues a GET of `url` (resolved against the current screen) and shows what comes back. */
  open(url: string, reason: FetchReason): Promise<void> {
    this.chain = this.chain.then(() => this.load(url, reason));
    return this.chain;
  }

  /** Presses a softkey by key name (F1) or label (OK), or by index from 0. */
  pressSoftKey(which: string | number): Promise<void> {
    const keys = this.screen?.softkeys ?? [];
    const k =
      typeof which === "number"
        ? keys[which]
        : (keys.find((s) => s.name === which) ?? keys.find((s) => s.label === which));
    if (!k) return Promise.reject(new Error(`no softkey ${which} on the screen`));
    return this.open(k.url, "softkey");
  }

  /** Selects a menu item by index from 0 or by name. */
  selectItem(which: string | number): Promise<void> {
    const items = this.screen?.items ?? [];
    const it = typeof which === "number" ? items[which] : items.find((s) => s.name === which);
    if (!it) return Promise.reject(new Error(`no menu item ${which} on the screen`));
    return this.open(it.url, "item");
  }

  exit(): void {
    this.setScreen(null);
  }

  /** Everything forgotten (reboot); pending fetches still finish but are not shown. */
  reset(): void {
    this.setScreen(null);
    this.leds.clear();
  }

  idle(): Promise<void> {
    return this.chain;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private setScreen(s: Screen | null): void {
    this.close();
    this.screen = s;
    const f = s?.fetch;
    if (!f) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.screen === s) void this.open(f.url, "fetch");
    }, f.ms);
  }

  private resolve(url: string): string {
    const base = this.screen?.source;
    if (URL.canParse(url)) return url;
    if (base && URL.canParse(url, base)) return new URL(url, base).toString();
    return url;
  }

  private async load(rawUrl: string, reason: FetchReason): Promise<void> {
    const url = this.resolve(rawUrl.trim());
    const f: BrowserFetch = { seq: ++this.seq, at: this.now(), url, reason, status: null, warnings: [] };
    try {
      if (url.startsWith("snom://")) {
        if (url === "snom://mb_exit") this.exit();
        else if (url !== "snom://mb_nop") f.warnings.push(`${url} is not modelled`);
        return;
      }
      const { url: target, headers } = withoutUserInfo(url);
      const res = await phoneGet(target, { headers, timeoutMs: this.timeoutMs, listenHost: this.listenHost() });
      const body = res.body;
      f.status = res.status;
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
      const doc = parseXml(body);
      f.object = doc.name;
      this.show(doc, url, f.warnings);
    } catch (err) {
      f.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.fetches.push(f);
      this.onFetch?.(f);
    }
  }

  private show(doc: XmlElement, source: string, warnings: string[]): void {
    this.applyLeds(doc, warnings);
    const softkeys = doc.children
      .filter((c) => c.name === "SoftKeyItem")
      .map((c) => {
        const name = childText(c, "Name");
        return { name, label: childText(c, "Label") || name, url: childText(c, "URL") };
      });
    const items = doc.children
      .filter((c) => c.name === "MenuItem")
      .map((c) => ({ name: childText(c, "Name"), url: childText(c, "URL") }));
    const fetchEl = child(doc, "fetch", "Fetch");
    let fetch: Screen["fetch"] = null;
    if (fetchEl) {
      const ms = Number(fetchEl.attrs.mil ?? "0");
      if (Number.isInteger(ms) && ms >= 0) fetch = { ms, url: fetchEl.text.trim() };
      else warnings.push(`fetch mil="${fetchEl.attrs.mil}" is not a number`);
    }
    if (!["SnomIPPhoneText", "SnomIPPhoneMenu", "SnomIPPhoneSilent"].includes(doc.name)) {
      warnings.push(`${doc.name} is shown by title only`);
    }
    if (doc.name === "SnomIPPhoneSilent") {
      // Nothing shown; a fetch in it still runs.
      if (fetch) void this.open(fetch.url, "fetch");
      return;
    }
    const text = child(doc, "Text")?.text.trim() ?? "";
    this.setScreen({ object: doc.name, title: childText(doc, "Title"), text, softkeys, items, fetch, source });
  }

  private applyLeds(doc: XmlElement, warnings: string[]): void {
    for (const led of doc.children.filter((c) => c.name === "Led")) {
      const number = Number(led.attrs.number);
      const mode = led.text.trim().toLowerCase();
      if (!Number.isInteger(number) || number < 0 || !LED_MODES.includes(mode)) {
        warnings.push(`Led number="${led.attrs.number ?? ""}" "${led.text.trim()}" ignored`);
        continue;
      }
      if (mode === "off") this.leds.delete(number);
      else this.leds.set(number, { number, color: led.attrs.color ?? "green", mode: mode as LedMode });
    }
  }
}
