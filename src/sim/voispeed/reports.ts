/**
 * @module sim/voispeed/reports
 * An ended call as report rows: one get_call_report row (its `id` is the communication's call_id,
 * the one call_terminated carries) and one get_user_call_report row per user in it.
 *
 * Decisions: the seed's typos are not reproduced (`call_ref_if`, `connected _id` would not even be
 * XML); gateway_in is the gateway a call came in through and gateway_out the one it left by (the
 * seed's descriptions look swapped); extended `duration` spans the whole call while `talk_time`
 * excludes ringing, hold and time in an IVR (which is `ivr_time`); the user row's `duration` is the
 * talk time, what a charge is made from; `direction` is "out" for the side that placed the call and
 * "in" for a side the PBX rang (both sides of a call_request_ext call); names come from the phonebook
 * for the number, else from the user entity.
 */
import { type Party, type SimCall, talkSeconds } from "./calls.ts";
import { type CallReportRow, ENTITY, PHONE_FIELDS, type UserCallReportRow } from "./model.ts";
import type { VoispeedSimState } from "./state.ts";

export const CALL_REPORT_FIELDS = [
  "id",
  "start_time",
  "duration",
  "outcome",
  "calling_id",
  "calling_type",
  "calling_number",
  "called_id",
  "called_type",
  "called_number",
  "connected_id",
  "connected_type",
  "connected_number",
  "ring_time",
  "hold_time",
  "ivr_time",
  "talk_time",
  "queue_time",
  "call_ref_id",
  "external_id",
  "gateway_in",
  "gateway_out",
  "internal",
] as const satisfies readonly (keyof CallReportRow)[];

export const USER_CALL_REPORT_FIELDS = [
  "id",
  "callid",
  "start_time",
  "answer_time",
  "duration",
  "outcome",
  "direction",
  "my_number",
  "remote_number",
  "local_id",
  "group_name",
  "company",
  "surname",
  "name",
  "remote_company",
  "remote_surname",
  "remote_name",
] as const satisfies readonly (keyof UserCallReportRow)[];

const secs = (ms: number) => Math.max(0, Math.round(ms / 1000));

export class Reports {
  private nextUserRow = 0;

  constructor(
    private readonly state: VoispeedSimState,
    private readonly time: (ms: number) => string,
  ) {}

  add(call: SimCall): void {
    const end = call.endAt ?? call.startAt;
    const answered = call.answerAt !== null;
    const talk = talkSeconds(call, end);
    const inIvr = answered && (call.a.type === ENTITY.ivr || call.b.type === ENTITY.ivr);
    const gw = (p: Party) => (p.type === ENTITY.gateway ? p.id : ("" as const));
    this.state.callReport.push({
      id: call.callId,
      start_time: this.time(call.startAt),
      duration: secs(end - call.startAt),
      outcome: call.outcome,
      calling_id: call.calling.id,
      calling_type: call.calling.type,
      calling_number: call.calling.number,
      called_id: call.called.id,
      called_type: call.called.type,
      called_number: call.called.number,
      connected_id: answered ? call.b.id : "",
      connected_type: answered ? call.b.type : "",
      connected_number: answered ? call.b.number : "",
      ring_time: secs((call.answerAt ?? end) - call.startAt),
      hold_time: secs(call.holdMs),
      ivr_time: inIvr ? talk : 0,
      talk_time: inIvr ? 0 : talk,
      queue_time: 0,
      call_ref_id: call.callRef,
      external_id: call.extid,
      gateway_in: gw(call.calling),
      gateway_out: call.called.type === ENTITY.gateway ? gw(call.called) : gw(call.b),
      internal: call.calling.type === ENTITY.user && call.called.type === ENTITY.user ? 1 : 0,
    });
    const seen = new Set<number>();
    const sides: [Party, Party, "in" | "out"][] = [
      [call.a, call.b, call.twoLeg ? "in" : "out"],
      [call.b, call.a, "in"],
    ];
    // A user the call was diverted away from, or who left by a transfer, had it too.
    if (call.called !== call.b) sides.push([call.called, call.a, "in"]);
    if (call.calling !== call.a) sides.push([call.calling, call.b, call.twoLeg ? "in" : "out"]);
    for (const [me, far, direction] of sides) {
      if (!me.user || seen.has(me.user.id)) continue;
      seen.add(me.user.id);
      const mine = this.names(me);
      const theirs = this.names(far);
      this.state.userCallReport.push({
        id: ++this.nextUserRow,
        callid: call.callId,
        start_time: this.time(call.startAt),
        answer_time: call.answerAt === null ? "" : this.time(call.answerAt),
        duration: me === call.a || me === call.b ? talk : 0,
        outcome: call.outcome,
        direction,
        my_number: me.number,
        remote_number: far.number,
        local_id: me.localId,
        group_name: call.called.type === ENTITY.group ? call.called.desc : "",
        company: mine.company,
        surname: mine.surname,
        name: mine.name,
        remote_company: theirs.company,
        remote_surname: theirs.surname,
        remote_name: theirs.name,
      });
    }
  }

  /** The phonebook's contact for the party's number, else the user entity's name. */
  private names(p: Party): { company: string; surname: string; name: string } {
    if (p.number) {
      for (const c of this.state.contacts.values()) {
        if (PHONE_FIELDS.some((f) => c[f] === p.number))
          return { company: c.company, surname: c.surname, name: c.name };
      }
    }
    if (p.user) return { company: "", surname: p.user.surname, name: p.user.name };
    return { company: "", surname: "", name: "" };
  }
}
