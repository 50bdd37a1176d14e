import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkInputs } from "../provider/resource/check";
import { diffProperties } from "../provider/resource/diff";
import { compact, deepEqual, formatPath, isUnknownAt, UNKNOWN } from "../provider/resource/values";
import { ConfigurationError, resolveConnection } from "../provider/config";

const schema = z.object({
  name: z.string().regex(/^[a-z]+$/, "must be lowercase letters"),
  nested: z.object({ port: z.number().int() }).optional(),
});

describe("checkInputs", () => {
  it("names the property and the full path of each failure", () => {
    const outcome = checkInputs(schema, { name: "ABC", nested: { port: "5432" } });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failures).toEqual([
      { property: "name", reason: "name: must be lowercase letters" },
      { property: "nested", reason: expect.stringMatching(/^nested\.port: .*number/) },
    ]);
  });

  it("skips failures on values still unknown during preview, and keeps the others", () => {
    const outcome = checkInputs(schema, { name: UNKNOWN, nested: { port: "x" } });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failures.map((f) => f.property)).toEqual(["nested"]);
    expect(checkInputs(schema, { name: UNKNOWN }).ok).toBe(true);
  });

  it("returns the parsed value on success", () => {
    expect(checkInputs(schema, { name: "abc" })).toEqual({ ok: true, value: { name: "abc" } });
  });
});

describe("diffProperties", () => {
  const spec = {
    properties: ["name", "query", "projectId", "hook"],
    replaceOn: ["projectId"],
    equals: { query: (a: unknown, b: unknown) => String(a).trim() === String(b).trim() },
  };

  it("reports each changed property with its kind and whether it replaces", () => {
    const changes = diffProperties({ name: "a", query: "q", projectId: "1" }, { name: "b", query: " q ", projectId: "2", hook: "x" }, spec);
    expect(changes).toEqual([
      { property: "name", kind: "update", replace: false },
      { property: "projectId", kind: "update", replace: true },
      { property: "hook", kind: "add", replace: false },
    ]);
  });

  it("treats an unknown new value as a change and null like absent", () => {
    expect(diffProperties({ name: "a", hook: null }, { name: UNKNOWN }, spec)).toEqual([{ property: "name", kind: "update", replace: false }]);
  });

  it("sees no change when nothing differs", () => {
    expect(diffProperties({ name: "a", query: "q" }, { name: "a", query: "q\n" }, spec)).toEqual([]);
  });
});

describe("values", () => {
  it("compares structurally and ignores undefined members", () => {
    expect(deepEqual({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
  it("compacts undefined away recursively", () => {
    expect(compact({ a: undefined, b: { c: undefined, d: 1 }, e: [{ f: undefined }] })).toEqual({ b: { d: 1 }, e: [{}] });
  });
  it("formats paths and finds unknowns beneath them", () => {
    expect(formatPath(["schemas", 2, "name"])).toBe("schemas[2].name");
    expect(isUnknownAt({ a: { b: UNKNOWN } }, ["a"])).toBe(true);
    expect(isUnknownAt({ a: UNKNOWN }, ["a", "b"])).toBe(true);
    expect(isUnknownAt({ a: { b: 1 } }, ["a", "b"])).toBe(false);
  });
});

describe("resolveConnection", () => {
  const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

  it("prefers resource overrides, then stack config, then the environment", () => {
    const env = { POSTHOG_HOST: "https://env.example", POSTHOG_PERSONAL_API_KEY: "phx_env", POSTHOG_PROJECT_ID: "7" };
    expect(resolveConnection(undefined, env)).toEqual({ host: "https://env.example", apiKey: "phx_env", projectId: "7" });
    expect(resolveConnection(config({ "posthog:host": "https://cfg.example/", "posthog:projectId": "8" }), env)).toEqual({
      host: "https://cfg.example",
      apiKey: "phx_env",
      projectId: "8",
    });
    expect(resolveConnection(config({ "posthog:apiKey": "phx_cfg" }), env, { projectId: "9" })).toMatchObject({ apiKey: "phx_cfg", projectId: "9" });
    expect(resolveConnection(undefined, { POSTHOG_API_KEY: "phx_alt", POSTHOG_PROJECT_ID: "1" })).toEqual({
      host: "https://us.posthog.com",
      apiKey: "phx_alt",
      projectId: "1",
    });
  });

  it("says which key is missing and where to set it, without echoing values", () => {
    const failure = (values: Record<string, string>) => {
      try {
        resolveConnection(config(values), {});
      } catch (err) {
        return err;
      }
      throw new Error("resolveConnection did not throw");
    };
    const missing = failure({ "posthog:projectId": "abc" });
    expect(missing).toBeInstanceOf(ConfigurationError);
    const message = (missing as Error).message;
    expect(message).toContain("posthog:apiKey is not set");
    expect(message).toContain("pulumi config set --secret posthog:apiKey");
    expect(message).toContain("POSTHOG_PERSONAL_API_KEY");
    expect(message).toContain("posthog:projectId must be a numeric project");
    expect((failure({ "posthog:projectId": "x", "posthog:apiKey": "phx_secret_value" }) as Error).message).not.toContain("phx_secret_value");
  });

  it("reads the time-out and Retry-After cap from config, then the environment, and refuses what is not milliseconds", () => {
    const base = { "posthog:projectId": "1", "posthog:apiKey": "phx_k" };
    expect(resolveConnection(config({ ...base, "posthog:requestTimeoutMs": "45000" }), { POSTHOG_MAX_RETRY_WAIT_MS: "5000" })).toMatchObject({ requestTimeoutMs: 45_000, maxRetryWaitMs: 5_000 });
    expect(() => resolveConnection(config({ ...base, "posthog:requestTimeoutMs": "30s" }), {})).toThrow(/posthog:requestTimeoutMs must be a positive whole number of milliseconds/);
  });
});

describe("WarehouseResource (program side)", () => {
  it("puts Error.stackTraceLimit back after registering, also when the SDK's constructor throws", async () => {
    const { SavedQuery } = await import("../provider/resources/saved-query");
    const limit = Error.stackTraceLimit;
    // An empty name is refused synchronously by the SDK's Resource constructor, inside the no-frames window.
    expect(() => new SavedQuery("", { name: "v", query: "select 1" })).toThrow(/name/i);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("after").stack!.split("\n").length).toBeGreaterThan(1);
  });
});
