/**
 * @module api/openapi
 * The OpenAPI 3.1 document, generated from the route registry: the same valibot schemas that
 * validate a request describe it here, so the document cannot disagree with the server.
 */
import { type ConversionConfig, type JsonSchema, toJsonSchema, toJsonSchemaDefs } from "@valibot/to-json-schema";
import type { Route } from "./registry.ts";
import { components } from "./schemas.ts";
import type { AnySchema } from "./validate.ts";

type Json = Record<string, unknown>;

const baseConfig: ConversionConfig = {
  target: "draft-2020-12",
  // Checks are arbitrary functions; what they enforce is in the field's description instead.
  ignoreActions: ["check"],
  overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
};

function convert(schema: AnySchema, mode: "input" | "output"): JsonSchema {
  const s = toJsonSchema(schema, { ...baseConfig, typeMode: mode, definitions: components });
  delete s.$schema;
  delete s.$defs;
  return s;
}

const ERROR_CONTENT = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

const commonResponses: Record<string, { status: number; description: string }> = {
  Invalid: { status: 400, description: "Invalid request: the message names the field (INVALID)" },
  Unauthorized: { status: 401, description: "No bearer token, or an unknown or revoked one (UNAUTHORIZED)" },
  Forbidden: { status: 403, description: "The token's role may not do this (FORBIDDEN)" },
  NotFound: { status: 404, description: "No such room, wake-up, job or route (NOT_FOUND)" },
  TooLarge: { status: 413, description: "Request body over 64 KB (PAYLOAD_TOO_LARGE)" },
  Internal: { status: 500, description: "Unexpected error; details are in the appliance log (INTERNAL)" },
};

function ref(name: keyof typeof commonResponses) {
  return { $ref: `#/components/responses/${name}` };
}

function parameters(route: Route): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ["path", route.params],
    ["query", route.query],
  ] as const) {
    if (!schema) continue;
    for (const [name, entry] of Object.entries(schema.entries)) {
      const optional = entry.type === "optional" || entry.type === "exact_optional" || entry.type === "nullish";
      const s = convert(entry, "input");
      const p: Json = { name, in: where, required: where === "path" || !optional, schema: s };
      if (typeof s.description === "string") p.description = s.description;
      out.push(p);
    }
  }
  return out;
}

function operation(route: Route): Json {
  const responses: Json = {};
  for (const [status, r] of Object.entries(route.responses)) {
    // A file is described by its media type alone (OpenAPI 3.1: binary content needs no schema).
    responses[status] = r.mediaType
      ? { description: r.description, content: { [r.mediaType]: {} } }
      : r.schema
        ? { description: r.description, content: { "application/json": { schema: convert(r.schema, "output") } } }
        : Number(status) >= 400
          ? { description: r.description, content: ERROR_CONTENT }
          : { description: r.description };
  }
  const add = (status: number, name: keyof typeof commonResponses) => {
    if (!(status in responses)) responses[status] = ref(name);
  };
  if (route.params || route.query || route.body || route.rawBody) add(400, "Invalid");
  if (route.roles !== "public") {
    add(401, "Unauthorized");
    add(403, "Forbidden");
  }
  if (route.params) add(404, "NotFound");
  if (route.body || route.rawBody) add(413, "TooLarge");
  add(500, "Internal");

  const roles = route.roles === "public" ? "none (no token)" : route.roles.join(", ");
  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, `Roles: ${roles}.`].filter(Boolean).join("\n\n"),
    tags: [route.tag],
    security: route.roles === "public" ? [] : [{ bearer: [] }],
    "x-roles": route.roles === "public" ? [] : [...route.roles],
  };
  const params = parameters(route);
  if (params.length) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: !route.bodyOptional,
      content: { "application/json": { schema: convert(route.body, "input") } },
    };
  }
  if (route.rawBody) {
    op.requestBody = {
      required: true,
      description: route.rawBody.description,
      content: Object.fromEntries(route.rawBody.mediaTypes.map((t) => [t, {}])),
    };
  }
  op.responses = responses;
  return op;
}

export function buildOpenApi(routes: readonly Route[], info: { version: string }): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    paths[r.path] ??= {};
    paths[r.path][r.method] = operation(r);
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name }));
  return {
    openapi: "3.1.0",
    info: {
      title: "bellhop staff API",
      version: info.version,
      description:
        "Rooms, guests, wake-ups, PBX jobs and the PMS link of a bellhop appliance. Every call but the health " +
        "check and this document needs `Authorization: Bearer <token>`; each operation lists the roles allowed.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags,
    paths,
    components: {
      schemas: toJsonSchemaDefs(components, { ...baseConfig, typeMode: "output" }),
      responses: Object.fromEntries(
        Object.entries(commonResponses).map(([name, r]) => [
          name,
          { description: r.description, content: ERROR_CONTENT },
        ]),
      ),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API token (bh_…) made on the appliance." },
      },
    },
  };
}
