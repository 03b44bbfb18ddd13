/** @module services/doctor-check: one doctor check's result, and its line of `bellhop doctor` output. */

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  status: CheckStatus;
  name: string;
  detail: string;
  /** What to do about it; only when not ok. */
  fix?: string;
}

export const ok = (name: string, detail: string): DoctorCheck => ({ status: "ok", name, detail });
export const warn = (name: string, detail: string, fix: string): DoctorCheck => ({ status: "warn", name, detail, fix });
export const fail = (name: string, detail: string, fix: string): DoctorCheck => ({ status: "fail", name, detail, fix });

const LABEL: Record<CheckStatus, string> = { ok: "ok", warn: "warn", fail: "FAIL" };

/** One line: `ok   disk               12.3 GB free (61%) …`; a fix follows a detail that is not ok. */
export function formatCheck(c: DoctorCheck): string {
  const detail = c.fix && c.status !== "ok" ? `${c.detail} — fix: ${c.fix}` : c.detail;
  return `${LABEL[c.status].padEnd(4)} ${c.name.padEnd(18)} ${detail}`.replace(/[\r\n]+/g, " ");
}

export function doctorFailed(checks: readonly DoctorCheck[]): boolean {
  return checks.some((c) => c.status === "fail");
}
