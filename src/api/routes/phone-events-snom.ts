/**
 * @module api/routes/phone-events-snom
 * What SNOM room phones fetch from the appliance besides their action URLs: the check-in welcome
 * page their XML minibrowser is pointed at (pbx/snom/driver.ts pushes `…/snom/welcome/<room>.xml`).
 * No token (a phone cannot hold one): only from `phones.networks`, and only the room's own phone
 * (services/snom.ts). Mounted with the phone events (phone-events.ts).
 */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { WELCOME_PATH, XML_CONTENT_TYPE } from "../../pbx/snom/wire.ts";
import { snomWelcomePage } from "../../services/snom.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { clientAddress } from "./phone-events.ts";

const XML_FILE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,19})\.xml$/;

const Params = v.object({
  file: v.pipe(v.string(), v.regex(XML_FILE, "expected <room>.xml, e.g. 101.xml")),
});

export function snomPhoneRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: `${WELCOME_PATH}/{file}`,
      operationId: "snomWelcomePage",
      summary: "The check-in welcome a SNOM room phone shows (SnomIPPhoneText XML), in the guest's language",
      description:
        "No token: only from `phones.networks` (else 403), and only the room's own phone (its known IP; else 403). " +
        "`file` is the room number and `.xml`. 404 when `snom.welcome` is off, the room is unknown or vacant.",
      tag: "phones",
      roles: "public",
      params: Params,
      responses: { 200: { description: "The SnomIPPhoneText page", mediaType: "text/xml" } },
      handler: async ({ params }, c) => {
        const room = XML_FILE.exec(params.file)?.[1];
        if (!room) throw new AppError("INVALID", "params.file: expected <room>.xml");
        const xml = await snomWelcomePage(ctx, room, clientAddress(c));
        return { bytes: new TextEncoder().encode(xml) as Uint8Array<ArrayBuffer>, contentType: XML_CONTENT_TYPE };
      },
    }),
  ];
}
