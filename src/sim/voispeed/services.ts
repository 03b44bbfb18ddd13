/**
 * @module sim/voispeed/services
 * The services that answer with data (§1.2, §1.4): get_entities, get_call_report,
 * get_user_call_report, get_current_calls and the phonebook's. The asynchronous ones are in
 * commands.ts. Payloads follow the seed's XML: lists of `<call>` directly in `<result>`, entity lists
 * in their container, types 8 and 11 without `<outcome>` unless `entityOutcome` is "always".
 *
 * Decisions: report filters are unknown; we take `call_id` (also `id`/`callid`), `external_id` (also
 * `extid`) and `limit` (newest first: a [3rd] client sends limit=1 for the last call). Entity types 10
 * and 13 have no format in the seed: outcome 0 and nothing else. get_phonebook shows no id, as the
 * seed's example.
 */
import type { CallEngine, SimCall } from "./calls.ts";
import { ENTITY, ServiceError, type SimIvrNode, type SimUser } from "./model.ts";
import type { Phonebook } from "./phonebook.ts";
import { CALL_REPORT_FIELDS, USER_CALL_REPORT_FIELDS } from "./reports.ts";
import type { VoispeedSimState } from "./state.ts";
import { recordNode, type XmlNode } from "./xml.ts";

export interface Reply {
  outcome: "0" | "1" | null;
  payload: XmlNode[];
  /** The seed pads call_request_ext's `<outcome> 0 </outcome>`. */
  padOutcome?: boolean;
  requestId?: string;
  error?: string;
}

export interface ServiceContext {
  state: VoispeedSimState;
  phonebook: Phonebook;
  calls: CallEngine;
  entityOutcome: "seed" | "always";
  /** The user with this extension in the module, else ServiceError. */
  moduleUser(ext: string): SimUser;
  avStatus(u: SimUser): number;
}

export function ok(payload: XmlNode[] = []): Reply {
  return { outcome: "0", payload };
}

export function need(p: Record<string, string>, name: string): string {
  const v = p[name]?.trim();
  if (!v) throw new ServiceError(`missing parameter: ${name}`);
  return v;
}

export function needInt(p: Record<string, string>, name: string): number {
  const v = need(p, name);
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ServiceError(`invalid parameter: ${name}`);
  return n;
}

const USER_FIELDS = [
  "id",
  "name",
  "surname",
  "extension",
  "email",
  "chat_status",
  "av_status",
  "numoffice",
  "numhome",
  "nummobile",
  "numfax",
  "phrase",
] as const;
const GROUP_FIELDS = ["id", "name", "is_broadcast", "visible", "member_login", "pick_disabled", "ring_mode"] as const;
const GATEWAY_FIELDS = ["id", "name", "type", "enabled", "link_status", "lines", "busy_lines", "host_port"] as const;
const NODE_FIELDS = [
  "node_id",
  "parent_id",
  "description",
  "select_key",
  "go_back_key",
  "audio_type",
  "audio_message",
  "audio_loop",
  "input_type",
  "input_length",
  "term_char",
  "timeout_last_digit",
  "waiting_input_time",
  "action",
  "called_type",
  "called_id",
  "called_external_number",
  "script",
] as const satisfies readonly (keyof SimIvrNode)[];
const DEVICE_FIELDS = ["id", "user_agent", "device_type", "host_port", "registered"] as const;
const VOICEMAIL_FIELDS = ["id", "vmid", "vmname", "vmcode", "vmtobelisten", "rectobelisten"] as const;
const PARK_FIELDS = ["id", "linecode", "number", "name", "parktime", "status", "note", "user_id"] as const;
const CURRENT_CALL_FIELDS = [
  "id",
  "start_time",
  "calling_id",
  "calling_type",
  "calling_number",
  "calling_desc",
  "called_id",
  "called_type",
  "called_number",
  "called_desc",
  "connected_id",
  "connected_type",
  "connected_desc",
  "recording",
  "external_id",
  "p2p",
  "codec",
] as const;

export function getEntities(ctx: ServiceContext, p: Record<string, string>): Reply {
  const type = needInt(p, "entity_type");
  const idFilter = p.entity_id?.trim() ? Number(p.entity_id) : null;
  const pick = <T extends { id: number }>(list: T[]) => list.filter((x) => idFilter === null || x.id === idFilter);
  const s = ctx.state;
  switch (type) {
    case ENTITY.user:
      return ok([
        ["users", pick(s.users).map((u) => recordNode("user", { ...u, av_status: ctx.avStatus(u) }, USER_FIELDS))],
      ]);
    case ENTITY.group:
      return ok([
        [
          "groups",
          pick(s.groups).map((g): XmlNode => {
            const members = g.members.flatMap((id) => s.users.filter((u) => u.id === id));
            const users: XmlNode = [
              "users",
              members.map(
                (u): XmlNode => [
                  "user",
                  [
                    ["id", u.id],
                    ["identity", `${u.name} ${u.surname}`],
                    ["extension", u.extension],
                  ],
                ],
              ),
            ];
            const [tag, fields] = recordNode("group", g, GROUP_FIELDS);
            return [tag, [...(fields as XmlNode[]), users]];
          }),
        ],
      ]);
    case ENTITY.gateway:
      return ok([
        [
          "gateways",
          pick(s.gateways).map((g) =>
            recordNode("gateway", { ...g, busy_lines: busyLines(ctx.calls, g.id) }, GATEWAY_FIELDS),
          ),
        ],
      ]);
    case ENTITY.ivr:
      return ok([
        [
          "ivrs",
          pick(s.ivrs).map(
            (i): XmlNode => [
              "ivr",
              [
                ["id", i.id],
                ["name", i.name],
                ["description", i.description],
                ["nodes", i.nodes.map((n) => recordNode("node", n, NODE_FIELDS))],
              ],
            ],
          ),
        ],
      ]);
    case ENTITY.device: {
      // The seed: without owner_id the list is empty, not complete.
      const owner = p.owner_id?.trim() ? Number(p.owner_id) : null;
      const devices = owner === null ? [] : pick(s.devices.filter((d) => d.ownerId === owner));
      return ok([["devices", devices.map((d) => recordNode("device", d, DEVICE_FIELDS))]]);
    }
    case ENTITY.voicemail:
      return {
        outcome: ctx.entityOutcome === "always" ? "0" : null,
        payload: [["voicemails", pick(s.voicemails).map((v) => recordNode("voicemail", v, VOICEMAIL_FIELDS))]],
      };
    case ENTITY.parkLine:
      return {
        outcome: ctx.entityOutcome === "always" ? "0" : null,
        payload: [["lines", pick(s.parkLines).map((l) => recordNode("park_line", l, PARK_FIELDS))]],
      };
    case ENTITY.meetingRoom:
    case ENTITY.department:
      return ok();
    default:
      throw new ServiceError(`invalid parameter: entity_type ${type}`);
  }
}

function busyLines(calls: CallEngine, gatewayId: number): number {
  let n = 0;
  for (const c of calls.current.values()) {
    if ((c.a.type === ENTITY.gateway && c.a.id === gatewayId) || (c.b.type === ENTITY.gateway && c.b.id === gatewayId))
      n++;
  }
  return n;
}

function limited<T>(rows: T[], p: Record<string, string>): T[] {
  const newest = [...rows].reverse();
  const limit = Number(p.limit);
  return p.limit !== undefined && Number.isInteger(limit) && limit >= 0 ? newest.slice(0, limit) : newest;
}

export function getCallReport(ctx: ServiceContext, p: Record<string, string>): Reply {
  const callId = p.call_id ?? p.id ?? p.callid;
  const extid = p.external_id ?? p.extid;
  const rows = ctx.state.callReport.filter(
    (r) => (callId === undefined || String(r.id) === callId.trim()) && (extid === undefined || r.external_id === extid),
  );
  return ok(limited(rows, p).map((r) => recordNode("call", r, CALL_REPORT_FIELDS)));
}

export function getUserCallReport(ctx: ServiceContext, p: Record<string, string>): Reply {
  const u = ctx.moduleUser(need(p, "ext"));
  const callId = p.call_id ?? p.callid ?? p.id;
  const rows = ctx.state.userCallReport.filter(
    (r) => r.my_number === u.extension && (callId === undefined || String(r.callid) === callId.trim()),
  );
  return ok(limited(rows, p).map((r) => recordNode("call", r, USER_CALL_REPORT_FIELDS)));
}

export function getCurrentCalls(ctx: ServiceContext, time: (ms: number) => string): Reply {
  const row = (c: SimCall) => {
    const on = c.state === "active";
    return {
      id: c.callId,
      start_time: time(c.startAt),
      calling_id: c.calling.id,
      calling_type: c.calling.type,
      calling_number: c.calling.number,
      calling_desc: c.calling.desc,
      called_id: c.called.id,
      called_type: c.called.type,
      called_number: c.called.number,
      called_desc: c.called.desc,
      connected_id: on ? c.b.id : "",
      connected_type: on ? c.b.type : "",
      connected_desc: on ? c.b.desc : "",
      recording: c.recording ? 1 : 0,
      external_id: c.extid,
      p2p: 0,
      codec: on ? "PCMA" : "",
    };
  };
  return ok([...ctx.calls.current.values()].map((c) => recordNode("call", row(c), CURRENT_CALL_FIELDS)));
}

export function phonebookService(ctx: ServiceContext, service: string, p: Record<string, string>): Reply | null {
  switch (service) {
    case "add_phonebook":
      return ok([["contact_id", ctx.phonebook.add(p).contactId]]);
    case "update_phonebook":
      ctx.phonebook.update(needInt(p, "contact_id"), p);
      return ok();
    case "delete_phonebook":
      ctx.phonebook.delete(p);
      return ok();
    case "get_phonebook":
      return ok(ctx.phonebook.listXml(p.search ?? ""));
    default:
      return null;
  }
}
