/**
 * @module sim/zoom/routes
 * The Zoom simulator's REST routes: Users, Phone users, common areas, presence, voicemails and role
 * members, with the scopes and rate categories of specs §1.
 */
import type { IncomingMessage } from "node:http";
import { objectBody, paginate, userOut } from "./http.ts";
import { type Category, HttpError, ROLE_WRITE_SCOPES, type SimUser, type ZoomSimState, zerr } from "./model.ts";

export interface SimContext {
  state(): ZoomSimState;
  now(): number;
  auth(req: IncomingMessage, scope: string | readonly string[]): void;
  limit(category: Category): void;
  user(id: string): SimUser;
}

export function zoomApi(
  sim: SimContext,
  req: IncomingMessage,
  method: string,
  url: URL,
  body: unknown,
): { status: number; body?: unknown } {
  const p = url.pathname.slice(3).split("/").filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  const guard = (scope: string | readonly string[], category: Category) => {
    sim.auth(req, scope);
    sim.limit(category);
  };
  // Ids sit at odd positions (/users/{id}/…) or, below /phone, at even ones (/phone/users/{id}/…).
  const isId = (i: number) => (p[0] === "phone" ? i >= 2 && i % 2 === 0 : i % 2 === 1);
  const route = `${method} /${p.map((seg, i) => (isId(i) ? "{id}" : seg)).join("/")}`;
  switch (route) {
    case "GET /users": {
      guard("user:read:list_users:admin", "medium");
      const status = q.get("status") ?? "active";
      const users = [...sim.state().users.values()].filter((u) => u.status === status);
      const pg = paginate(users, q, 30, 300);
      return {
        status: 200,
        body: {
          next_page_token: pg.next,
          page_count: Math.max(1, Math.ceil(users.length / pg.size)),
          page_number: 1,
          page_size: pg.size,
          total_records: users.length,
          users: pg.items.map(userOut),
        },
      };
    }
    case "GET /users/{id}": {
      guard("user:read:user:admin", "light");
      const u = sim.user(p[1]);
      return { status: 200, body: { ...userOut(u), account_id: "sim-account", phone_numbers: [] } };
    }
    case "PATCH /users/{id}": {
      guard("user:update:user:admin", "light");
      const u = sim.user(p[1]);
      const b = objectBody(body);
      for (const k of ["first_name", "last_name", "display_name", "dept"] as const) {
        if (k in b) {
          if (typeof b[k] !== "string") {
            throw new HttpError(400, {
              code: 300,
              message: "Validation Failed.",
              errors: [{ field: k, message: "Invalid field." }],
            });
          }
          u[k] = b[k] as string;
        }
      }
      return { status: 204 };
    }
    case "GET /users/{id}/presence_status": {
      guard("user:read:user:admin", "light");
      const u = sim.user(p[1]);
      return { status: 200, body: { status: u.presence.status } };
    }
    case "PUT /users/{id}/presence_status": {
      guard("user:update:presence_status:admin", "medium");
      const u = sim.user(p[1]);
      const b = objectBody(body);
      const valid = [
        "Away",
        "Do_Not_Disturb",
        "Do_No_Disturb",
        "Available",
        "In_Calendar_Event",
        "Presenting",
        "In_A_Zoom_Meeting",
        "On_A_Call",
      ];
      if (typeof b.status !== "string" || !valid.includes(b.status)) {
        throw new HttpError(400, {
          code: 300,
          message: "Validation Failed.",
          errors: [{ field: "status", message: "Invalid field." }],
        });
      }
      const dnd = b.status === "Do_Not_Disturb" || b.status === "Do_No_Disturb";
      if (dnd && b.duration !== undefined && (typeof b.duration !== "number" || b.duration < 20 || b.duration > 1440)) {
        throw new HttpError(400, {
          code: 300,
          message: "Validation Failed.",
          errors: [{ field: "duration", message: "Invalid field." }],
        });
      }
      const now = sim.now();
      if (u.presence.at !== undefined && now - u.presence.at < 60_000) {
        // The spec states the rule (1 update a minute per user), not Zoom's exact answer.
        throw new HttpError(
          429,
          { code: 429, message: "You can only update the presence status once per minute for the same user." },
          { "Retry-After": String(Math.ceil((60_000 - (now - u.presence.at)) / 1000)) },
        );
      }
      u.presence = {
        status: dnd ? "Do_Not_Disturb" : b.status,
        duration: dnd ? ((b.duration as number | undefined) ?? 20) : undefined,
        at: now,
      };
      return { status: 204 };
    }
    case "POST /roles/{id}/members": {
      // Zoom's "Assign a role" (not in the spec): 201 {ids, add_at}. A user already in the role
      // gets 409 code 409 (our choice; Zoom's answer is undocumented), any other user moves.
      guard(ROLE_WRITE_SCOPES, "light");
      const roleId = p[1];
      if (!sim.state().roles.has(roleId)) throw zerr(404, 404, "Role does not exist.");
      const b = objectBody(body);
      const members = Array.isArray(b.members) ? (b.members as unknown[]) : [];
      if (!members.length || members.length > 30) {
        throw new HttpError(400, {
          code: 300,
          message: "Validation Failed.",
          errors: [{ field: "members", message: "Invalid field." }],
        });
      }
      const users = members.map((m) => {
        const id = (m as { id?: unknown } | null)?.id;
        return sim.user(typeof id === "string" ? id : "");
      });
      if (users.every((u) => u.role_id === roleId)) {
        throw zerr(409, 409, "User is already a member of this role.");
      }
      for (const u of users) u.role_id = roleId;
      return {
        status: 201,
        body: {
          ids: users.map((u) => u.id).join(","),
          add_at: new Date(sim.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
        },
      };
    }
    case "GET /phone/users": {
      guard("phone:read:list_users:admin", "medium");
      const users = [...sim.state().users.values()];
      const pg = paginate(users, q, 30, 100);
      return {
        status: 200,
        body: {
          next_page_token: pg.next,
          page_size: pg.size,
          total_records: users.length,
          users: pg.items.map((u) => ({
            id: u.id,
            phone_user_id: `p${u.id}`,
            name: u.display_name,
            email: u.email,
            extension_id: u.extension_id,
            extension_number: u.extension_number,
            status: "activate",
            activation_status: "activated",
            site: { id: "site1", name: "Main" },
            phone_numbers: [],
            calling_plans: [{ name: "US/CA Metered Calling Plan", type: 100 }],
            department: u.dept,
            cost_center: "",
          })),
        },
      };
    }
    case "GET /phone/common_areas": {
      guard("phone:read:common_area:admin", "medium");
      const cas = [...sim.state().commonAreas.values()];
      const pg = paginate(cas, q, 30, 100);
      return {
        status: 200,
        body: {
          common_areas: pg.items.map((c) => ({
            id: c.id,
            display_name: c.display_name,
            extension_number: c.extension_number,
            status: "online",
            site: { id: "site1", name: "Main" },
            phone_numbers: [],
            calling_plans: [],
            desk_phones: [],
          })),
          next_page_token: pg.next,
          page_size: pg.size,
        },
      };
    }
    case "GET /phone/common_areas/{id}": {
      guard("phone:read:common_area:admin", "light");
      const c = sim.state().commonAreas.get(p[2]);
      if (!c) throw zerr(400, 404, "Common area does not exist.");
      return { status: 200, body: { ...c, status: "online" } };
    }
    case "PATCH /phone/common_areas/{id}": {
      guard("phone:update:common_area:admin", "light");
      const c = sim.state().commonAreas.get(p[2]);
      // Spec §1.5: PATCH answers 400 with code 404 for a missing common area.
      if (!c) throw zerr(400, 404, "Common area does not exist.");
      const b = objectBody(body);
      if (typeof b.display_name === "string") c.display_name = b.display_name;
      if (typeof b.department === "string") c.department = b.department;
      const ic = (b.policy as { international_calling?: { enable?: unknown } } | undefined)?.international_calling;
      if (typeof ic?.enable === "boolean") c.policy.international_calling.enable = ic.enable;
      return { status: 204 };
    }
    case "GET /phone/users/{id}/voice_mails": {
      guard("phone:read:list_voicemails:admin", "medium");
      const u = sim.state().users.get(p[2]);
      if (!u) throw zerr(404, 1001, "User does not exist.");
      const status = q.get("status") ?? "all";
      const all = [...sim.state().voicemails.values()].filter(
        (m) => m.userId === u.id && (status === "all" || m.status === status),
      );
      const pg = paginate(all, q, 30, 300);
      return {
        status: 200,
        body: {
          next_page_token: pg.next,
          page_count: Math.max(1, Math.ceil(all.length / pg.size)),
          page_size: pg.size,
          total_records: all.length,
          voice_mails: pg.items.map((m) => ({
            id: m.id,
            call_id: `call-${m.id}`,
            caller_name: "Caller",
            caller_number: m.caller_number,
            caller_number_type: 2,
            callee_name: u.display_name,
            callee_number: String(u.extension_number),
            callee_number_type: 1,
            date_time: m.date_time,
            duration: 18,
            status: m.status,
            download_url: `http://sim/voicemail/${m.id}`,
          })),
        },
      };
    }
    case "DELETE /phone/voice_mails/{id}": {
      guard("phone:delete:voicemail:admin", "light");
      if (!sim.state().voicemails.delete(p[2])) throw zerr(404, 404, "Voicemail does not exist.");
      return { status: 204 };
    }
    case "GET /phone/devices": {
      guard("phone:read:list_devices:admin", "medium");
      if (q.get("type") !== "assigned" && q.get("type") !== "unassigned") {
        throw new HttpError(400, {
          code: 300,
          message: "Validation Failed.",
          errors: [{ field: "type", message: "Invalid field." }],
        });
      }
      return { status: 200, body: { devices: [], next_page_token: "", page_size: 30, total_records: 0 } };
    }
    default:
      throw zerr(404, 404, `No route for ${method} ${url.pathname}.`);
  }
}
