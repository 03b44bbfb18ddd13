/**
 * @module api/app
 * The staff API: JSON over HTTP, Hono on web standards only (served elsewhere through `app.fetch`).
 * Every route is declared in the registry (routes/*.ts); /openapi.json is generated from it.
 *
 * Who may do what (bearer tokens; a token has one role). Guest names are personal data, so every
 * read needs a token too; only the health check and the API document are public.
 *
 * | Endpoint                                   | admin | installer | frontdesk | housekeeping        |
 * |--------------------------------------------|-------|-----------|-----------|---------------------|
 * | GET  /api/v1/health, GET /openapi.json     | public (no token)                                   |
 * | GET  /api/v1/rooms, /api/v1/rooms/{room}   |  yes  |    yes    |    yes    |    yes              |
 * | PUT  /api/v1/rooms/{room}                  |  yes  |    yes    |     -     |     -               |
 * | POST /api/v1/rooms/{room}/checkin|checkout|move | yes |   -     |    yes    |     -               |
 * | PATCH /api/v1/rooms/{room}                 |  yes  |     -     |    yes    | `housekeeping` only |
 * | GET  /api/v1/rooms/{room}/messages, POST …/messages/{id}/retrieved | yes | - | yes | -  |
 * | GET  /api/v1/phone-events/snom|yealink, POST …/polycom | no token; only from phones.networks   |
 * | GET  /api/v1/sip/ports, POST /api/v1/mwi/refresh |  yes  |  yes  |    yes    |     -               |
 * | GET  /api/v1/wakeups                       |  yes  |    yes    |    yes    |     -               |
 * | POST /api/v1/wakeups, DELETE /wakeups/{id} |  yes  |     -     |    yes    |     -               |
 * | GET  /api/v1/pbx/jobs, /api/v1/pbx/links   |  yes  |    yes    |     -     |     -               |
 * | POST /api/v1/pbx/jobs/{id}/retry           |  yes  |    yes    |     -     |     -               |
 * | GET  /api/v1/pms                           |  yes  |    yes    |     -     |     -               |
 * | POST /api/v1/pms/resync                    |  yes  |    yes    |    yes    |     -               |
 * | GET  /api/v1/audit                         |  yes  |    yes    |     -     |     -               |
 * | GET  /api/v1/prompts, /prompts/{lang}/{id} |  yes  |    yes    |    yes    |     -               |
 * | PUT, DELETE /api/v1/prompts/{lang}/{id}    |  yes  |    yes    |     -     |     -               |
 * | GET  /api/v1/rooms/{room}/voicemail, /api/v1/voicemail/archive | yes | - | yes | -          |
 * | GET  /api/v1/voicemail/messages/{id}/audio, DELETE …/messages/{id} (audited) | yes | - | yes | - |
 * | GET  /api/v1/pbx/voispeed/{link}/events|ivr | no token; the link's key, only from its callbackNetworks |
 * | GET  /api/v1/calls                         |  yes  |    yes    |    yes    |     -               |
 * | POST /api/v1/rooms/{room}/postings, GET /api/v1/postings(/{id}), POST …/{id}/retry | yes | yes | yes | - |
 * | GET  /api/v1/cti                           |  yes  |    yes    |     -     |     -               |
 * | GET  /api/v1/cti/snom/{ext}/{event}        | no token; only from that extension's phone          |
 * | GET  /api/v1/doctor                        |  yes  |    yes    |     -     |     -               |
 * | GET  /metrics                              |  yes  |    yes    |     -     |     -  (public with metrics.public) |
 *
 * No token or an unknown/revoked one: 401. A role not in the row: 403. Services record the caller as
 * `api:<token name>`.
 */
import { Hono } from "hono";
import { LogBudget } from "../lib/log-budget.ts";
import type { ApiDeps } from "./deps.ts";
import { errorJson, handleError } from "./errors.ts";
import { apiMetrics } from "./metrics.ts";
import { allowFrom } from "./middleware/allow.ts";
import { countRequests } from "./middleware/metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import { mountRoutes, type Route } from "./registry.ts";
import { auditRoutes } from "./routes/audit.ts";
import { callRoutes } from "./routes/calls.ts";
import { ctiRoutes } from "./routes/cti.ts";
import { doctorRoutes } from "./routes/doctor.ts";
import { healthRoutes } from "./routes/health.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { messageRoutes } from "./routes/messages.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { mwiRoutes } from "./routes/mwi.ts";
import { phoneEventRoutes } from "./routes/phone-events.ts";
import { pmsRoutes } from "./routes/pms.ts";
import { postingRoutes } from "./routes/postings.ts";
import { promptRoutes } from "./routes/prompts.ts";
import { roomRoutes } from "./routes/rooms.ts";
import { sipRoutes } from "./routes/sip.ts";
import { voicemailRoutes } from "./routes/voicemail.ts";
import { voispeedRoutes } from "./routes/voispeed.ts";
import { wakeupRoutes } from "./routes/wakeups.ts";

/** All routes, in document order. */
export function apiRoutes(deps: ApiDeps): Route[] {
  let doc: unknown;
  const openapi = () => {
    doc ??= buildOpenApi(routes, { version: deps.version });
    return doc;
  };
  const routes: Route[] = [
    ...healthRoutes(deps, openapi),
    ...roomRoutes(deps),
    ...messageRoutes(deps),
    ...voicemailRoutes(deps),
    ...phoneEventRoutes(deps),
    ...sipRoutes(deps),
    ...mwiRoutes(deps),
    ...wakeupRoutes(deps),
    ...promptRoutes(deps),
    ...jobRoutes(deps),
    ...voispeedRoutes(deps),
    ...callRoutes(deps),
    ...postingRoutes(deps),
    ...ctiRoutes(deps),
    ...pmsRoutes(deps),
    ...auditRoutes(deps),
    ...doctorRoutes(deps),
    ...metricsRoutes(deps),
  ];
  return routes;
}

export function createApi(deps: ApiDeps): Hono {
  const logger = deps.ctx.logger.child({ component: "api" });
  const app = new Hono();

  app.onError((err, c) => handleError(err, c, logger));
  app.notFound((c) => errorJson(c, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`));

  const budget = new LogBudget(logger, deps.ctx.clock);
  app.use(countRequests(apiMetrics(deps)));
  app.use(
    allowFrom(deps.allow, (address) => {
      deps.counters.requestsRefused++;
      budget.warn("api-refused", "API request from an address not in api.allow refused", { address });
    }),
  );
  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    // Responses carry guest names: never cached, never sniffed. No headers are logged.
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
    logger.debug("API request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - t0),
      principal: c.get("principal")?.name,
    });
  });
  mountRoutes(app, deps, apiRoutes(deps));
  return app;
}
