/** @module sim/zoom/model: the Zoom simulator's data, options and error type. */

export const ALL_SCOPES = [
  "user:read:user:admin",
  "user:read:list_users:admin",
  "user:update:user:admin",
  "phone:read:list_devices:admin",
  "phone:read:device:admin",
  "phone:read:list_users:admin",
  "phone:update:device:admin",
  "user:update:presence_status:admin",
  "phone:read:list_voicemails:admin",
  "phone:delete:voicemail:admin",
  "phone:read:common_area:admin",
  "phone:update:common_area:admin",
  "role:write:admin",
] as const;

/** Either scope lets a token assign roles (macro and granular name). */
export const ROLE_WRITE_SCOPES = ["role:write:admin", "role:write:member:admin"] as const;

export type Category = "light" | "medium" | "heavy";

export interface SimClient {
  clientId: string;
  clientSecret: string;
  accountId: string;
  scopes: readonly string[];
}

export interface ZoomSimOptions {
  /** Users with phone extensions `firstExtension`, +1, … (default 10 from 101). */
  users?: number;
  firstExtension?: number;
  /** Common areas with extensions `firstCommonAreaExtension`, +1, … (default 0 from 201). */
  commonAreas?: number;
  firstCommonAreaExtension?: number;
  /** Voicemails seeded per user (default 0). */
  voicemailsPerUser?: number;
  clients?: SimClient[];
  /** Requests a second per category (Zoom Phone Pro: light 20, medium 10, heavy 5). */
  rate?: Partial<Record<Category, number>>;
  /** Requests a UTC day for the whole account (default: none). */
  dailyLimit?: number;
  /** Token lifetime (default 3599 s, as Zoom). */
  tokenTtlSeconds?: number;
  /**
   * Role ids that exist besides the Owner role "0" (default ["1", "2"]: Admin, Member). Custom role
   * ids for class of service go here.
   */
  roles?: string[];
  /** Time source (tests pass their fake clock). */
  now?: () => number;
}

export interface SimUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  display_name: string;
  dept: string;
  type: number;
  status: string;
  role_id: string;
  extension_id: string;
  extension_number: number;
  presence: { status: string; duration?: number; at?: number };
}

export interface SimCommonArea {
  id: string;
  display_name: string;
  extension_number: number;
  department: string;
  policy: { international_calling: { enable: boolean } };
}

export interface SimVoicemail {
  id: string;
  userId: string;
  caller_number: string;
  date_time: string;
  status: string;
}

export interface SimRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
  at: number;
}

export interface ZoomSimState {
  users: Map<string, SimUser>;
  commonAreas: Map<string, SimCommonArea>;
  /** Role ids of the account ("0" Owner always). */
  roles: Set<string>;
  voicemails: Map<string, SimVoicemail>;
  tokens: Map<string, { expiresAt: number; scopes: Set<string> }>;
  /** Requests counted against the daily limit today. */
  daily: { day: string; count: number };
}

export const DEFAULT_CLIENT: SimClient = {
  clientId: "sim-client",
  clientSecret: "sim-secret",
  accountId: "sim-account",
  scopes: ALL_SCOPES,
};

export const DEFAULT_RATE: Record<Category, number> = { light: 20, medium: 10, heavy: 5 };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export function zerr(status: number, code: number, message: string): HttpError {
  return new HttpError(status, { code, message });
}
