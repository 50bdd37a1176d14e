import { describe, expect, it } from "vitest";
import { secretSlots } from "../cli/import/secret-slots";
import { findUnmanaged } from "../cli/report/unmanaged";
import { compareProperties } from "../cli/report/properties";
import { displayValue } from "../cli/report/values";
import { changedLeafPaths, diffNote, formatDiffNote, parseDiffNote } from "../provider/resource/diff-note";

const SECRET = (ciphertext = "[secret]") => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext });

describe("diff notes (provider side)", () => {
  it("name changed leaf paths and never carry a value", () => {
    const olds = { jobInputs: { auth_method: { selection: "api_key", stripe_secret_key: "sk_old_value" }, stripe_account_id: "a" }, description: "x" };
    const news = { jobInputs: { auth_method: { selection: "api_key", stripe_secret_key: "sk_new_value" }, stripe_account_id: "a" }, description: "y" };
    const note = diffNote("id1", olds, news, [
      { property: "jobInputs", kind: "update", replace: false },
      { property: "description", kind: "update", replace: false },
    ]);
    expect(note.changes).toEqual([
      { path: ["jobInputs", "auth_method", "stripe_secret_key"], replace: false },
      { path: ["description"], replace: false },
    ]);
    const text = formatDiffNote(note);
    expect(text).not.toContain("sk_old_value");
    expect(text).not.toContain("sk_new_value");
    expect(parseDiffNote(`some prefix ${text}`)).toEqual(note);
    expect(parseDiffNote("posthog-warehouse diff {not json")).toBeUndefined();
  });

  it("treat arrays as leaves and absent as undefined", () => {
    expect(changedLeafPaths({ a: [1, 2] }, { a: [1, 3] })).toEqual([["a"]]);
    expect(changedLeafPaths({ a: null }, {})).toEqual([]);
  });
});

describe("report values", () => {
  it("show every secret as [secret], engine-marked or secret-named", () => {
    expect(displayValue({ password: "hunter2", nested: { token: 42, ok: "v" }, marked: SECRET("hunter3") })).toEqual({
      password: "[secret]",
      nested: { token: "[secret]", ok: "v" },
      marked: "[secret]",
    });
  });

  it("list a secret as changed only when the provider's note says so, and never with a value", () => {
    const before = { jobInputs: { key: SECRET() }, description: "a" };
    const after = { jobInputs: { key: SECRET() }, description: "b" };
    expect(compareProperties(before, after)).toEqual([
      { path: "description", change: "changed", secret: false, before: "a", after: "b" },
      { path: "jobInputs.key", change: "unchanged", secret: true },
    ]);
    const note = { id: "x", changes: [{ path: ["jobInputs", "key"], replace: false }] };
    expect(compareProperties(before, after, note)).toEqual([{ path: "jobInputs.key", change: "changed", secret: true }]);
  });

  it("give long or multi-line text a unified diff", () => {
    const [query] = compareProperties({ query: "select a\nfrom t" }, { query: "select a, b\nfrom t" });
    expect(query!.textDiff).toBe("@@ -1,2 +1,2 @@\n-select a\n+select a, b\n from t");
  });
});

describe("import secret slots", () => {
  it("ask for the secrets a type needs, not alternatives or optional ones", () => {
    expect(secretSlots("Stripe", { stripe_account_id: "a", auth_method: { selection: "api_key" } })).toEqual([{ path: ["auth_method", "stripe_secret_key"], object: false }]);
    expect(secretSlots("Stripe", { stripe_account_id: "a" })).toEqual([{ path: ["stripe_secret_key"], object: false }]);
    const pg = { host: "h", port: 5432, database: "d", user: "u", schema: "public", ssh_tunnel: { enabled: true, host: "b", port: 22, auth: { selection: "keypair", username: "u" } } };
    expect(secretSlots("Postgres", pg)).toEqual([{ path: ["password"], object: false }]);
    expect(secretSlots("BigQuery", { dataset_id: "d" })).toEqual([{ path: ["key_file"], object: true }]);
    expect(secretSlots("Vitally", { domain: "x" })).toEqual([]);
  });
});

describe("plan report from engine events", () => {
  const TYPE = "pulumi-nodejs:dynamic/posthog-warehouse:ExternalDataSource";
  const urn = (name: string) => `urn:pulumi:dev::infra::${TYPE}::${name}`;
  const state = (name: string, id: string, inputs: Record<string, unknown>) => ({ type: TYPE, urn: urn(name), id, parent: "", provider: "", inputs: { __provider: "x", ...inputs }, outputs: {} });
  const pre = (op: string, name: string, old?: ReturnType<typeof state>, now?: ReturnType<typeof state>, keys?: string[]) =>
    ({ sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, urn: urn(name), type: TYPE, provider: "", ...(old ? { old } : {}), ...(now ? { new: now } : {}), ...(keys ? { keys } : {}) } } }) as unknown as import("@pulumi/pulumi/automation").EngineEvent;

  it("collapses a replacement's steps into one entry marking what forces it, and tells adoption from creation", async () => {
    const { planReport } = await import("../cli/report/plan-report");
    const before = state("db", "src-1", { sourceType: "Postgres", prefix: "a_", jobInputs: { password: SECRET() } });
    const after = state("db", "", { sourceType: "Postgres", prefix: "b_", jobInputs: { password: SECRET() } });
    const note = { id: "src-1", changes: [{ path: ["prefix"], replace: true }] };
    const events = [
      pre("create-replacement", "db", before, after, ["prefix"]),
      pre("replace", "db", before, after, ["prefix"]),
      pre("delete-replaced", "db", before, after, ["prefix"]),
      { sequence: 0, timestamp: 0, diagnosticEvent: { message: formatDiffNote(note), severity: "debug", color: "never" } } as unknown as import("@pulumi/pulumi/automation").EngineEvent,
      pre("create", "old_view", undefined, state("old_view", "", { adoptId: "v-9", name: "old_view" })),
      pre("delete", "gone", state("gone", "src-2", { sourceType: "Hubspot" })),
      pre("same", "kept", state("kept", "src-3", {}), state("kept", "src-3", {})),
      // Another provider's resource in the same stack: not counted, and none of its values reported.
      { sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op: "create", urn: "urn:pulumi:dev::infra::aws:s3/bucket:Bucket::logs", type: "aws:s3/bucket:Bucket", provider: "", new: { type: "aws:s3/bucket:Bucket", urn: "urn:pulumi:dev::infra::aws:s3/bucket:Bucket::logs", inputs: { bucket: "acme-logs" }, outputs: {} } } } } as unknown as import("@pulumi/pulumi/automation").EngineEvent,
    ];
    const report = planReport("dev", events);
    expect(report.summary).toEqual({ create: 0, adopt: 1, update: 0, replace: 1, delete: 1, same: 1 });
    expect(report.changes.find((c) => c.name === "db")).toMatchObject({
      op: "replace",
      id: "src-1",
      properties: [
        { path: "prefix", change: "changed", before: "a_", after: "b_", replaces: true, secret: false },
        { path: "jobInputs.password", change: "unchanged", secret: true },
      ],
    });
    expect(report.changes.find((c) => c.name === "old_view")).toMatchObject({ op: "adopt", id: "v-9" });
    expect(report.changes.find((c) => c.name === "gone")).toMatchObject({ op: "delete", id: "src-2", properties: [] });
    expect(report.changes.map((c) => c.name).sort()).toEqual(["db", "gone", "old_view"]);
    expect(JSON.stringify(report)).not.toContain("acme-logs");
  });
});

describe("unmanaged objects for drift", () => {
  const source = (id: string, prefix: string | null) => ({ id, source_type: "Stripe", prefix });
  const view = (id: string, name: string, extra: Record<string, unknown> = {}) => ({ id, name, ...extra });

  it("leave out what the stack manages, PostHog's own views, ignored names, prefixes and ids, and other stacks' objects", () => {
    const sources = [source("s1", "billing_"), source("s2", "scratch_"), source("s3", null), source("s4", "team_b_")];
    const views = [
      view("v1", "mine"),
      view("v2", "revenue_analytics_charge", { managed_viewset_kind: "revenue_analytics" }),
      view("v3", "scratch_notes"),
      view("v4", "adhoc"),
      view("v5", "old", { deleted: true }),
      view("v6", "team_b_view"),
      view("v7", "by_id"),
    ];
    const listing = findUnmanaged({ sources, views }, new Set(["s1", "v1"]), { patterns: ["scratch_*", "v7"], otherStacks: new Set(["s4", "v6"]) });
    expect(listing.unmanaged).toEqual([
      { type: "ExternalDataSource", id: "s3", name: "Stripe" },
      { type: "SavedQuery", id: "v4", name: "adhoc" },
    ]);
    expect(listing.postHogManaged).toBe(1);
    expect(listing.ignored).toBe(5);
  });
});

describe("import program generator", () => {
  it("gives every resource a valid, distinct variable, whatever the object is named", async () => {
    const ts = await import("typescript");
    const { generateProgram } = await import("../cli/import/generate");
    const names = ["config", "default", "pulumi", "class", "SavedQuery", "adopted", "my view", "my-view", "2024_report"];
    const views = names.map((name, i) => ({ id: `v${i}`, name, query: { kind: "HogQLQuery" as const, query: "select 1" } }));
    const source = { id: "s1", source_type: "Stripe", prefix: "config_", job_inputs: { stripe_account_id: "a", auth_method: { selection: "api_key" } } };
    const { code } = generateProgram([source], views, { host: "http://127.0.0.1", projectId: "1", date: "2026-01-01" });
    const file = ts.createSourceFile("index.ts", code, ts.ScriptTarget.ES2022, true);
    expect((file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics).toEqual([]);
    const declared = file.statements.filter(ts.isVariableStatement).map((s) => s.declarationList.declarations[0]!.name.getText(file));
    expect(new Set(declared).size).toBe(declared.length);
    expect(declared).toEqual(expect.arrayContaining(["config", "configView", "defaultView", "pulumiView", "classView", "savedQuery", "adoptedView", "myView", "myView2", "_2024Report"]));
  });
});
