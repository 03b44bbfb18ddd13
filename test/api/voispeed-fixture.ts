/** The staff API fixture with VOIspeed callbacks: one link `vs1`, fake call reports, a cmd_failed spy. */
import type { Logger } from "../../src/lib/logger.ts";
import { networkSet } from "../../src/lib/networks.ts";
import {
  CallRecorder,
  type CallReportFacts,
  type CallReportSource,
  type UserCallReportFacts,
} from "../../src/services/call-records.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import {
  type FailPbxJobLater,
  type VoispeedCallbackLink,
  VoispeedCallbacks,
} from "../../src/services/voispeed-events.ts";
import type { IvrNodeSetting } from "../../src/services/voispeed-ivr.ts";
import { type ApiFixture, withApi } from "./fixture.ts";

export const KEY = "s3cret-Notify-Key-9f2";
/** The PBX, inside callbackNetworks. */
export const PBX = "10.9.0.5";
/** A host on the LAN, outside them. */
export const STRANGER = "10.20.0.99";

/** A get_call_report row as the driver reads it: nothing set but what is given. */
export function ssnRow(r: Partial<CallReportFacts> & { id: string }): CallReportFacts {
  return {
    startTime: "",
    duration: undefined,
    outcome: undefined,
    callingType: undefined,
    callingNumber: "",
    calledType: undefined,
    calledNumber: "",
    connectedType: undefined,
    connectedNumber: "",
    ringTime: undefined,
    ivrTime: undefined,
    talkTime: undefined,
    queueTime: undefined,
    gatewayIn: "",
    gatewayOut: "",
    internal: undefined,
    ...r,
  };
}

/** A get_user_call_report row as the driver reads it. */
export function userRow(r: Partial<UserCallReportFacts> & { callId: string }): UserCallReportFacts {
  return {
    id: "",
    startTime: "",
    answerTime: "",
    duration: undefined,
    outcome: undefined,
    direction: "",
    myNumber: "",
    remoteNumber: "",
    localId: "",
    ...r,
  };
}

/** get_call_report and get_user_call_report rows the PBX "has", by call id and by extension. */
export class FakeReports implements CallReportSource {
  readonly ssn: CallReportFacts[] = [];
  readonly user = new Map<string, UserCallReportFacts[]>();
  calls: string[] = [];
  /** Errors to throw on the next requests. */
  failures: string[] = [];

  async callReport(link: string, callId: string): Promise<readonly CallReportFacts[]> {
    this.calls.push(`${link} get_call_report ${callId}`);
    const f = this.failures.shift();
    if (f) throw new Error(f);
    return this.ssn.filter((r) => r.id.trim() === callId);
  }

  async userCallReport(link: string, ext: string): Promise<readonly UserCallReportFacts[]> {
    this.calls.push(`${link} get_user_call_report ${ext}`);
    const f = this.failures.shift();
    if (f) throw new Error(f);
    return this.user.get(ext) ?? [];
  }
}

export interface VoispeedFixture extends ApiFixture {
  callbacks: VoispeedCallbacks;
  recorder: CallRecorder;
  reports: FakeReports;
  failed: { link: string; ref: string; error: string }[];
  /** GET …/events with these parameters (the key added unless `key` is given, null = none). */
  event(params: Record<string, string>, opts?: { from?: string; key?: string | null; link?: string }): Promise<Answer>;
  ivr(params: Record<string, string>, opts?: { from?: string; key?: string | null; link?: string }): Promise<Answer>;
}

export interface Answer {
  status: number;
  text: string;
  contentType: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON shapes
  json(): any;
}

export async function withVoispeed(
  fn: (f: VoispeedFixture) => Promise<void>,
  opts: {
    ivrNodes?: Record<string, IvrNodeSetting>;
    logger?: Logger;
    failJob?: FailPbxJobLater;
    withoutReports?: boolean;
  } = {},
): Promise<void> {
  await withApi(
    async (api) => {
      const reports = new FakeReports();
      const recorder = new CallRecorder(api.ctx, opts.withoutReports ? {} : { reports });
      const failed: VoispeedFixture["failed"] = [];
      const link: VoispeedCallbackLink = {
        name: "vs1",
        notifyKey: KEY,
        networks: networkSet(["10.9.0.0/29"]),
        ivrNodes: opts.ivrNodes ?? { "9/0": "housekeeping", "9/1": "wakeup", "9/2": "minibar" },
      };
      const callbacks = new VoispeedCallbacks(api.ctx, {
        links: [link],
        recorder,
        failJob:
          opts.failJob ??
          (async (_ctx, l, ref, error) => {
            failed.push({ link: l, ref, error });
            return ref === "404" ? "unknown" : "reopened";
          }),
      });
      api.deps.voispeed = callbacks;
      recorder.start();
      // Rooms 101 and 102 (extensions 2101, 2102); 103 keeps its number as extension.
      await defineRoom(api.ctx, "api:installer", "101", { extension: "2101" });
      await defineRoom(api.ctx, "api:installer", "102", { extension: "2102" });
      await defineRoom(api.ctx, "api:installer", "103", {});
      const get = async (
        what: "events" | "ivr",
        params: Record<string, string>,
        o: { from?: string; key?: string | null; link?: string } = {},
      ): Promise<Answer> => {
        const q = new URLSearchParams();
        if (o.key !== null) q.set("key", o.key ?? KEY);
        for (const [k, v] of Object.entries(params)) q.set(k, v);
        const env = { remoteAddress: o.from ?? PBX };
        const res = await api.app.request(`/api/v1/pbx/voispeed/${o.link ?? "vs1"}/${what}?${q}`, {}, env);
        const text = await res.text();
        return { status: res.status, text, contentType: res.headers.get("content-type"), json: () => JSON.parse(text) };
      };
      try {
        await fn({
          ...api,
          callbacks,
          recorder,
          reports,
          failed,
          event: (p, o) => get("events", p, o),
          ivr: (p, o) => get("ivr", p, o),
        });
      } finally {
        await recorder.stop();
      }
    },
    { logger: opts.logger },
  );
}
