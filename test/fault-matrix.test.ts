import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { observeClientEvent } from "../provider/resource/operation-scope";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { warehouseJoinDefinition } from "../provider/resources/warehouse-join";
import { warehouseTableDefinition } from "../provider/resources/warehouse-table";
import { startEmulator, type Emulator, type Fault } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";
import { recordTotals } from "./harness/reliability-totals";

/*
 * Fault matrix at the lifecycle level (fast): each operation of each resource under each injected fault, then the
 * final truth is checked against the emulator — succeeded exactly once, or failed with a clear error and left no
 * duplicate and no orphan.
 */
let em: Emulator;
let client: PostHogClient;
const services = () => emulatorServices(client, em.url);
const totals = { cells: 0, duplicates: 0, orphans: 0 };

beforeAll(async () => {
  em = await startEmulator({ syncDurationMs: 1 });
  client = new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, onEvent: observeClientEvent(), retryBaseMs: 1, retryMaxMs: 5, maxRetries: 3, timeoutMs: 2_000 });
});
afterAll(async () => {
  console.log(`fault matrix: ${totals.cells} cells, ${totals.duplicates} duplicates, ${totals.orphans} orphans`);
  recordTotals({ faultCells: totals.cells, duplicates: totals.duplicates, orphans: totals.orphans });
  await client.close();
  await em.close();
});
beforeEach(() => em.clearFaults());

const throttled: Fault = { kind: "status", status: 429, headers: { "retry-after": "0" }, body: { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 0 seconds.", attr: null } };
const status = (s: number): Fault => ({ kind: "status", status: s, body: { type: "server_error", code: "error", detail: `injected ${s}`, attr: null } });
// "retried" faults must end in success; "fatal" ones in a clear error (the server did not act).
const FAULTS: Array<[string, Fault, "retried" | "fatal" | "committed"]> = [
  ["429", throttled, "retried"],
  ["500", status(500), "fatal"],
  ["502", status(502), "retried"],
  ["503", status(503), "retried"],
  ["504", status(504), "retried"],
  ["reset", { kind: "reset" }, "retried"],
  ["commit-then-drop", { kind: "commit-then-drop" }, "committed"],
  // PostHog answers after our time-out: the write happens, we see a time-out.
  ["delay past the client time-out", { kind: "delay", ms: 2_500 }, "committed"],
];

const RESOURCES = {
  SavedQuery: {
    def: savedQueryDefinition,
    inputs: (n: number) => ({ name: `fm_view_${n}`, query: "select event from events" }),
    change: (i: Record<string, unknown>) => ({ ...i, query: "select timestamp from events" }),
    collection: "/warehouse_saved_queries/",
    liveCount: (n: number) => em.state.views.filter((v) => !v.deleted && v.name === `fm_view_${n}`).length,
    remoteChanged: (id: string) => em.state.views.find((v) => v.id === id)?.query.query === "select timestamp from events",
    makeRemote: async (n: number) => (await client.savedQueries.create({ name: `fm_view_${n}`, query: { kind: "HogQLQuery", query: "select event from events" } })).view.id,
  },
  ExternalDataSource: {
    def: externalDataSourceDefinition,
    inputs: (n: number) => ({ sourceType: "Hubspot", prefix: `fm${n}_`, jobInputs: { hubspot_integration_id: 1 } }),
    change: (i: Record<string, unknown>) => ({ ...i, description: "changed" }),
    collection: "/external_data_sources/",
    liveCount: (n: number) => em.state.sources.filter((s) => !s.deleted && s.prefix === `fm${n}_`).length,
    remoteChanged: (id: string) => em.state.sources.find((s) => s.id === id)?.description === "changed",
    makeRemote: async (n: number) => (await client.externalDataSources.create({ source_type: "Hubspot", prefix: `fm${n}_`, payload: { hubspot_integration_id: 1 } })).id,
  },
  WarehouseTable: {
    def: warehouseTableDefinition,
    inputs: (n: number) => ({ name: `fm_table_${n}`, format: "Parquet", urlPattern: `https://b.s3.amazonaws.com/fm${n}/*.parquet`, credential: { accessKey: "AKIA_FM", accessSecret: "fm-secret" } }),
    change: (i: Record<string, unknown>) => ({ ...i, urlPattern: `${String(i.urlPattern)}.v2` }),
    collection: "/warehouse_tables/",
    liveCount: (n: number) => em.state.tables.filter((t) => !t.deleted && t.name === `fm_table_${n}`).length,
    remoteChanged: (id: string) => em.state.tables.find((t) => t.id === id)?.url_pattern.endsWith(".v2") ?? false,
    makeRemote: async (n: number) =>
      (await client.warehouseTables.create({ name: `fm_table_${n}`, format: "Parquet", url_pattern: `https://b.s3.amazonaws.com/fm${n}/*.parquet`, credential: { access_key: "a", access_secret: "b" } })).id,
  },
  WarehouseJoin: {
    def: warehouseJoinDefinition,
    inputs: (n: number) => ({ sourceTableName: "events", sourceTableKey: "distinct_id", joiningTableName: "persons", joiningTableKey: "id", fieldName: `fm_join_${n}` }),
    change: (i: Record<string, unknown>) => ({ ...i, configuration: { experimentsOptimized: true } }),
    collection: "/warehouse_view_links/",
    liveCount: (n: number) => em.state.joins.filter((j) => !j.deleted && j.field_name === `fm_join_${n}`).length,
    remoteChanged: (id: string) => em.state.joins.find((j) => j.id === id)?.configuration?.experiments_optimized === true,
    makeRemote: async (n: number) =>
      (await client.warehouseJoins.create({ source_table_name: "events", source_table_key: "distinct_id", joining_table_name: "persons", joining_table_key: "id", field_name: `fm_join_${n}` })).id,
  },
};


let n = 0;
describe.each(Object.entries(RESOURCES))("%s", (_type, r) => {
  const provider = () => toDynamicProvider(r.def, services());

  it.each(FAULTS)("create under %s", async (_name, fault, kind) => {
    const i = ++n;
    em.addFault({ method: "POST", path: r.collection, fault, times: 1 });
    // A POST that may have reached PostHog is never re-sent; only 429 (PostHog did nothing) is retried.
    const outcome = await provider().create!(r.inputs(i)).then(() => "ok", (e: Error) => e.message);
    totals.cells++;
    const live = r.liveCount(i);
    if (live > 1) totals.duplicates++;
    if (kind === "retried" && fault.kind === "status" && fault.status === 429) expect(outcome).toBe("ok");
    if (kind === "committed") expect(outcome).toBe("ok");
    if (outcome === "ok") expect(live).toBe(1);
    else {
      expect(outcome).toMatch(/create failed: .*(injected|connection failed|socket)/i);
      if (live !== 0) totals.orphans++;
      expect(live).toBe(0);
    }
  });

  it.each(FAULTS)("update under %s", async (_name, fault, kind) => {
    const i = ++n;
    const created = await provider().create!(r.inputs(i));
    em.addFault({ method: "PATCH", path: created.id, fault, times: 1 });
    const outcome = await provider().update!(created.id, created.outs, r.change(r.inputs(i))).then(() => "ok", (e: Error) => e.message);
    totals.cells++;
    if (kind === "fatal") {
      expect(outcome).toMatch(/update failed: .*500/);
      expect(r.remoteChanged(created.id)).toBe(false);
    } else {
      expect(outcome).toBe("ok");
      expect(r.remoteChanged(created.id)).toBe(true);
    }
  });

  it.each(FAULTS)("delete under %s", async (_name, fault, kind) => {
    const i = ++n;
    const created = await provider().create!(r.inputs(i));
    em.addFault({ method: "DELETE", path: created.id, fault, times: 1 });
    const outcome = await provider().delete!(created.id, created.outs).then(() => "ok", (e: Error) => e.message);
    totals.cells++;
    if (kind === "fatal") {
      expect(outcome).toMatch(/delete failed: .*500/);
      expect(r.liveCount(i)).toBe(1);
    } else {
      expect(outcome).toBe("ok");
      expect(r.liveCount(i)).toBe(0);
    }
  });

  it.each(FAULTS)("read under %s", async (_name, fault, kind) => {
    const i = ++n;
    const created = await provider().create!(r.inputs(i));
    em.addFault({ method: "GET", path: created.id, fault, times: 1 });
    const outcome = await provider().read!(created.id, created.outs).then((res) => res.id, (e: Error) => e.message);
    totals.cells++;
    expect(outcome).toEqual(kind === "fatal" ? expect.stringMatching(/read of .* failed: .*500/) : created.id);
  });

  it.each(FAULTS)("adoption under %s", async (_name, fault, kind) => {
    const i = ++n;
    const id = await r.makeRemote(i);
    em.addFault({ method: "GET", path: id, fault, times: 1 });
    const outcome = await provider().create!({ ...r.inputs(i), adoptId: id }).then((res) => res.id, (e: Error) => e.message);
    totals.cells++;
    const live = r.liveCount(i);
    if (live > 1) totals.duplicates++;
    // Adoption only reads: a lost or failed GET is retried, and nothing is ever created.
    expect(live).toBe(1);
    expect(outcome).toEqual(kind === "fatal" ? expect.stringMatching(/adopting .* failed: .*500/) : id);
  });
});

describe("WarehouseTable post-update hook (refresh_schema)", () => {
  const provider = () => toDynamicProvider(warehouseTableDefinition, services());

  it.each(FAULTS)("refresh_schema under %s: the PATCH stands, and a failed hook alone is retried by the next update", async (_name, fault, kind) => {
    const i = ++n;
    const inputs = RESOURCES.WarehouseTable.inputs(i);
    const created = await provider().create!(inputs);
    em.addFault({ method: "POST", path: `${created.id}/refresh_schema/`, fault, times: 1 });
    const news = RESOURCES.WarehouseTable.change(inputs);
    const first = await provider().update!(created.id, created.outs, news).then(
      () => undefined,
      (e: Error & { properties?: Record<string, unknown> }) => e,
    );
    totals.cells++;
    expect(RESOURCES.WarehouseTable.remoteChanged(created.id)).toBe(true);
    if (kind === "fatal") expect(first).toBeInstanceOf(Error);
    if (first) {
      expect(first.message).toMatch(/update applied, hook refresh_schema failed/);
      expect(first.properties).toMatchObject({ urlPattern: news.urlPattern, pendingHooks: ["refresh_schema"] });
      em.clearRequests();
      const second = await provider().update!(created.id, first.properties!, news);
      const calls = em.requests.map((q) => `${q.method} ${q.path.replace(created.id, "<id>")}`);
      expect(calls.filter((c) => !c.startsWith("GET"))).toEqual(["POST /api/projects/1/warehouse_tables/<id>/refresh_schema/"]);
      expect(second.outs).not.toHaveProperty("pendingHooks");
    }
    expect(RESOURCES.WarehouseTable.liveCount(i)).toBe(1);
  });
});

describe("ExternalDataSource post-update hook (reload)", () => {
  const provider = () => toDynamicProvider(externalDataSourceDefinition, services());

  it.each(FAULTS)("reload under %s: the PATCH stands, and a failed hook alone is retried by the next update", async (_name, fault, kind) => {
    const i = ++n;
    const inputs = { sourceType: "Hubspot", prefix: `fh${i}_`, jobInputs: { hubspot_integration_id: 1 }, reload: "onChange" };
    const created = await provider().create!(inputs);
    em.addFault({ method: "POST", path: `${created.id}/reload/`, fault, times: 1 });
    const news = { ...inputs, description: "changed" };
    const first = await provider().update!(created.id, created.outs, news).then(
      () => undefined,
      (e: Error & { properties?: Record<string, unknown> }) => e,
    );
    totals.cells++;
    expect(em.state.sources.find((s) => s.id === created.id)?.description).toBe("changed");
    if (kind === "retried" && fault.kind === "status" && fault.status === 429) expect(first).toBeUndefined();
    if (kind === "fatal") expect(first).toBeInstanceOf(Error);
    if (first) {
      expect(first.message).toMatch(/update applied, hook reload failed/);
      expect(first.properties).toMatchObject({ description: "changed", pendingHooks: ["reload"] });
      em.clearRequests();
      await provider().update!(created.id, first.properties!, news);
      const calls = em.requests.map((q) => `${q.method} ${q.path.replace(created.id, "<id>")}`);
      expect(calls.filter((c) => c.startsWith("PATCH"))).toEqual([]);
      expect(calls.filter((c) => c.startsWith("POST"))).toEqual(["POST /api/environments/1/external_data_sources/<id>/reload/"]);
    }
    expect(em.state.sources.filter((s) => !s.deleted && s.prefix === `fh${i}_`)).toHaveLength(1);
  });
});
