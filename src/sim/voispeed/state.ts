/**
 * @module sim/voispeed/state
 * The PBX the simulator starts with: N room users (ids far from their extensions, so a driver that
 * mixes them up is caught), a SIP terminal each, a reception ring group, one VoIP carrier, the
 * "Hotel services" IVR whose root node follows the script URL (`--ivr`) with an error child (node 1,
 * key 1) and an ok child (node 2, key 2), the keys of the seed's PIN example (its script answers
 * `node_key=2` for a good PIN, `node_key=1` for a bad one) and so of the appliance's default ivrNodes
 * replies, a wake-up IVR that plays a prompt, a company voicemail and a park line.
 * Tests may change any of it through `sim.state` before or between requests.
 */
import {
  type CallReportRow,
  ENTITY,
  type SimContact,
  type SimDevice,
  type SimGateway,
  type SimGroup,
  type SimIvr,
  type SimIvrNode,
  type SimParkLine,
  type SimUser,
  type SimVoicemail,
  type UserCallReportRow,
} from "./model.ts";

export interface VoispeedSimState {
  users: SimUser[];
  groups: SimGroup[];
  gateways: SimGateway[];
  ivrs: SimIvr[];
  devices: SimDevice[];
  voicemails: SimVoicemail[];
  parkLines: SimParkLine[];
  /** By contact_id. */
  contacts: Map<number, SimContact>;
  callReport: CallReportRow[];
  userCallReport: UserCallReportRow[];
}

export const USER_ID_BASE = 1000;
export const DEVICE_ID_BASE = 3000;
export const HOTEL_IVR_ID = 9;
export const WAKEUP_IVR_ID = 10;
export const RECEPTION_GROUP_ID = 5;
export const CARRIER_GATEWAY_ID = 2;

export function node(n: Partial<SimIvrNode> & Pick<SimIvrNode, "node_id" | "parent_id">): SimIvrNode {
  return {
    description: "",
    select_key: "",
    go_back_key: "",
    audio_type: 1,
    audio_message: "",
    audio_loop: 0,
    input_type: 0,
    input_length: 0,
    term_char: "",
    timeout_last_digit: 0,
    waiting_input_time: 10,
    action: 0,
    called_type: null,
    called_id: null,
    called_external_number: "",
    script: "",
    ...n,
  };
}

export function seedState(opts: { users: number; firstExtension: number; ivrUrl: string | null }): VoispeedSimState {
  const users: SimUser[] = [];
  const devices: SimDevice[] = [];
  for (let i = 0; i < opts.users; i++) {
    const ext = String(opts.firstExtension + i);
    const id = USER_ID_BASE + i + 1;
    users.push({
      id,
      name: "Room",
      surname: ext,
      extension: ext,
      email: `room${ext}@hotel.example`,
      chat_status: 2,
      numoffice: "",
      numhome: "",
      nummobile: "",
      numfax: "",
      phrase: "",
      mode: 1,
      divertTo: null,
      inModule: true,
    });
    devices.push({
      id: DEVICE_ID_BASE + i + 1,
      ownerId: id,
      user_agent: "snom D785/10.1.73.16",
      device_type: 2,
      host_port: `10.20.0.${(i % 250) + 2}:5060`,
      registered: 1,
    });
  }
  const hotel: SimIvr = {
    id: HOTEL_IVR_ID,
    name: "Hotel services",
    description: "room status, minibar and wake-up codes",
    number: "500",
    nodes: [
      node({
        node_id: 0,
        parent_id: -1,
        description: "Root",
        audio_message: "enter_code.wav",
        input_type: 3,
        timeout_last_digit: 3,
        action: 3,
        script: opts.ivrUrl ?? "",
      }),
      // The seed's PIN example: key 1 → PIN_ERROR, key 2 → PIN_OK (node ids follow the keys).
      node({ node_id: 1, parent_id: 0, description: "Error", select_key: "1", audio_message: "error.wav" }),
      node({ node_id: 2, parent_id: 0, description: "OK", select_key: "2", audio_message: "ok.wav" }),
    ],
  };
  const wakeup: SimIvr = {
    id: WAKEUP_IVR_ID,
    name: "Wake-up",
    description: "plays the wake-up prompt",
    number: "501",
    nodes: [node({ node_id: 0, parent_id: -1, description: "Wake-up", audio_message: "wakeup.wav" })],
  };
  return {
    users,
    groups: [
      {
        id: RECEPTION_GROUP_ID,
        name: "Reception",
        number: "9",
        is_broadcast: 0,
        visible: 1,
        member_login: 0,
        pick_disabled: 0,
        ring_mode: 1,
        members: users.slice(0, 1).map((u) => u.id),
      },
    ],
    gateways: [
      {
        id: CARRIER_GATEWAY_ID,
        name: "VoIP carrier",
        type: 0,
        enabled: 1,
        link_status: 2,
        lines: 8,
        host_port: "sip.carrier.example:5060",
      },
    ],
    ivrs: [hotel, wakeup],
    devices,
    voicemails: [{ id: 1, vmid: 1, vmname: "Reception", vmcode: "*80", vmtobelisten: 0, rectobelisten: 0 }],
    parkLines: [{ id: 1, linecode: "*71", number: "", name: "", parktime: "", status: 2, note: "", user_id: "" }],
    contacts: new Map(),
    callReport: [],
    userCallReport: [],
  };
}

/** The entity with these coordinates, if the simulator has it. */
export function entityExists(s: VoispeedSimState, type: number, id: number): boolean {
  switch (type) {
    case ENTITY.user:
      return s.users.some((u) => u.id === id);
    case ENTITY.group:
      return s.groups.some((g) => g.id === id);
    case ENTITY.gateway:
      return s.gateways.some((g) => g.id === id);
    case ENTITY.ivr:
      return s.ivrs.some((i) => i.id === id);
    default:
      return false;
  }
}
