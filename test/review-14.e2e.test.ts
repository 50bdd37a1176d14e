import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { EngineOpError, TestStack } from "./harness/stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExternalDataSource, SavedQuery } = require("pulumi-posthog-warehouse") as typeof import("../provider");

/*
 * Issue 14 as a user meets it, under the real engine: UI edits seen by refresh and undone by up, removed declarations
 * reset, formatting-only program edits make no call, and partial failures finished by the next up after a refresh.
 */

type SourceArgs = ConstructorParameters<typeof ExternalDataSource>[1];
type ViewArgs = ConstructorParameters<typeof SavedQuery>[1];

let emulator: Emulator;
let ui: PostHogClient;
const writes = (requests: RecordedRequest[]) => requests.filter((r) => r.method !== "GET");
const short = (r: RecordedRequest) => `${r.method} ${r.path.split("/").filter(Boolean).slice(-2).join("/")}`;
const config = () => ({
  "posthog:host": { value: emulator.url },
  "posthog:apiKey": { value: emulator.apiKey, secret: true },
  "posthog:projectId": { value: String(emulator.projectId) },
});

beforeAll(async () => {
  emulator = await startEmulator();
  ui = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId });
});
afterAll(async () => {
  await ui?.close();
  await emulator?.close();
});

describe("a Stripe source a user manages", () => {
  let stack: TestStack<RecordedRequest>;
  const source = () => emulator.state.sources.find((s) => !s.deleted && s.prefix === "rv_")!;
  const table = (name: string) => source().schemas.find((r) => r.name === name)!;
  const args = (over: Partial<SourceArgs> = {}): SourceArgs => ({
    sourceType: "Stripe",
    prefix: "rv_",
    description: "Billing",
    jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: "sk_review" } },
    schemas: [
      { name: "Invoice", syncFrequency: "1hour" },
      { name: "Customer", syncType: "incremental", incrementalField: "created", incrementalFieldType: "datetime" },
    ],
    revenueAnalyticsConfig: { enabled: true },
    ...over,
  });
  const use = (a: SourceArgs) => stack.setProgram(async () => void new ExternalDataSource("src", a));

  beforeAll(async () => {
    stack = await TestStack.create({ program: async () => void new ExternalDataSource("src", args()), log: emulator, projectName: "review14-src", config: config() });
  }, 120_000);
  afterAll(async () => stack?.dispose());

  it("up applies every declared setting; a no-op preview makes no call", async () => {
    await stack.up();
    expect(source().description).toBe("Billing");
    expect(table("Invoice").sync_frequency).toBe("1hour");
    expect(table("Customer")).toMatchObject({ sync_type: "incremental", incremental_field: "created", incremental_field_type: "datetime" });
    expect(source().revenue_analytics_config).toEqual({ enabled: true, include_invoiceless_charges: true });
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 2 });
    expect(preview.requests).toHaveLength(0);
    // Nothing changed in PostHog: a refresh finds no drift.
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).not.toHaveProperty("update");
  }, 300_000);

  it("untrimmed strings, reordered tables and a waitForSync change make no API write", async () => {
    const a = args();
    use({
      ...a,
      description: "  Billing \n",
      jobInputs: { stripe_account_id: " acct_1 ", auth_method: { selection: "api_key", stripe_secret_key: "sk_review" } },
      schemas: [...(a.schemas as unknown[])].reverse() as SourceArgs["schemas"],
      waitForSync: { timeoutSeconds: 5 },
    });
    const preview = await stack.preview();
    expect(preview.requests).toHaveLength(0);
    const up = await stack.up();
    expect(writes(up.requests).map(short)).toEqual([]);
    use(args());
    await stack.up();
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
  }, 300_000);

  it("UI edits to description, table frequency, incremental field and revenue config show in refresh; up restores them", async () => {
    await ui.externalDataSources.update(source().id, { description: "edited in the UI" });
    await ui.externalDataSchemas.update(table("Invoice").id, { sync_frequency: "24hour" });
    await ui.externalDataSchemas.update(table("Customer").id, { incremental_field: "updated", incremental_field_type: "timestamp" });
    await ui.externalDataSources.updateRevenueAnalyticsConfig(source().id, { enabled: true, include_invoiceless_charges: false });
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).toMatchObject({ update: 1 });
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toMatchObject({ update: 1 });
    expect(writes(preview.requests)).toHaveLength(0);
    await stack.up();
    expect(source().description).toBe("Billing");
    expect(table("Invoice").sync_frequency).toBe("1hour");
    expect(table("Customer")).toMatchObject({ incremental_field: "created", incremental_field_type: "datetime" });
    expect(source().revenue_analytics_config).toEqual({ enabled: true, include_invoiceless_charges: true });
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
  }, 300_000);

  it("removing declarations resets them in PostHog", async () => {
    use(args({ description: undefined, revenueAnalyticsConfig: undefined, schemas: [{ name: "Invoice" }, { name: "Customer" }] }));
    await stack.up();
    expect(source().description).toBe("");
    expect(table("Invoice").sync_frequency).toBe("6hour");
    expect(table("Customer")).toMatchObject({ sync_type: "full_refresh", incremental_field: null, incremental_field_type: null });
    expect(source().revenue_analytics_config).toEqual({ enabled: false, include_invoiceless_charges: true });
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 2 });
    expect(preview.requests).toHaveLength(0);
  }, 300_000);

  it("a failed revenue step after a table write is recorded; after a refresh the next up sends only what is left", async () => {
    const next = args({ description: undefined, schemas: [{ name: "Invoice", syncFrequency: "12hour" }, { name: "Customer" }], revenueAnalyticsConfig: { enabled: true } });
    use(next);
    emulator.addFault({ method: "PATCH", path: /revenue_analytics_config\/$/, fault: { kind: "status", status: 400, body: { type: "validation_error", code: "invalid", detail: "revenue analytics unavailable", attr: null } } });
    await expect(stack.up()).rejects.toBeInstanceOf(EngineOpError);
    expect(table("Invoice").sync_frequency).toBe("12hour");
    expect(source().revenue_analytics_config.enabled).toBe(false);
    // The properties recorded with the failure carry jobInputs: its secret stays encrypted in the state.
    expect(stack.rawState()).not.toContain("sk_review");
    await stack.refresh();
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toMatchObject({ update: 1 });
    const up = await stack.up();
    expect(writes(up.requests).map(short)).toEqual([expect.stringMatching(/^PATCH .*revenue_analytics_config$/)]);
    expect(source().revenue_analytics_config.enabled).toBe(true);
    const after = await stack.preview();
    expect(after.result.changeSummary).toEqual({ same: 2 });
    expect(after.requests).toHaveLength(0);
  }, 300_000);
});

describe("a view a user manages", () => {
  let stack: TestStack<RecordedRequest>;
  const view = () => emulator.state.views.find((v) => !v.deleted && v.name === "review_view")!;
  const QUERY = "select 'a  b' as x, count() -- don't count 'quotes'\nfrom events /* it's a comment */";
  const args = (over: Partial<ViewArgs> = {}): ViewArgs => ({ name: "review_view", query: QUERY, materialized: true, syncFrequency: "6hour", ...over });
  const use = (a: ViewArgs) => stack.setProgram(async () => void new SavedQuery("view", a));

  beforeAll(async () => {
    stack = await TestStack.create({ program: async () => void new SavedQuery("view", args()), log: emulator, projectName: "review14-view", config: config() });
  }, 120_000);
  afterAll(async () => stack?.dispose());

  it("a materialize that fails at create leaves the view recorded; after a refresh the next up finishes it", async () => {
    emulator.addFault({ method: "POST", path: /materialize\/$/, fault: { kind: "status", status: 400, body: { error: "materialization temporarily unavailable" } } });
    await expect(stack.up()).rejects.toBeInstanceOf(EngineOpError);
    expect(view()).toBeDefined();
    expect(view().is_materialized).toBe(false);
    const state = JSON.parse(await stack.exportState()) as { resources: Array<{ type: string }> };
    expect(state.resources.some((r) => r.type.endsWith("SavedQuery"))).toBe(true);
    await stack.refresh();
    const up = await stack.up();
    expect(writes(up.requests).map(short)).toEqual([expect.stringMatching(/materialize$/), expect.stringMatching(/^PATCH /)]);
    expect(view()).toMatchObject({ is_materialized: true, sync_frequency: "6hour" });
    expect(emulator.state.views.filter((v) => !v.deleted && v.name === "review_view")).toHaveLength(1);
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).not.toHaveProperty("update");
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 2 });
    expect(preview.requests).toHaveLength(0);
  }, 300_000);

  it("a UI edit inside a literal next to a commented apostrophe shows in refresh; up restores the program's query", async () => {
    await ui.savedQueries.update(view().id, { query: { kind: "HogQLQuery", query: QUERY.replace("'a  b'", "'a b'") }, edited_history_id: view().latest_history_id == null ? null : String(view().latest_history_id) });
    await ui.savedQueries.update(view().id, { sync_frequency: "1hour" });
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).toMatchObject({ update: 1 });
    await stack.up();
    expect(view().query.query).toBe(QUERY);
    expect(view().sync_frequency).toBe("6hour");
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
  }, 300_000);

  it("un-materializing leaves no permanent diff; dropping a default's declaration writes nothing", async () => {
    use(args({ materialized: false, syncFrequency: undefined }));
    await stack.up();
    expect(view().is_materialized).toBe(false);
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 2 });
    expect(preview.requests).toHaveLength(0);
    // Dropping a declaration of PostHog's own default is an input change, applied without a write.
    use(args({ materialized: undefined, syncFrequency: undefined }));
    expect(writes((await stack.up()).requests)).toHaveLength(0);
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
  }, 300_000);
});
