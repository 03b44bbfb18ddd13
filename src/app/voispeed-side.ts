/**
 * @module app/voispeed-side
 * What VOIspeed calls on the appliance (events, IVR script) and the call records those events
 * start: the enabled VOIspeed links, each with its key, who may call (callbackNetworks, else the
 * PBX host's address) and its IVR nodes. A call's record is completed from its link's
 * get_call_report / get_user_call_report.
 */
import type { Config } from "../config/schema.ts";
import type { RunnerLink } from "../jobs/runner.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { networkSet } from "../lib/networks.ts";
import { callbackNetworksOf } from "../pbx/voispeed/callbacks.ts";
import type { VoispeedDriver } from "../pbx/voispeed/driver.ts";
import { CallRecorder, type CallReportSource } from "../services/call-records.ts";
import type { ServiceContext } from "../services/context.ts";
import { failPbxJobLater } from "../services/pbx-async.ts";
import { type VoispeedCallbackLink, VoispeedCallbacks } from "../services/voispeed-events.ts";

export interface VoispeedSide {
  callRecords: CallRecorder | undefined;
  voispeed: VoispeedCallbacks | undefined;
}

export async function assembleVoispeed(
  config: Config,
  ctx: ServiceContext,
  logger: Logger,
  runnerLinks: readonly RunnerLink[],
): Promise<VoispeedSide> {
  const links: VoispeedCallbackLink[] = [];
  for (const l of config.pbx.links) {
    if (!l.enabled || l.type !== "voispeed") continue;
    let cidrs: string[] = [];
    try {
      cidrs = await callbackNetworksOf(l);
    } catch (err) {
      // Refuse everyone rather than guess; the error names the host and the key to set.
      logger.error("VOIspeed callbacks refused from everywhere", { link: l.name, error: errorMessage(err) });
    }
    links.push({ name: l.name, notifyKey: l.notifyKey, networks: networkSet(cidrs), ivrNodes: l.ivrNodes });
  }
  if (!links.length) return { callRecords: undefined, voispeed: undefined };
  const reportsOf = (link: string): Pick<VoispeedDriver, "callReport" | "userCallReport"> => {
    const d = runnerLinks.find((r) => r.name === link)?.driver as Partial<VoispeedDriver> | undefined;
    if (!d?.callReport || !d.userCallReport) throw new Error(`link ${link} reads no call reports`);
    return d as VoispeedDriver;
  };
  const reports: CallReportSource = {
    callReport: (link, callId) => reportsOf(link).callReport(callId),
    userCallReport: (link, ext) => reportsOf(link).userCallReport(ext),
  };
  const callRecords = new CallRecorder(ctx, { reports });
  const voispeed = new VoispeedCallbacks(ctx, { links, recorder: callRecords, failJob: failPbxJobLater });
  return { callRecords, voispeed };
}
