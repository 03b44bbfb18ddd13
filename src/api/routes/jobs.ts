/** @module api/routes/jobs: the PBX job outbox and the state of each PBX link. */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { writeAuditEntry } from "../../services/audit.ts";
import { getJobs, retryJob } from "../../services/jobs.ts";
import { jobStates } from "../../store/schema/index.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { IdParams, idString, JobList, JobView, LinkList, LinkStatusView, limitString } from "../schemas.ts";

const JobQuery = v.object({
  link: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
  state: v.optional(v.picklist(jobStates)),
  limit: v.optional(limitString()),
  before: v.optional(idString("Only jobs with a smaller id (paging)")),
});

export function jobRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/pbx/jobs",
      operationId: "listJobs",
      summary: "PBX jobs, newest first",
      tag: "pbx",
      roles: ["admin", "installer"],
      query: JobQuery,
      responses: { 200: { description: "Jobs", schema: JobList } },
      handler: async ({ query }) => ({ body: { jobs: await getJobs(ctx, query) } }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/pbx/jobs/{id}/retry",
      operationId: "retryJob",
      summary: "Put a dead or skipped job back in the queue with fresh retries",
      tag: "pbx",
      roles: ["admin", "installer"],
      params: IdParams,
      responses: {
        200: { description: "The job, pending again", schema: JobView },
        409: { description: "The job is pending or done already (CONFLICT)" },
      },
      handler: async ({ params, actor }) => ({ body: await retryJob(ctx, actor, params.id) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pbx/links",
      operationId: "listLinks",
      summary: "State, queue depth and capabilities of each PBX link",
      tag: "pbx",
      roles: ["admin", "installer"],
      responses: { 200: { description: "Links", schema: LinkList } },
      handler: async () => ({ body: { links: await deps.pbxStatus() } }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/pbx/links/{name}",
      operationId: "updateLink",
      summary: "Switch a link's debug packet log on or off, at once, without a restart",
      description: "Secrets and tokens are masked in the packet log.",
      tag: "pbx",
      roles: ["admin", "installer"],
      params: v.strictObject({ name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)) }),
      body: v.strictObject({ debug: v.boolean() }),
      responses: { 200: { description: "The link after the change", schema: LinkStatusView } },
      handler: async ({ params, body, actor }) => {
        if (!deps.setLinkDebug(params.name, body.debug)) {
          throw new AppError("NOT_FOUND", `no PBX link named ${params.name}`);
        }
        await writeAuditEntry(deps.ctx, {
          actor,
          action: "pbx-link-debug",
          after: { link: params.name, debug: body.debug },
        });
        const link = (await deps.pbxStatus()).find((l) => l.name === params.name);
        return { body: link };
      },
    }),
  ];
}
