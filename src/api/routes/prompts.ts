/**
 * @module api/routes/prompts
 * The voice prompts of the wake-up calls and the IVR: list them, listen to one, replace one with the
 * hotel's own recording (a WAV file), and go back to the built-in one. The routes are always
 * declared (and documented); on an appliance started without a prompt library they answer 503.
 */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { writeAuditEntry } from "../../services/audit.ts";
import type { PromptLibrary } from "../../voice/prompt-library.ts";
import { PROMPT_IDS, PROMPT_LANGUAGES, type PromptId, type PromptLanguage } from "../../voice/prompts.ts";
import { encodeWavUlaw, MAX_PROMPT_SECONDS } from "../../voice/wav.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";

/** Uploads above this are refused unread: 120 s of 44.1 kHz mono 16-bit is ~10 MB. */
export const MAX_PROMPT_UPLOAD_BYTES = 10 * 1024 * 1024;

const WAV_TYPES = ["audio/wav", "audio/x-wav", "audio/wave", "application/octet-stream"] as const;

const PromptParams = v.strictObject({
  lang: v.pipe(
    v.string(),
    v.metadata({ description: `Prompt language: ${PROMPT_LANGUAGES.join(", ")}`, examples: ["en"] }),
  ),
  id: v.pipe(v.string(), v.metadata({ description: `Prompt: ${PROMPT_IDS.join(", ")}`, examples: ["wakeup"] })),
});

const PromptInfo = v.object({
  lang: v.picklist(PROMPT_LANGUAGES),
  id: v.picklist(PROMPT_IDS),
  custom: v.pipe(v.boolean(), v.metadata({ description: "An uploaded recording replaces the built-in prompt" })),
  durationMs: v.pipe(
    v.nullable(v.number()),
    v.metadata({
      description: "Playing time of what calls play now (custom, built-in, or the English one); null when none",
    }),
  ),
});
export const PromptList = v.object({ prompts: v.array(PromptInfo) });
export const UploadedPrompt = v.object({
  lang: v.picklist(PROMPT_LANGUAGES),
  id: v.picklist(PROMPT_IDS),
  custom: v.literal(true),
  durationMs: v.number(),
  source: v.pipe(v.string(), v.metadata({ description: "What was uploaded, e.g. `16-bit PCM, 44100 Hz, 2 channels`" })),
});

export function promptRoutes(deps: ApiDeps): Route[] {
  const library = (): PromptLibrary => {
    if (!deps.prompts) throw new AppError("UNAVAILABLE", "voice prompts are not available on this appliance");
    return deps.prompts;
  };
  const readers = ["admin", "installer", "frontdesk"] as const;
  const writers = ["admin", "installer"] as const;

  return [
    defineRoute({
      method: "get",
      path: "/api/v1/prompts",
      operationId: "listPrompts",
      summary: "Every voice prompt in every language: custom or built-in, and its playing time",
      tag: "prompts",
      roles: readers,
      responses: {
        200: { description: "The prompts", schema: PromptList },
        503: { description: "No prompt library on this appliance (UNAVAILABLE)" },
      },
      handler: () => ({ body: { prompts: library().list() } }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/prompts/{lang}/{id}",
      operationId: "getPrompt",
      summary: "The prompt as calls play it now, as a WAV file (G.711 μ-law, 8 kHz mono)",
      tag: "prompts",
      roles: readers,
      params: PromptParams,
      responses: {
        200: { description: "The recording", mediaType: "audio/wav" },
        404: { description: "Unknown language or prompt; the message lists the valid ones (NOT_FOUND)" },
        503: { description: "No prompt library on this appliance (UNAVAILABLE)" },
      },
      handler: ({ params }) => {
        const { lang, id } = promptKey(params);
        return {
          bytes: encodeWavUlaw(library().get(lang, id)),
          contentType: "audio/wav",
          headers: { "Content-Disposition": `inline; filename="${lang}-${id}.wav"` },
        };
      },
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/prompts/{lang}/{id}",
      operationId: "uploadPrompt",
      summary: "Replace a prompt with the hotel's own recording",
      description:
        "The body is the WAV file itself. Accepted: PCM 8/16/24/32-bit, 32/64-bit float, G.711 μ-law or " +
        `A-law, also as WAVE_FORMAT_EXTENSIBLE; any number of channels (mixed to mono); 8000–96000 Hz ` +
        `(converted to 8 kHz). 0.2 to ${MAX_PROMPT_SECONDS} s, not silent. An unusable file is refused with ` +
        "400 and a message saying why. The recording is kept under the data folder, across firmware updates.",
      tag: "prompts",
      roles: writers,
      params: PromptParams,
      rawBody: {
        mediaTypes: WAV_TYPES,
        maxBytes: MAX_PROMPT_UPLOAD_BYTES,
        description: `A WAV file, at most ${MAX_PROMPT_UPLOAD_BYTES / 1024 / 1024} MB`,
      },
      responses: {
        200: { description: "The recording now plays", schema: UploadedPrompt },
        400: { description: "Not a usable WAV file, the message says why, or a wrong Content-Type (INVALID)" },
        404: { description: "Unknown language or prompt; the message lists the valid ones (NOT_FOUND)" },
        413: { description: "File over 10 MB (PAYLOAD_TOO_LARGE)" },
        503: { description: "No prompt library on this appliance (UNAVAILABLE)" },
      },
      handler: async ({ params, raw, actor }) => {
        const { lang, id } = promptKey(params);
        const uploaded = await library().putCustom(lang, id, raw);
        await writeAuditEntry(deps.ctx, { actor, action: "prompt-upload", after: uploaded });
        return { body: uploaded };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/prompts/{lang}/{id}",
      operationId: "deletePrompt",
      summary: "Remove the hotel's recording: the built-in prompt plays again",
      tag: "prompts",
      roles: writers,
      params: PromptParams,
      responses: {
        200: { description: "The prompt as it is now", schema: PromptInfo },
        404: { description: "Unknown language or prompt, or no custom recording to remove (NOT_FOUND)" },
        503: { description: "No prompt library on this appliance (UNAVAILABLE)" },
      },
      handler: async ({ params, actor }) => {
        const { lang, id } = promptKey(params);
        const lib = library();
        if (!lib.deleteCustom(lang, id)) {
          throw new AppError("NOT_FOUND", `prompt ${lang}/${id} has no custom recording; the built-in one plays`);
        }
        await writeAuditEntry(deps.ctx, { actor, action: "prompt-delete", after: { lang, id } });
        return { body: lib.list().find((p) => p.lang === lang && p.id === id) };
      },
    }),
  ];
}

/** The path's language and prompt, or a 404 that lists the valid ones. */
function promptKey(params: { lang: string; id: string }): { lang: PromptLanguage; id: PromptId } {
  const { lang, id } = params;
  if (!(PROMPT_LANGUAGES as readonly string[]).includes(lang)) {
    throw new AppError("NOT_FOUND", `no prompt language "${lang}"; the languages are ${PROMPT_LANGUAGES.join(", ")}`);
  }
  if (!(PROMPT_IDS as readonly string[]).includes(id)) {
    throw new AppError("NOT_FOUND", `no prompt "${id}"; the prompts are ${PROMPT_IDS.join(", ")}`);
  }
  return { lang: lang as PromptLanguage, id: id as PromptId };
}
