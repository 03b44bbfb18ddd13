/**
 * @module sim/voispeed/parties
 * Who takes part in a call, as entity coordinates (T1 type, id) with the number used and the leg's
 * entity_call_id. A dialled number reaches a user by extension, a ring group or IVR by its routed
 * number, and anything else goes out through the first enabled gateway (routing rules are not
 * modelled further).
 */
import { ENTITY, SimFailure, type SimUser } from "./model.ts";
import type { VoispeedSimState } from "./state.ts";

export interface Party {
  type: number;
  id: number;
  number: string;
  desc: string;
  user?: SimUser;
  /** Member user ids when the party is a ring group. */
  members?: number[];
  /** entity_call_id of this party's leg (get_user_call_report local_id). */
  localId: number;
}

export class Parties {
  private nextLocalId = 50000;

  constructor(private readonly state: VoispeedSimState) {}

  resolve(number: string): Party {
    const s = this.state;
    const u = s.users.find((x) => x.extension === number);
    if (u) return this.user(u);
    const g = s.groups.find((x) => x.number === number);
    if (g) return { type: ENTITY.group, id: g.id, number, desc: g.name, members: g.members, localId: this.localId() };
    const ivr = s.ivrs.find((x) => x.number === number);
    if (ivr) return { type: ENTITY.ivr, id: ivr.id, number, desc: ivr.name, localId: this.localId() };
    const gw = s.gateways.find((x) => x.enabled === 1) ?? s.gateways[0];
    if (!gw) throw new SimFailure("no lines available");
    return { type: ENTITY.gateway, id: gw.id, number, desc: number, localId: this.localId() };
  }

  /** Coordinates given by a client; an empty number is the entity's own. */
  byCoords(type: number, id: number, number: string): Party {
    const s = this.state;
    if (type === ENTITY.user) {
      const u = s.users.find((x) => x.id === id);
      if (u) return { ...this.user(u), number: number || u.extension };
    }
    const g = type === ENTITY.group ? s.groups.find((x) => x.id === id) : undefined;
    if (g) return { type, id, number: number || g.number, desc: g.name, members: g.members, localId: this.localId() };
    const ivr = type === ENTITY.ivr ? s.ivrs.find((x) => x.id === id) : undefined;
    if (ivr) return { type, id, number: number || ivr.number, desc: ivr.name, localId: this.localId() };
    if (type === ENTITY.gateway && s.gateways.some((x) => x.id === id)) {
      return { type, id, number, desc: number, localId: this.localId() };
    }
    throw new SimFailure(`entity not found: type ${type} id ${id}`);
  }

  user(u: SimUser): Party {
    return {
      type: ENTITY.user,
      id: u.id,
      number: u.extension,
      desc: `${u.name} ${u.surname}`,
      user: u,
      localId: this.localId(),
    };
  }

  private localId(): number {
    return ++this.nextLocalId;
  }
}
