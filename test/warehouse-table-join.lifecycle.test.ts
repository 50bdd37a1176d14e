import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { observeClientEvent } from "../provider/resource/operation-scope";
import { warehouseJoinDefinition } from "../provider/resources/warehouse-join";
import { warehouseTableDefinition } from "../provider/resources/warehouse-table";
import { startEmulator, type Emulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";

let emulator: Emulator;
let client: PostHogClient;
let tables: ReturnType<typeof toDynamicProvider>;
let joins: ReturnType<typeof toDynamicProvider>;
const warnings: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ bucketFailureMs: 1_500 });
  // A short client time-out: the table create must still wait for PostHog's slow bucket read.
  client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId, onEvent: observeClientEvent(), retryBaseMs: 5, requestTimeoutMs: 1_000 });
  const services = emulatorServices(client, emulator.url, (m) => warnings.push(m));
  tables = toDynamicProvider(warehouseTableDefinition, services);
  joins = toDynamicProvider(warehouseJoinDefinition, services);
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
  warnings.length = 0;
});

const url = (path: string) => `https://bucket.s3.amazonaws.com/${path}/*.parquet`;
const tableInputs = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  format: "Parquet",
  urlPattern: url(name),
  credential: { accessKey: "AKIA_LC", accessSecret: "lc-secret" },
  ...extra,
});
const liveTables = (name: string) => emulator.state.tables.filter((t) => !t.deleted && t.name === name);
const writes = () => emulator.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);

describe("WarehouseTable against the emulator", () => {
  it("check refuses bad inputs by property, before any call", async () => {
    const bad = await tables.check!({}, { ...tableInputs("x"), format: "JSON", urlPattern: "s3://b/x", credential: { accessKey: "k", accessSecret: " " } });
    expect(bad.failures?.map((f) => f.property).sort()).toEqual(["credential", "format", "urlPattern"]);
    expect(bad.failures?.find((f) => f.property === "credential")?.reason).toMatch(/^credential\.accessSecret: must not be blank/);
    expect((await tables.check!({}, tableInputs("events"))).failures?.[0]).toMatchObject({ property: "name", reason: expect.stringMatching(/PostHog's table names/) });
    expect(emulator.requests).toHaveLength(0);
  });

  it("creates with columns, reads back with the write-only credential not drift, updates the URL in place with refresh_schema, deletes", async () => {
    emulator.state.buckets[url("lc_orders")] = { columns: [{ name: "order_id", type: "Int64" }] };
    const inputs = tableInputs("lc_orders");
    const created = await tables.create!(inputs);
    expect(created.outs).toMatchObject({ tableId: created.id, columns: [{ name: "order_id", type: "integer" }], credential: inputs.credential });

    const read = await tables.read!(created.id, created.outs);
    expect(read.inputs).toMatchObject(inputs);
    expect((await tables.diff!(created.id, read.props, inputs)).changes).toBe(false);

    emulator.clearRequests();
    emulator.state.buckets[url("lc_orders_v2")] = { columns: [{ name: "order_id", type: "Int64" }, { name: "total", type: "Float64" }] };
    const news = { ...inputs, urlPattern: url("lc_orders_v2") };
    expect(await tables.diff!(created.id, created.outs, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = await tables.update!(created.id, created.outs, news);
    expect(writes()).toEqual([`PATCH /api/projects/1/warehouse_tables/${created.id}/`, `POST /api/projects/1/warehouse_tables/${created.id}/refresh_schema/`]);
    expect(emulator.requests.find((r) => r.method === "PATCH")!.body).toEqual({ url_pattern: url("lc_orders_v2") });
    expect(updated.outs).toMatchObject({ tableId: created.id, columns: [{ name: "order_id" }, { name: "total", type: "float" }] });

    emulator.clearRequests();
    await tables.update!(created.id, updated.outs!, { ...news, credential: { ...news.credential, accessSecret: "rotated" } });
    expect(emulator.requests.find((r) => r.method === "PATCH")!.body).toEqual({ credential: { access_secret: "***" } });
    expect(liveTables("lc_orders")[0]!.credential.access_secret).toBe("rotated");

    await tables.delete!(created.id, updated.outs!);
    expect(liveTables("lc_orders")).toEqual([]);
    await tables.delete!(created.id, updated.outs!); // already gone: success
    expect((await tables.read!(created.id, updated.outs)).id).toBe("");
  });

  it("a name taken by another table is refused before the POST, naming the id to adopt", async () => {
    const { id } = await client.warehouseTables.create({ name: "lc_taken", format: "CSV", url_pattern: url("x"), credential: { access_key: "a", access_secret: "b" } });
    emulator.clearRequests();
    await expect(tables.create!(tableInputs("lc_taken"))).rejects.toThrow(new RegExp(`a warehouse table named "lc_taken" already exists in project 1 .*\\(id ${id}\\).*set adoptId: "${id}"`));
    expect(writes()).toEqual([]);
    const adopted = await tables.create!({ ...tableInputs("lc_taken", { format: "CSV", urlPattern: url("x") }), adoptId: id });
    expect(adopted.id).toBe(id);
    expect(writes()).toEqual([]);
    await expect(tables.create!({ ...tableInputs("lc_taken"), adoptId: id })).rejects.toThrow(/cannot adopt .*format: PostHog has "CSV"/);
  });

  it("a slow, failing bucket read waits past the client time-out, is sent once, and names PostHog's message", async () => {
    emulator.state.buckets[url("lc_unreadable")] = { error: "Access was denied when reading the provided file" };
    const err = await tables.create!(tableInputs("lc_unreadable")).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/WarehouseTable "lc_unreadable": create failed: POST .* → 400 validation_error: Access was denied when reading the provided file/);
    expect(emulator.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(liveTables("lc_unreadable")).toEqual([]);
  });

  it("a lost create response finds the table by name and records it, never sending the POST again", async () => {
    emulator.addFault({ method: "POST", path: /\/warehouse_tables\/$/, fault: { kind: "commit-then-drop" } });
    const created = await tables.create!(tableInputs("lc_lost"));
    expect(emulator.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(liveTables("lc_lost").map((t) => t.id)).toEqual([created.id]);
  });

  it("a rename warns about joins PostHog leaves naming the old name", async () => {
    const created = await tables.create!(tableInputs("lc_before"));
    await client.warehouseJoins.create({ source_table_name: "lc_before", source_table_key: "id", joining_table_name: "persons", joining_table_key: "id", field_name: "p" });
    await tables.update!(created.id, created.outs, { ...tableInputs("lc_before"), name: "lc_after" });
    expect(liveTables("lc_after")).toHaveLength(1);
    expect(warnings.join("\n")).toMatch(/PostHog does not rename joins, and 1 still name lc_before: p on lc_before/);
  });
});

describe("WarehouseJoin against the emulator", () => {
  const joinInputs = { sourceTableName: "lc_join_src", sourceTableKey: "email", joiningTableName: "persons", joiningTableKey: "properties.email", fieldName: "person" };

  it("creates, reads back, updates in place, refuses a taken key before the POST, deletes hard", async () => {
    await tables.create!(tableInputs("lc_join_src"));
    const created = await joins.create!(joinInputs);
    expect(created.outs).toMatchObject({ ...joinInputs, joinId: created.id });
    expect((await joins.read!(created.id, created.outs)).inputs).toMatchObject(joinInputs);

    emulator.clearRequests();
    await expect(joins.create!({ ...joinInputs, joiningTableKey: "id" })).rejects.toThrow(new RegExp(`a join field "person" on lc_join_src already exists in project 1 .*\\(id ${created.id}\\)`));
    expect(writes()).toEqual([]);

    const updated = await joins.update!(created.id, created.outs, { ...joinInputs, configuration: { experimentsOptimized: true } });
    expect(emulator.requests.find((r) => r.method === "PATCH")!.body).toEqual({ configuration: { experiments_optimized: true } });
    expect((await joins.read!(created.id, updated.outs)).inputs).toMatchObject({ configuration: { experimentsOptimized: true } });

    await joins.delete!(created.id, updated.outs!);
    expect(emulator.state.joins.find((j) => j.id === created.id)).toBeUndefined();
    await joins.delete!(created.id, updated.outs!);
  });

  it("a synced table named flat reads back in PostHog's dotted form and is not drift; prefixed ones too", async () => {
    await client.externalDataSources.create({ source_type: "Stripe", payload: { stripe_secret_key: "sk_lc" } });
    await client.externalDataSources.create({ source_type: "Stripe", prefix: "eu_", payload: { stripe_secret_key: "sk_lc" } });
    for (const table of ["stripe_customer", "eu_stripe_customer"]) {
      const inputs = { sourceTableName: table, sourceTableKey: "email", joiningTableName: "persons", joiningTableKey: "properties.email", fieldName: "person" };
      const created = await joins.create!(inputs);
      expect(emulator.state.joins.find((j) => j.id === created.id)).toBeDefined();
      const read = await joins.read!(created.id, created.outs);
      expect(read.inputs).toMatchObject(inputs);
      expect((await joins.diff!(created.id, read.props, inputs)).changes).toBe(false);
    }
    const dotted = await client.warehouseJoins.list();
    const names: string[] = [];
    for await (const j of dotted) names.push(j.source_table_name);
    expect(names).toEqual(expect.arrayContaining(["stripe.customer", "stripe.eu.customer"]));
  });

  it("a join soft-deleted with its table reads as gone", async () => {
    const t = await tables.create!(tableInputs("lc_cascade"));
    const j = await joins.create!({ ...joinInputs, sourceTableName: "lc_cascade" });
    await tables.delete!(t.id, t.outs);
    expect((await joins.read!(j.id, j.outs)).id).toBe("");
    await joins.delete!(j.id, j.outs);
    expect(emulator.state.joins.find((x) => x.id === j.id)).toBeUndefined();
  });
});
