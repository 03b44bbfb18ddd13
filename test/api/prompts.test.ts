import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { createApi } from "../../src/api/app.ts";
import { MAX_PROMPT_UPLOAD_BYTES, PromptList, UploadedPrompt } from "../../src/api/routes/prompts.ts";
import { PromptLibrary } from "../../src/voice/prompt-library.ts";
import { PROMPT_IDS, PROMPT_LANGUAGES } from "../../src/voice/prompts.ts";
import { wavToUlaw } from "../../src/voice/wav.ts";
import { tempDir } from "../helpers/store.ts";
import { sine, wav } from "../voice/wav-fixture.ts";
import { type ApiFixture, withApi } from "./fixture.ts";

const SHIPPED = fileURLToPath(new URL("../../prompts", import.meta.url));

interface Prompts {
  f: ApiFixture;
  lib: PromptLibrary;
  customDir: string;
  /** A request to an API that has the prompt library; `as` a fixture role, or null for no token. */
  send(
    method: string,
    path: string,
    o?: { as?: keyof ApiFixture["tokens"] | null; body?: Uint8Array; type?: string },
  ): Promise<Response>;
}

function withPrompts(fn: (p: Prompts) => Promise<void>): Promise<void> {
  return withApi(async (f) => {
    const dir = tempDir("bellhop-prompts-api-");
    try {
      const customDir = join(dir.dir, "prompts");
      const lib = new PromptLibrary({ builtinDir: SHIPPED, customDir });
      const app = createApi({ ...f.deps, prompts: lib });
      const send: Prompts["send"] = async (method, path, o = {}) => {
        const headers: Record<string, string> = {};
        const role = o.as === undefined ? "admin" : o.as;
        if (role !== null) headers.authorization = `Bearer ${f.tokens[role]}`;
        if (o.type) headers["content-type"] = o.type;
        return app.request(path, { method, headers, body: o.body });
      };
      await fn({ f, lib, customDir, send });
    } finally {
      dir.cleanup();
    }
  });
}

const recording = () => wav({ rate: 44100, channels: [sine(44100, 1.5, 440, 0.5), sine(44100, 1.5, 440, 0.5)] });

// biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON shapes
const json = async (r: Response): Promise<any> => JSON.parse(await r.text());

describe("voice prompts API", () => {
  test("list: every language × prompt; admin, installer, front desk", () =>
    withPrompts(async ({ send }) => {
      const r = await send("GET", "/api/v1/prompts", { as: "frontdesk" });
      assert.equal(r.status, 200);
      const body = v.parse(PromptList, await json(r));
      assert.equal(body.prompts.length, PROMPT_LANGUAGES.length * PROMPT_IDS.length);
      const wakeup = body.prompts.find((p) => p.lang === "de" && p.id === "wakeup");
      assert.equal(wakeup?.custom, false);
      assert.ok((wakeup?.durationMs ?? 0) > 500);
      for (const [role, status] of [
        ["admin", 200],
        ["installer", 200],
        ["housekeeping", 403],
        [null, 401],
      ] as const) {
        assert.equal((await send("GET", "/api/v1/prompts", { as: role })).status, status, String(role));
      }
    }));

  test("listen: the prompt as a playable μ-law WAV", () =>
    withPrompts(async ({ send, lib }) => {
      const r = await send("GET", "/api/v1/prompts/fr/goodbye", { as: "frontdesk" });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "audio/wav");
      assert.match(r.headers.get("content-disposition") ?? "", /filename="fr-goodbye.wav"/);
      const file = new Uint8Array(await r.arrayBuffer());
      assert.equal(new TextDecoder().decode(file.subarray(8, 12)), "WAVE");
      assert.deepEqual((await wavToUlaw(file)).ulaw, lib.get("fr", "goodbye"));
      assert.equal((await send("GET", "/api/v1/prompts/fr/goodbye", { as: "housekeeping" })).status, 403);
    }));

  test("upload: converted, played from then on, audited; restore the built-in one", () =>
    withPrompts(async ({ send, lib, customDir, f }) => {
      const builtin = lib.get("it", "wakeup");
      const up = await send("PUT", "/api/v1/prompts/it/wakeup", {
        as: "installer",
        body: recording(),
        type: "audio/wav",
      });
      assert.equal(up.status, 200);
      const body = v.parse(UploadedPrompt, await json(up));
      assert.deepEqual(body, {
        lang: "it",
        id: "wakeup",
        custom: true,
        durationMs: 1500,
        source: "16-bit PCM, 44100 Hz, 2 channels",
      });
      assert.ok(existsSync(join(customDir, "it", "wakeup.ul")));
      assert.equal(lib.get("it", "wakeup").length, 12000);

      const list = await json(await send("GET", "/api/v1/prompts"));
      assert.deepEqual(
        list.prompts.find((p: { lang: string; id: string }) => p.lang === "it" && p.id === "wakeup"),
        { lang: "it", id: "wakeup", custom: true, durationMs: 1500 },
      );
      const heard = new Uint8Array(await (await send("GET", "/api/v1/prompts/it/wakeup")).arrayBuffer());
      assert.equal((await wavToUlaw(heard)).ulaw.length, 12000);

      const audit = await f.call("GET", "/api/v1/audit", { as: "admin" });
      const entry = audit.body.entries.find((e: { action: string }) => e.action === "prompt-upload");
      assert.equal(entry.actor, "api:tech");

      const del = await send("DELETE", "/api/v1/prompts/it/wakeup", { as: "admin" });
      assert.equal(del.status, 200);
      assert.deepEqual(await json(del), {
        lang: "it",
        id: "wakeup",
        custom: false,
        durationMs: Math.round(builtin.length / 8),
      });
      assert.deepEqual(lib.get("it", "wakeup"), builtin);
      const again = await send("DELETE", "/api/v1/prompts/it/wakeup", { as: "admin" });
      assert.equal(again.status, 404);
      assert.match((await json(again)).error.message, /no custom recording/);
    }));

  test("upload accepts audio/x-wav and application/octet-stream; other types and empty bodies are refused", () =>
    withPrompts(async ({ send }) => {
      for (const type of ["audio/x-wav", "application/octet-stream", "audio/wav; codecs=1"]) {
        const r = await send("PUT", "/api/v1/prompts/en/goodbye", { body: recording(), type });
        assert.equal(r.status, 200, type);
      }
      const form = await send("PUT", "/api/v1/prompts/en/goodbye", {
        body: recording(),
        type: "application/x-www-form-urlencoded",
      });
      assert.equal(form.status, 400);
      const e = (await json(form)).error;
      assert.equal(e.code, "INVALID");
      assert.match(e.message, /Content-Type must be audio\/wav, audio\/x-wav, .*application\/octet-stream/);
      const empty = await send("PUT", "/api/v1/prompts/en/goodbye", { body: new Uint8Array(0), type: "audio/wav" });
      assert.equal(empty.status, 400);
    }));

  test("an unusable file: 400 saying why, and the prompt in place stays", () =>
    withPrompts(async ({ send, lib }) => {
      const before = lib.get("es", "menu");
      const cases: [Uint8Array, RegExp][] = [
        [wav({ rate: 8000, channels: [new Float64Array(8000)] }), /^the recording is silent$/],
        [wav({ rate: 8000, channels: [sine(8000, 1, 400, 0.5)], formatCode: 17 }), /IMA ADPCM \(format 17\)/],
        [Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]), /looks like an MP3 file/],
        [
          wav({ rate: 8000, encoding: "u8", channels: [sine(8000, 130, 400, 0.5)] }),
          /^too long: 130 s, at most 120 s$/,
        ],
      ];
      for (const [body, message] of cases) {
        const r = await send("PUT", "/api/v1/prompts/es/menu", { body, type: "audio/wav" });
        assert.equal(r.status, 400);
        const e = (await json(r)).error;
        assert.equal(e.code, "INVALID");
        assert.match(e.message, message);
      }
      assert.deepEqual(lib.get("es", "menu"), before);
    }));

  test("writes need admin or installer; over 10 MB is refused unread", () =>
    withPrompts(async ({ send, customDir }) => {
      for (const [role, status] of [
        ["frontdesk", 403],
        ["housekeeping", 403],
        [null, 401],
      ] as const) {
        const put = await send("PUT", "/api/v1/prompts/en/menu", { as: role, body: recording(), type: "audio/wav" });
        assert.equal(put.status, status, `PUT as ${role}`);
        assert.equal((await send("DELETE", "/api/v1/prompts/en/menu", { as: role })).status, status, `DELETE ${role}`);
      }
      assert.ok(!existsSync(customDir), "nothing written");

      const big = new Uint8Array(MAX_PROMPT_UPLOAD_BYTES + 1);
      const r = await send("PUT", "/api/v1/prompts/en/menu", { body: big, type: "audio/wav" });
      assert.equal(r.status, 413);
      assert.equal((await json(r)).error.code, "PAYLOAD_TOO_LARGE");
      const anonymous = await send("PUT", "/api/v1/prompts/en/menu", { as: null, body: big, type: "audio/wav" });
      assert.equal(anonymous.status, 401, "no token: refused before the body");
    }));

  test("an unknown language or prompt: 404 naming the valid ones", () =>
    withPrompts(async ({ send }) => {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const body = method === "PUT" ? recording() : undefined;
        const lang = await send(method, "/api/v1/prompts/pt/wakeup", { body, type: body && "audio/wav" });
        assert.equal(lang.status, 404, method);
        assert.equal((await json(lang)).error.message, 'no prompt language "pt"; the languages are en, de, fr, es, it');
        const id = await send(method, "/api/v1/prompts/en/lullaby", { body, type: body && "audio/wav" });
        assert.equal(id.status, 404, method);
        assert.match(
          (await json(id)).error.message,
          /^no prompt "lullaby"; the prompts are wakeup, menu, .*service-unknown, vm-.*$/,
        );
      }
    }));

  test("without a prompt library the routes answer 503", () =>
    withApi(async ({ call }) => {
      const list = await call("GET", "/api/v1/prompts");
      assert.equal(list.status, 503);
      assert.equal(list.body.error.code, "UNAVAILABLE");
      assert.equal((await call("GET", "/api/v1/prompts/en/wakeup")).status, 503);
      assert.equal((await call("DELETE", "/api/v1/prompts/en/wakeup")).status, 503);
    }));

  test("the API document describes the file upload and download", () =>
    withApi(async ({ call }) => {
      const doc = (await call("GET", "/openapi.json", { as: null })).body;
      const put = doc.paths["/api/v1/prompts/{lang}/{id}"].put;
      assert.deepEqual(Object.keys(put.requestBody.content), [
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "application/octet-stream",
      ]);
      assert.equal(put.requestBody.required, true);
      assert.deepEqual(put["x-roles"], ["admin", "installer"]);
      assert.ok(put.responses["400"] && put.responses["401"] && put.responses["403"] && put.responses["404"]);
      assert.match(put.responses["413"].description, /10 MB/);
      assert.deepEqual(
        put.parameters.map((p: { name: string }) => p.name),
        ["lang", "id"],
      );
      const get = doc.paths["/api/v1/prompts/{lang}/{id}"].get;
      assert.deepEqual(get.responses["200"].content, { "audio/wav": {} });
      assert.deepEqual(get["x-roles"], ["admin", "installer", "frontdesk"]);
      assert.ok(doc.paths["/api/v1/prompts"].get.responses["200"].content["application/json"].schema);
    }));
});
