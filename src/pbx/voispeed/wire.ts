/**
 * @module pbx/voispeed/wire
 * Everything the VOIspeed link puts on or reads from the wire, in one place (this entry module and its
 * wire-*.ts parts), to be corrected here when a real PBX disagrees: service and parameter names of
 * the SERI endpoint, the XML elements of its replies, the code tables (user modes, entity types,
 * statuses, call outcomes, user and extended events), the parameters of the event and IVR-script
 * calls VOIspeed makes to us, and the reject texts we read as permanent.
 *
 * Source: the VOIspeed Integration Guide (specs/voispeed-24u.md §1). Its "Parameters" tables are all
 * empty, so every parameter name below comes from its examples, descriptions and result XML.
 * UNVERIFIED, to be checked on a real VOIspeed before the first site goes live:
 * - `set_user_mode` modes other than 2 (DND): normal 1, away 3, divert 4 follow the order of the
 *   guide's list "normal, do not disturb, away and divert";
 * - where `service`/`token` go in the `phonebook_import_sync` POST (the query string, as for every
 *   GET) and `verbose_output=1`;
 * - `delete_phonebook`'s `app_name` + `external_contact_id` (the guide names them in the text only);
 * - the call reports' filters: `call_id` for get_call_report and `limit` for get_user_call_report
 *   are guesses (rows are matched by id on our side anyway);
 * - the `cmd_failed` event's error text parameter (third-party webhooks read `error_msg` and
 *   `error_code`), and that it carries `request_id` (the guide says so);
 * - error texts: free-form; the guide shows one ("connection not found").
 *
 * The parts, one concern each: the names and code tables (wire-codes.ts), the request builders
 * (wire-requests.ts), the XML scanner and renderer (wire-xml.ts), the reply readers and reject texts
 * (wire-replies.ts), and the readers of the events VOIspeed sends us (wire-events.ts). The rest of
 * the code imports this module only.
 */
export * from "./wire-codes.ts";
export * from "./wire-events.ts";
export * from "./wire-replies.ts";
export * from "./wire-requests.ts";
export { child, childrenNamed, childText, parseXml, renderResult, type XmlElement, type XmlValue } from "./wire-xml.ts";
