import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { startEmulator, type Emulator, type Fault, type RecordedRequest } from "./emulator";
import { recordTotals } from "./harness/reliability-totals";
import { EngineOpError, TestStack } from "./harness/stack";

// Inline programs on purpose (the user-facing path, a project folder through the language host, is what the
// examples and lifecycle e2e tests run): each cell reshapes the program from the test's own state (`desired`,
// `extra`, ids it just read from the emulator) between operations, dozens of times, which an in-process program
// does without a file round trip and a TypeScript compile per operation.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExternalDataSource, SavedQuery, WarehouseJoin, WarehouseTable } = require("pulumi-posthog-warehouse") as typeof import("../provider");

/*
 * The fault-matrix cells that must hold under the real engine, not only at the lifecycle level: a lost response, a
 * throttled request and a failed post-update hook, for create, update, refresh and adoption. After each cell the
 * stack must converge: a refresh leaves the state naming exactly the objects PostHog holds, and a second `up`
 * changes nothing and writes nothing.
 */
const WRITES = new Set(["POST", "PATCH", "DELETE"]);
const lost: Fault = { kind: "commit-then-drop" };
const throttled: Fault = { kind: "status", status: 429, headers: { "retry-after": "1" }, body: { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 1 seconds.", attr: null } };
const failed: Fault = { kind: "status", status: 500, body: { type: "server_error", code: "error", detail: "injected 500", attr: null } };

let emulator: Emulator;
let client: PostHogClient;
const totals = { faultCells: 0, duplicates: 0, orphans: 0 };

beforeAll(async () => {
  emulator = await startEmulator({ syncDurationMs: 1 });
  client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: "1" });
});
afterAll(async () => {
  recordTotals(totals);
  await client?.close();
  await emulator?.close();
});

const config = () => ({ "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } });

interface Desired {
  description?: string;
  query?: string;
  adoptId?: string;
}

/** Checks convergence after a cell and counts duplicates and orphans against what PostHog holds. */
async function converges(stack: TestStack<RecordedRequest>, type: "ExternalDataSource" | "SavedQuery" | "WarehouseTable" | "WarehouseJoin", live: () => string[]): Promise<void> {
  await stack.refresh();
  const state = JSON.parse(await stack.exportState()) as { resources?: Array<{ type: string; id?: string }> };
  const inState = (state.resources ?? []).filter((r) => r.type.endsWith(`:${type}`)).map((r) => r.id!);
  const remote = live();
  totals.duplicates += Math.max(0, remote.length - new Set(remote).size) + remote.filter((id) => !inState.includes(id)).length;
  totals.orphans += inState.filter((id) => !remote.includes(id)).length;
  expect(inState.sort()).toEqual(remote.sort());
  const again = await stack.up();
  expect(Object.keys(again.result.summary.resourceChanges ?? {})).toEqual(["same"]);
  expect(again.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
  totals.faultCells++;
}

describe("ExternalDataSource under the engine", () => {
  let stack: TestStack<RecordedRequest>;
  const desired: Desired = { description: "v1" };
  const extra: Desired[] = [];
  const live = () => emulator.state.sources.filter((s) => !s.deleted).map((s) => s.id);

  beforeAll(async () => {
    stack = await TestStack.create({
      log: emulator,
      projectName: "fm-e2e-source",
      config: config(),
      program: async () => {
        new ExternalDataSource("src", { sourceType: "Hubspot", prefix: "fm_", description: desired.description, reload: "onChange", jobInputs: { hubspot_integration_id: 7 } });
        extra.forEach((d, i) => new ExternalDataSource(`adopted${i}`, { sourceType: "Hubspot", prefix: `fma${i}_`, adoptId: d.adoptId, jobInputs: { hubspot_integration_id: 7 } }));
      },
    });
  });
  afterAll(async () => stack?.dispose());

  it("create whose response is lost: exactly one source, found and recorded", async () => {
    emulator.addFault({ method: "POST", path: /\/external_data_sources\/$/, fault: lost, times: 1 });
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 2 }); // the stack itself and the source
    expect(up.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(live()).toHaveLength(1);
    await converges(stack, "ExternalDataSource", live);
  });

  it("update throttled (429, Retry-After) is retried and applied once", async () => {
    emulator.addFault({ method: "PATCH", path: "/external_data_sources/", fault: throttled, times: 1 });
    desired.description = "v2";
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(up.requests.filter((r) => r.method === "PATCH").map((r) => r.status)).toEqual([429, 200]);
    await converges(stack, "ExternalDataSource", live);
  });

  it("the reload hook failing after the PATCH: the error says so, the next up runs only the hook", async () => {
    emulator.addFault({ method: "POST", path: /\/reload\/$/, fault: failed, times: 1 });
    desired.description = "v3";
    const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(err.message).toMatch(/update applied, hook reload failed: .*500/);
    expect(emulator.state.sources.find((s) => !s.deleted)?.description).toBe("v3");
    const retry = await stack.up();
    expect(retry.requests.filter((r) => r.method === "PATCH")).toEqual([]);
    expect(retry.requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual([expect.stringMatching(/\/reload\/$/)]);
    await converges(stack, "ExternalDataSource", live);
  });

  it("refresh throttled, then a lost read response: retried, the state still matches", async () => {
    emulator.addFault({ method: "GET", path: "/external_data_sources/", fault: throttled, times: 1 });
    emulator.addFault({ method: "GET", path: "/external_data_sources/", fault: lost, times: 1 });
    const refresh = await stack.refresh();
    expect(refresh.requests.map((r) => r.status)).toContain(429);
    await converges(stack, "ExternalDataSource", live);
  });

  it("adoption whose read response is lost: adopted once, nothing created", async () => {
    const { id } = await client.externalDataSources.create({ source_type: "Hubspot", prefix: "fma0_", payload: { hubspot_integration_id: 7 } });
    extra.push({ adoptId: id });
    emulator.addFault({ method: "GET", path: id, fault: lost, times: 1 });
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(up.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    expect(live()).toHaveLength(2);
    await converges(stack, "ExternalDataSource", live);
  });
});

describe("ExternalDataSource create answered 502 by a gateway after PostHog committed", () => {
  let stack: TestStack<RecordedRequest>;
  const live = () => emulator.state.sources.filter((s) => !s.deleted && s.prefix === "gw_").map((s) => s.id);

  beforeAll(async () => {
    stack = await TestStack.create({
      log: emulator,
      projectName: "fm-e2e-gateway",
      config: config(),
      program: async () => void new ExternalDataSource("gw", { sourceType: "Hubspot", prefix: "gw_", jobInputs: { hubspot_integration_id: 7 } }),
    });
  });
  afterAll(async () => stack?.dispose());

  it("one source, found by type and prefix and recorded in the state", async () => {
    const gateway: Fault = { kind: "status", status: 502, afterCommit: true, text: "<html><body>502 Bad Gateway</body></html>" };
    emulator.addFault({ method: "POST", path: /\/external_data_sources\/$/, fault: gateway, times: 1 });
    const up = await stack.up();
    expect(up.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([502]);
    expect(live()).toHaveLength(1);
    const state = JSON.parse(await stack.exportState()) as { resources?: Array<{ type: string; id?: string }> };
    expect((state.resources ?? []).filter((r) => r.type.endsWith(":ExternalDataSource")).map((r) => r.id)).toEqual(live());
    await converges(stack, "ExternalDataSource", () => emulator.state.sources.filter((s) => !s.deleted && s.prefix === "gw_").map((s) => s.id));
  });
});

describe("SavedQuery under the engine", () => {
  let stack: TestStack<RecordedRequest>;
  const desired: Desired = { query: "select event from events" };
  const live = () => emulator.state.views.filter((v) => !v.deleted).map((v) => v.id);

  beforeAll(async () => {
    stack = await TestStack.create({
      log: emulator,
      projectName: "fm-e2e-view",
      config: config(),
      program: async () => void new SavedQuery("view", { name: "fm_e2e_view", query: desired.query! }),
    });
  });
  afterAll(async () => stack?.dispose());

  it("create throttled (429, Retry-After): retried, one view", async () => {
    emulator.addFault({ method: "POST", path: /\/warehouse_saved_queries\/$/, fault: throttled, times: 1 });
    const up = await stack.up();
    expect(up.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([429, 201]);
    expect(live()).toHaveLength(1);
    await converges(stack, "SavedQuery", live);
  });

  it("update whose response is lost: applied once, recognised as ours, not reported as a conflict", async () => {
    emulator.addFault({ method: "PATCH", path: "/warehouse_saved_queries/", fault: lost, times: 1 });
    desired.query = "select timestamp from events";
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(emulator.state.views.find((v) => !v.deleted)?.query.query).toBe("select timestamp from events");
    await converges(stack, "SavedQuery", live);
  });
});

describe("WarehouseTable and WarehouseJoin under the engine", () => {
  let stack: TestStack<RecordedRequest>;
  const desired = { url: "https://b.s3.amazonaws.com/fm/v1/*.parquet" };
  const tables = () => emulator.state.tables.filter((t) => !t.deleted).map((t) => t.id);
  const joins = () => emulator.state.joins.filter((j) => !j.deleted).map((j) => j.id);

  beforeAll(async () => {
    stack = await TestStack.create({
      log: emulator,
      projectName: "fm-e2e-table",
      config: config(),
      program: async () => {
        const table = new WarehouseTable("table", { name: "fm_e2e_table", format: "Parquet", urlPattern: desired.url, credential: { accessKey: "AKIA_FM", accessSecret: "fm-e2e-secret" } });
        new WarehouseJoin("join", { sourceTableName: table.name, sourceTableKey: "id", joiningTableName: "persons", joiningTableKey: "id", fieldName: "person" });
      },
    });
  });
  afterAll(async () => stack?.dispose());

  it("creates whose responses are both lost: one table and one join, found and recorded, each POST sent once", async () => {
    emulator.addFault({ method: "POST", path: /\/warehouse_tables\/$/, fault: lost, times: 1 });
    emulator.addFault({ method: "POST", path: /\/warehouse_view_links\/$/, fault: lost, times: 1 });
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 3 });
    expect(up.requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual(["/api/projects/1/warehouse_tables/", "/api/projects/1/warehouse_view_links/"]);
    expect([tables().length, joins().length]).toEqual([1, 1]);
    await converges(stack, "WarehouseTable", tables);
    await converges(stack, "WarehouseJoin", joins);
  });

  it("refresh_schema failing after the PATCH: the error says so, the next up runs only the hook", async () => {
    emulator.addFault({ method: "POST", path: /\/refresh_schema\/$/, fault: failed, times: 1 });
    desired.url = "https://b.s3.amazonaws.com/fm/v2/*.parquet";
    const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(err.message).toMatch(/update applied, hook refresh_schema failed: .*500/);
    const retry = await stack.up();
    expect(retry.requests.filter((r) => r.method === "PATCH")).toEqual([]);
    expect(retry.requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual([expect.stringMatching(/\/refresh_schema\/$/)]);
    await converges(stack, "WarehouseTable", tables);
  });

  it("destroy with the join's DELETE throttled: retried, then the table; nothing left", async () => {
    emulator.addFault({ method: "DELETE", path: "/warehouse_view_links/", fault: throttled, times: 1 });
    await stack.destroy();
    expect([tables(), joins()]).toEqual([[], []]);
    totals.faultCells++;
  });
});
