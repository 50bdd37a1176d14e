import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { canaryHits } from "./harness/reliability-totals";
import { TestStack } from "./harness/stack";
import { program as example } from "../examples/warehouse-tables/program";

// The built package, as a user's program loads it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExternalDataSource, SavedQuery, syncedTableName, WarehouseJoin, WarehouseTable } = require("pulumi-posthog-warehouse") as typeof import("../provider");

/*
 * A Parquet table joined to persons and a view reading across the join, under the real engine: create in
 * dependency order, a no-op preview with no call, an in-place URL change with one refresh_schema, destroy in
 * reverse order; the table's access key and secret (canaries) never in plaintext anywhere, and never re-sent.
 */
const ACCESS_KEY = "AKIA_CANARY_KEY_41d7";
const ACCESS_SECRET = "canary-access-secret-6b90";
const V1 = "https://bucket.s3.amazonaws.com/orders/v1/*.parquet";
const V2 = "https://bucket.s3.amazonaws.com/orders/v2/*.parquet";

let emulator: Emulator;
let stack: TestStack<RecordedRequest>;
const desired = { url: V1, name: "e2e_orders" };
const seen: string[] = [];
const events: EngineEvent[] = [];
// As in secrets.e2e.test.ts: the Node SDK's own debug diagnostics print registered outputs in plaintext.
const notSdkDebug = (e: EngineEvent) => (e.diagnosticEvent?.severity as string | undefined) !== "debug";
const keep = <T extends { stdout: string; events: EngineEvent[] }>(op: T): T => {
  seen.push(op.stdout, stack.rawState());
  events.push(...op.events.filter(notSdkDebug));
  return op;
};

const liveTables = () => emulator.state.tables.filter((t) => !t.deleted);
const liveJoins = () => emulator.state.joins.filter((j) => !j.deleted);
const liveViews = () => emulator.state.views.filter((v) => !v.deleted);
const calls = (requests: RecordedRequest[]) => requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, "<id>")}`);

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.state.buckets[V1] = { columns: [{ name: "order_id", type: "Int64" }, { name: "email", type: "String" }] };
  emulator.state.buckets[V2] = { columns: [{ name: "order_id", type: "Int64" }, { name: "email", type: "String" }, { name: "total", type: "Float64" }] };
  stack = await TestStack.create({
    log: emulator,
    projectName: "wt-e2e",
    config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: String(emulator.projectId) } },
    program: async () => {
      // Plain strings on purpose: the resource must make them secrets itself.
      const orders = new WarehouseTable("orders", { name: desired.name, format: "Parquet", urlPattern: desired.url, credential: { accessKey: ACCESS_KEY, accessSecret: ACCESS_SECRET } });
      const join = new WarehouseJoin("orders-person", { sourceTableName: orders.name, sourceTableKey: "email", joiningTableName: "persons", joiningTableKey: "properties.email", fieldName: "person" });
      const view = new SavedQuery("orders-by-person", { name: "e2e_orders_by_person", query: orders.name.apply((t) => `select ${t}.order_id, ${t}.person.properties.email as email from ${t}`) }, { dependsOn: [join] });
      return { tableId: orders.tableId, columns: orders.columns, joinId: join.joinId, viewId: view.viewId, credential: orders.credential };
    },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await emulator?.close();
});

describe("WarehouseTable and WarehouseJoin under the real engine", () => {
  it("up creates the table, then the join, then the view; a no-op preview makes no call", async () => {
    const up = keep(await stack.up());
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 4 });
    expect(calls(up.requests)).toEqual(["POST /api/projects/1/warehouse_tables/", "POST /api/projects/1/warehouse_view_links/", "POST /api/environments/1/warehouse_saved_queries/"]);
    expect(liveTables().map((t) => t.name)).toEqual(["e2e_orders"]);
    expect(liveJoins().map((j) => `${j.source_table_name}.${j.field_name}`)).toEqual(["e2e_orders.person"]);
    expect(up.result.outputs.columns!.value.map((c: { name: string }) => c.name)).toEqual(["order_id", "email"]);
    expect(up.result.outputs.credential!.secret).toBe(true);

    const preview = keep(await stack.preview());
    expect(preview.result.changeSummary).toEqual({ same: 4 });
    expect(preview.requests).toHaveLength(0);
  }, 300_000);

  it("refresh is not drift: the write-only credential and the join's names read back as declared", async () => {
    const refresh = keep(await stack.refresh());
    expect(Object.keys(refresh.result.summary.resourceChanges ?? {})).toEqual(["same"]);
    const preview = keep(await stack.preview());
    expect(preview.result.changeSummary).toEqual({ same: 4 });
  }, 300_000);

  it("a urlPattern change is in place: same tableId, one refresh_schema, new columns; the credential is not re-sent", async () => {
    const before = liveTables()[0]!.id;
    desired.url = V2;
    const preview = keep(await stack.preview());
    expect(preview.result.changeSummary).toMatchObject({ update: 1, same: 3 });
    const up = keep(await stack.up());
    expect(up.result.summary.resourceChanges).toMatchObject({ update: 1, same: 3 });
    expect(calls(up.requests)).toEqual(["PATCH /api/projects/1/warehouse_tables/<id>/", "POST /api/projects/1/warehouse_tables/<id>/refresh_schema/"]);
    expect(up.requests.find((r) => r.method === "PATCH")!.body).toEqual({ url_pattern: V2 });
    expect(up.result.outputs.tableId!.value).toBe(before);
    expect(up.result.outputs.columns!.value.map((c: { name: string }) => c.name)).toEqual(["order_id", "email", "total"]);
  }, 300_000);

  it("a rename updates the join it manages in the same up", async () => {
    desired.name = "e2e_orders_renamed";
    const up = keep(await stack.up());
    expect(calls(up.requests)).toEqual(expect.arrayContaining(["PATCH /api/projects/1/warehouse_tables/<id>/", "PATCH /api/projects/1/warehouse_view_links/<id>/"]));
    expect(calls(up.requests).indexOf("PATCH /api/projects/1/warehouse_tables/<id>/")).toBeLessThan(calls(up.requests).indexOf("PATCH /api/projects/1/warehouse_view_links/<id>/"));
    expect(liveJoins().map((j) => j.source_table_name)).toEqual(["e2e_orders_renamed"]);
    expect(JSON.stringify(up.requests.map((r) => r.body))).not.toContain("credential");
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 4 });
  }, 300_000);

  it("destroy deletes the view and the join before the table and leaves nothing", async () => {
    const destroy = keep(await stack.destroy());
    expect(destroy.result.summary.resourceChanges).toMatchObject({ delete: 4 });
    const deletes = calls(destroy.requests);
    expect(deletes.indexOf("DELETE /api/projects/1/warehouse_view_links/<id>/")).toBeLessThan(deletes.indexOf("DELETE /api/projects/1/warehouse_tables/<id>/"));
    expect(liveTables()).toEqual([]);
    expect(emulator.state.joins).toEqual([]);
    expect(liveViews()).toEqual([]);
  }, 300_000);

  it("the access key and secret appear in plaintext nowhere: state, outputs, logs, events, request log", async () => {
    const state = seen.join("\n");
    expect(state).toContain("ciphertext");
    const requestLog = JSON.stringify(emulator.requests.map(({ body, path, query }) => ({ body, path, query })));
    const artefacts: Record<string, string> = { state, requestLog, events: JSON.stringify(events), ...Object.fromEntries(seen.map((text, i) => [`output${i}`, text])) };
    expect(events.length).toBeGreaterThan(0);
    expect(canaryHits([ACCESS_KEY, ACCESS_SECRET], artefacts)).toEqual([]);
    // The only requests that carried the credential are the create's.
    expect(emulator.requests.filter((r) => JSON.stringify(r.body).includes("access_secret")).map((r) => r.method)).toEqual(["POST"]);
  }, 300_000);
});

describe("examples/warehouse-tables against the emulator", () => {
  it("up creates the table, the join and the view; a preview then makes no call; destroy leaves nothing", async () => {
    emulator.state.buckets["https://acme-exports.s3.eu-west-1.amazonaws.com/orders/*.parquet"] = { columns: [{ name: "email", type: "String" }, { name: "total", type: "Float64" }] };
    const ex = await TestStack.create({
      log: emulator,
      program: example,
      projectName: "posthog-warehouse-tables",
      config: {
        "posthog:host": { value: emulator.url },
        "posthog:apiKey": { value: emulator.apiKey, secret: true },
        "posthog:projectId": { value: "1" },
        ordersAccessKey: { value: ACCESS_KEY, secret: true },
        ordersAccessSecret: { value: ACCESS_SECRET, secret: true },
      },
    });
    try {
      const up = await ex.up();
      expect(up.result.summary.resourceChanges).toMatchObject({ create: 4 });
      expect(up.result.outputs.columns!.value.map((c: { name: string }) => c.name)).toEqual(["email", "total"]);
      expect(liveViews().map((v) => v.name)).toEqual(["revenue_by_country"]);
      expect((await ex.preview()).requests).toHaveLength(0);
      await ex.destroy();
      expect([liveTables(), liveJoins(), liveViews()]).toEqual([[], [], []]);
    } finally {
      await ex.dispose();
    }
  }, 300_000);
});

describe("a join on a synced source table", () => {
  it("takes the table's name from the source's outputs: created after the source, deleted before it, not drift on refresh", async () => {
    const st = await TestStack.create({
      log: emulator,
      projectName: "wt-e2e-synced",
      config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } },
      program: async () => {
        const stripe = new ExternalDataSource("stripe", { sourceType: "Stripe", prefix: "eu_", jobInputs: { stripe_secret_key: "sk_e2e" } });
        new WarehouseJoin("customer-person", { sourceTableName: syncedTableName(stripe, "Customer"), sourceTableKey: "email", joiningTableName: "persons", joiningTableKey: "properties.email", fieldName: "person" });
      },
    });
    try {
      const up = await st.up();
      expect(calls(up.requests)).toEqual(["POST /api/environments/1/external_data_sources/", "POST /api/projects/1/warehouse_view_links/"]);
      expect(liveJoins().map((j) => j.source_table_name)).toEqual(["eu_stripe_customer"]);
      const refresh = await st.refresh();
      expect(Object.keys(refresh.result.summary.resourceChanges ?? {})).toEqual(["same"]);
      expect((await st.preview()).result.changeSummary).toEqual({ same: 3 });
      const destroy = await st.destroy();
      expect(calls(destroy.requests)).toEqual(["DELETE /api/projects/1/warehouse_view_links/<id>/", "DELETE /api/environments/1/external_data_sources/<id>/"]);
    } finally {
      await st.dispose();
    }
  }, 300_000);
});
