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
const TIMEOUT_MS = 1_000;
// Past the client's time-out AND the lost-create look-up's re-check window (reconcile.ts: 0, 1 and 3 s after the
// time-out, so ~4 s): PostHog commits after the provider has stopped looking.
const PAST_RECHECK_MS = TIMEOUT_MS + 4_000 + 1_500;

beforeAll(async () => {
  em = await startEmulator({ syncDurationMs: 1 });
  client = new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, onEvent: observeClientEvent(), retryBaseMs: 1, retryMaxMs: 5, maxRetries: 3, requestTimeoutMs: TIMEOUT_MS, sourceCreateTimeoutMs: TIMEOUT_MS });
});
afterAll(async () => {
  console.log(`fault matrix: ${totals.cells} cells, ${totals.duplicates} duplicates, ${totals.orphans} orphans`);
  recordTotals({ faultCells: totals.cells, duplicates: totals.duplicates, orphans: totals.orphans });
  await client.close();
  await em.close();
});
beforeEach(() => em.clearFaults());

const throttled: Fault = { kind: "status", status: 429, headers: { "retry-after": "0" }, body: { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 0 seconds.", attr: null } };
const status = (s: number, afterCommit = false): Fault => ({ kind: "status", status: s, afterCommit, body: { type: "server_error", code: "error", detail: `injected ${s}`, attr: null } });

/**
 * Each fault, and what it means for a request: `applied` = PostHog carried it out, `written` = it left this machine.
 * What the provider must do follows from that and the method (see `expected`).
 */
interface FaultCase {
  fault: Fault;
  applied: boolean | "late";
  /** PostHog's answer, if any, says it did nothing (429, 500, 503 before the handler). */
  refused: boolean;
}
const FAULTS: Array<[string, FaultCase]> = [
  ["429", { fault: throttled, applied: false, refused: true }],
  ["500", { fault: status(500), applied: false, refused: true }],
  ["503", { fault: status(503), applied: false, refused: true }],
  ["502 before PostHog", { fault: status(502), applied: false, refused: false }],
  ["502 after commit", { fault: status(502, true), applied: true, refused: false }],
  ["504 after commit", { fault: status(504, true), applied: true, refused: false }],
  ["reset", { fault: { kind: "reset" }, applied: false, refused: false }],
  ["commit-then-drop", { fault: { kind: "commit-then-drop" }, applied: true, refused: false }],
  ["delay past the time-out and the re-check window", { fault: { kind: "delay", ms: PAST_RECHECK_MS }, applied: "late", refused: false }],
];

/**
 * - "retried": sent again (the fault's request and the retry both reach PostHog) and succeeds;
 * - "fatal": fails naming PostHog's answer, nothing changed, not sent again;
 * - "found": a create whose outcome is unknown, resolved by looking the object up: succeeds, one object;
 * - "unknown": a create whose outcome is unknown and not found in time: fails saying it may have been applied.
 */
type Expected = "retried" | "fatal" | "found" | "unknown";
function expected(method: string, c: FaultCase): Expected {
  if (c.fault.kind === "status" && c.fault.status === 429) return "retried";
  if (c.fault.kind === "status" && c.fault.status === 500) return "fatal";
  if (method !== "POST") return "retried";
  if (c.refused) return "fatal";
  return c.applied === true ? "found" : "unknown";
}

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
    // PostHog reads the bucket before answering, so a table create has its own long time-out (120 s): a delay
    // the other creates give up on is simply waited out.
    waitsOutDelays: true,
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

/** How many times PostHog saw this method on this path since the last clearRequests. */
const seen = (method: string, path: string | RegExp) =>
  em.requests.filter((r) => r.method === method && (typeof path === "string" ? r.path.includes(path) : path.test(r.path))).length;

/** Other than a create, a delay need only outlast the time-out: nothing looks anything up afterwards. */
const faultFor = (method: string, c: FaultCase): Fault => (c.fault.kind === "delay" && method !== "POST" ? { kind: "delay", ms: TIMEOUT_MS + 500 } : c.fault);

/** Waits until a delayed request has reached the handler, so the next cell starts clean. */
const settle = async (fault: Fault) => {
  if (fault.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
};

let n = 0;
describe.each(Object.entries(RESOURCES))("%s", (_type, r) => {
  const provider = () => toDynamicProvider(r.def, services());

  it.each(FAULTS)("create under %s", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const want = "waitsOutDelays" in r && c.fault.kind === "delay" ? "waited" : expected("POST", c);
    em.clearRequests();
    em.addFault({ method: "POST", path: new RegExp(`${r.collection}$`), fault: c.fault, times: 1 });
    const outcome = await provider().create!(r.inputs(i)).then(() => "ok", (e: Error) => e.message);
    await settle(c.fault);
    totals.cells++;
    const live = r.liveCount(i);
    if (live > 1) totals.duplicates++;
    expect(live).toBeLessThanOrEqual(1);
    const posts = seen("POST", new RegExp(`${r.collection}$`));
    if (want === "retried") {
      expect(outcome).toBe("ok");
      expect(posts).toBe(2);
    } else {
      // A POST that may have reached PostHog is never sent again.
      expect(posts).toBe(1);
    }
    if (want === "found" || want === "waited") expect(outcome).toBe("ok");
    if (outcome === "ok") expect(live).toBe(1);
    if (want === "fatal") expect(outcome).toMatch(/create failed: .*(injected|503|500)/);
    if (want === "unknown") expect(outcome).toMatch(/create failed: .*may have been applied/);
    if (outcome !== "ok" && live !== 0) {
      // Only a commit later than the provider waits for leaves an object behind the failed create, and the error
      // said it may have been applied. It is still an object no state records: counted as an orphan.
      totals.orphans++;
      expect(c.applied).toBe("late");
      expect(outcome).toMatch(/may have been applied/);
    }
    if (outcome !== "ok" && c.applied !== "late") expect(live).toBe(0);
  });

  it.each(FAULTS)("update under %s", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const created = await provider().create!(r.inputs(i));
    const want = expected("PATCH", c);
    em.clearRequests();
    const fault = faultFor("PATCH", c);
    em.addFault({ method: "PATCH", path: created.id, fault, times: 1 });
    const outcome = await provider().update!(created.id, created.outs, r.change(r.inputs(i))).then(() => "ok", (e: Error) => e.message);
    await settle(fault);
    totals.cells++;
    if (want === "fatal") {
      expect(outcome).toMatch(/update failed: .*500/);
      expect(r.remoteChanged(created.id)).toBe(false);
      expect(seen("PATCH", created.id)).toBe(1);
    } else {
      expect(outcome).toBe("ok");
      expect(r.remoteChanged(created.id)).toBe(true);
      expect(seen("PATCH", created.id)).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(FAULTS)("delete under %s", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const created = await provider().create!(r.inputs(i));
    const want = expected("DELETE", c);
    em.clearRequests();
    const fault = faultFor("DELETE", c);
    em.addFault({ method: "DELETE", path: created.id, fault, times: 1 });
    const outcome = await provider().delete!(created.id, created.outs).then(() => "ok", (e: Error) => e.message);
    await settle(fault);
    totals.cells++;
    if (want === "fatal") {
      expect(outcome).toMatch(/delete failed: .*500/);
      expect(r.liveCount(i)).toBe(1);
      expect(seen("DELETE", created.id)).toBe(1);
    } else {
      expect(outcome).toBe("ok");
      expect(r.liveCount(i)).toBe(0);
      expect(seen("DELETE", created.id)).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(FAULTS)("read under %s", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const created = await provider().create!(r.inputs(i));
    const want = expected("GET", c);
    em.clearRequests();
    const fault = faultFor("GET", c);
    em.addFault({ method: "GET", path: created.id, fault, times: 1 });
    const outcome = await provider().read!(created.id, created.outs).then((res) => res.id, (e: Error) => e.message);
    await settle(fault);
    totals.cells++;
    expect(outcome).toEqual(want === "fatal" ? expect.stringMatching(/read of .* failed: .*500/) : created.id);
    expect(seen("GET", created.id)).toBe(want === "fatal" ? 1 : 2);
  });

  it.each(FAULTS)("adoption under %s", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const id = await r.makeRemote(i);
    const want = expected("GET", c);
    em.clearRequests();
    const fault = faultFor("GET", c);
    em.addFault({ method: "GET", path: id, fault, times: 1 });
    const outcome = await provider().create!({ ...r.inputs(i), adoptId: id }).then((res) => res.id, (e: Error) => e.message);
    await settle(fault);
    totals.cells++;
    const live = r.liveCount(i);
    if (live > 1) totals.duplicates++;
    // Adoption only reads: a lost or failed GET is retried, and nothing is ever created.
    expect(live).toBe(1);
    expect(seen("POST", r.collection)).toBe(0);
    expect(outcome).toEqual(want === "fatal" ? expect.stringMatching(/adopting .* failed: .*500/) : id);
  });
});

describe("WarehouseTable post-update hook (refresh_schema)", () => {
  const provider = () => toDynamicProvider(warehouseTableDefinition, services());

  it.each(FAULTS)("refresh_schema under %s: the PATCH stands, and a failed hook alone is retried by the next update", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const inputs = RESOURCES.WarehouseTable.inputs(i);
    const created = await provider().create!(inputs);
    // The hook is no create: nothing is looked up after it, so its delay need only outlast the time-out.
    const fault = faultFor("refresh_schema", c);
    em.addFault({ method: "POST", path: `${created.id}/refresh_schema/`, fault, times: 1 });
    const news = RESOURCES.WarehouseTable.change(inputs);
    const first = await provider().update!(created.id, created.outs, news).then(
      () => undefined,
      (e: Error & { properties?: Record<string, unknown> }) => e,
    );
    await settle(fault);
    totals.cells++;
    expect(RESOURCES.WarehouseTable.remoteChanged(created.id)).toBe(true);
    // Only a throttled hook is sent again; every other failure leaves it pending for the next update.
    if (expected("POST", c) === "retried") expect(first).toBeUndefined();
    else expect(first).toBeInstanceOf(Error);
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

  it.each(FAULTS)("reload under %s: the PATCH stands, and a failed hook alone is retried by the next update", { timeout: 30_000 }, async (_name, c) => {
    const i = ++n;
    const inputs = { sourceType: "Hubspot", prefix: `fh${i}_`, jobInputs: { hubspot_integration_id: 1 }, reload: "onChange" };
    const created = await provider().create!(inputs);
    // The reload is no create: nothing is looked up after it, so its delay need only outlast the time-out.
    const fault = faultFor("reload", c);
    em.addFault({ method: "POST", path: `${created.id}/reload/`, fault, times: 1 });
    const news = { ...inputs, description: "changed" };
    const first = await provider().update!(created.id, created.outs, news).then(
      () => undefined,
      (e: Error & { properties?: Record<string, unknown> }) => e,
    );
    await settle(fault);
    totals.cells++;
    expect(em.state.sources.find((s) => s.id === created.id)?.description).toBe("changed");
    const want = expected("POST", c);
    // Only a throttled reload is sent again; every other failure leaves the hook pending for the next update.
    if (want === "retried") expect(first).toBeUndefined();
    else expect(first).toBeInstanceOf(Error);
    if (first) {
      expect(first.message).toMatch(/update applied, hook reload failed/);
      expect(first.properties).toMatchObject({ description: "changed", pendingHooks: ["reload"] });
      em.clearRequests();
      await provider().update!(created.id, first.properties!, news);
      const calls = em.requests.map((q) => `${q.method} ${q.path.replace(created.id, "<id>")}`);
      expect(calls.filter((call) => call.startsWith("PATCH"))).toEqual([]);
      expect(calls.filter((call) => call.startsWith("POST"))).toEqual(["POST /api/environments/1/external_data_sources/<id>/reload/"]);
    }
    expect(em.state.sources.filter((s) => !s.deleted && s.prefix === `fh${i}_`)).toHaveLength(1);
  });
});
