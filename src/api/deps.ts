/** @module api/deps: what the HTTP layer is given; routes call services, never the store directly. */
import type { CtiCallbacks } from "../cti/companion.ts";
import type { LinkStatus } from "../jobs/runner.ts";
import type { LoopLag } from "../lib/loop-lag.ts";
import type { NetworkSet } from "../lib/networks.ts";
import type { ServiceContext } from "../services/context.ts";
import type { DoctorCheck } from "../services/doctor.ts";
import type { PmsMonitor } from "../services/pms-monitor.ts";
import type { VoispeedCallbacks } from "../services/voispeed-events.ts";
import type { MediaCounters } from "../sip/rtp/media-tally.ts";
import type { EndpointLimitStats } from "../sip/ua/endpoint.ts";
import type { SipTraffic } from "../sip/ua/ports.ts";
import type { PortStatus } from "../sip/ua/registration.ts";
import type { Role } from "../store/tokens.ts";
import type { PromptLibrary } from "../voice/prompt-library.ts";

export interface ApiDeps {
  ctx: ServiceContext;
  version: string;
  startedAt: number;
  pms: PmsMonitor;
  pbxStatus(): Promise<LinkStatus[]>;
  /** Switches a PBX link's debug packet log at run time; false for an unknown link. */
  setLinkDebug(name: string, on: boolean): boolean;
  /** SIP port registrations, traffic and media counters; undefined when SIP is off (no PBX configured). */
  sipPorts():
    | { ports: PortStatus[]; traffic: SipTraffic; limits?: EndpointLimitStats; media?: MediaCounters }
    | undefined;
  /** Voice prompts (built-in and uploaded); absent, the prompt routes answer 503. */
  prompts?: PromptLibrary;
  /** `api.allow`; undefined = any address. */
  allow?: NetworkSet;
  /** Counters the API keeps itself (shown by GET /api/v1/health). */
  counters: { requestsRefused: number };
  /**
   * What VOIspeed links call on the appliance (events, IVR script); absent when no VOIspeed link is
   * configured (those URLs then answer 404).
   */
  voispeed?: VoispeedCallbacks;
  /** The CTI server's phone callbacks and status; absent while `companion.listen` is null (404). */
  cti?: CtiCallbacks;
  /** `metrics`: GET /metrics without a token when `public` (default: admin or installer). */
  metrics?: { public: boolean };
  /** The event loop's lag, for GET /metrics. */
  loopLag?: Pick<LoopLag, "lagMs" | "takePeak">;
  /** Runs `bellhop doctor`'s checks against the running appliance (GET /api/v1/doctor); absent: 503. */
  doctor?: () => Promise<DoctorCheck[]>;
  /** Resolves a bearer token to its holder; undefined when unknown or revoked. */
  authenticate(token: string): Promise<{ name: string; role: Role } | undefined>;
}
