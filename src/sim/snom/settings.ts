/**
 * @module sim/snom/settings
 * The phone's settings (§2.8–2.9): `dummy.htm` / `settings.htm` with `settings=save&name=value…` store
 * every other parameter; `store_settings=save` also marks them stored. On/off settings the simulator
 * acts on (dnd_mode, keyboard_lock, http_scheme) take only `on` or `off`: another value is refused and
 * the old one kept (ours), so a client sending `true` or `1` is caught. Names are not checked: a real
 * phone has hundreds and ignores what it does not know.
 */
import { isPrivateSetting } from "./variables.ts";

const ON_OFF: ReadonlySet<string> = new Set(["dnd_mode", "keyboard_lock", "http_scheme"]);

/** Not settings: the verbs of the save request itself. */
const VERBS: ReadonlySet<string> = new Set(["settings", "store_settings"]);

export interface SaveResult {
  changed: { name: string; from: string | undefined; to: string }[];
  /** Saved with the same value. */
  unchanged: string[];
  refused: { name: string; value: string; why: string }[];
}

export class Settings {
  private readonly values = new Map<string, string>();
  /** What survives a reboot with volatile unstored settings: the start values, stored saves, the phone's own changes. */
  private readonly persisted = new Map<string, string>();

  constructor(initial: Record<string, string>) {
    for (const [k, v] of Object.entries(initial)) {
      this.values.set(k, v);
      this.persisted.set(k, v);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  on(name: string): boolean {
    return this.values.get(name) === "on";
  }

  /** The value is the one a reboot keeps. */
  isStored(name: string): boolean {
    return this.values.has(name) && this.persisted.get(name) === this.values.get(name);
  }

  /** Sets one value from the phone itself (a DND key press): kept, as the phone saves its own state. */
  set(name: string, value: string): void {
    this.values.set(name, value);
    this.persisted.set(name, value);
  }

  save(params: Record<string, string>, store: boolean): SaveResult {
    const r: SaveResult = { changed: [], unchanged: [], refused: [] };
    for (const [name, value] of Object.entries(params)) {
      if (VERBS.has(name)) continue;
      if (ON_OFF.has(name) && value !== "on" && value !== "off") {
        r.refused.push({ name, value, why: "on or off" });
        continue;
      }
      const from = this.values.get(name);
      if (from === value) r.unchanged.push(name);
      else r.changed.push({ name, from, to: value });
      this.values.set(name, value);
      if (store) this.persisted.set(name, value);
    }
    return r;
  }

  /** A reboot: with `volatile`, settings saved without store_settings=save fall back to the kept values. */
  reboot(volatile: boolean): void {
    if (!volatile) return;
    this.values.clear();
    for (const [k, v] of this.persisted) this.values.set(k, v);
  }

  /** Every setting, sorted; private ones masked unless `reveal`. */
  snapshot(reveal = false): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of [...this.values].sort(([a], [b]) => a.localeCompare(b))) {
      out[k] = !reveal && isPrivateSetting(k) && v !== "" ? "***" : v;
    }
    return out;
  }
}
