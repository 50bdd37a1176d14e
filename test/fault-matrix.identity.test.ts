import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { observeClientEvent } from "../provider/resource/operation-scope";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { warehouseJoinDefinition } from "../provider/resources/warehouse-join";
import { warehouseTableDefinition } from "../provider/resources/warehouse-table";
import { startEmulator, type Emulator } from "./emulator";
import { ForeignObjects } from "./harness/foreign";
import { emulatorServices } from "./harness/lifecycle-services";
import { recordTotals } from "./harness/reliability-totals";

/*
 * The identity rule, cell by cell at the lifecycle level: an object with the same natural key made by someone else
 * (before the up, or between the pre-create check and the POST, with and without a lost response), a lost create
 * response whose lookup fails too, and adoption of an object that differs. Every cell ends with the emulator's live
 * objects of that key being exactly the foreign one plus what the provider reported as its own, and nothing foreign
 * written to, deleted or taken over.
 */
let em: Emulator;
let client: PostHogClient;
let foreign: ForeignObjects;
const totals = { faultCells: 0, duplicates: 0, orphans: 0, foreignTouched: 0 };
const WRITES = new Set(["POST", "PATCH", "DELETE"]);

beforeAll(async () => {
  em = await startEmulator({ syncDurationMs: 1 });
  client = new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, onEvent: observeClientEvent(), retryBaseMs: 1, retryMaxMs: 5, maxRetries: 2, requestTimeoutMs: 2_000 });
  foreign = new ForeignObjects(em);
});
afterAll(async () => {
  recordTotals(totals);
  await client.close();
  await em.close();
});
beforeEach(() => {
  em.clearFaults();
  em.clearRequests();
});

/**
 * A refusal must not carry an `id`: the dynamic-provider host would record that object as this resource's (it reads
 * any error's `id` as "created, but failed to initialise"), and a later destroy would delete someone else's object.
 */
async function refusal(create: Promise<unknown>): Promise<string> {
  const err = (await create.then(() => new Error("expected a refusal"), (e: unknown) => e)) as Error;
  expect(Object.keys(err)).not.toContain("id");
  return err.message;
}

const failed = { kind: "status", status: 500, body: { type: "server_error", code: "error", detail: "injected 500", attr: null } } as const;

const RESOURCES = {
  SavedQuery: {
    def: savedQueryDefinition,
    collection: /\/warehouse_saved_queries\/$/,
    inputs: (n: number) => ({ name: `idv_${n}`, query: "select event from events" }),
    // Someone else's view of the same name, with another query.
    makeForeign: async (n: number) => (await client.savedQueries.create({ name: `idv_${n}`, query: { kind: "HogQLQuery", query: "select timestamp from events" } })).view.id,
    live: (n: number) => em.state.views.filter((v) => !v.deleted && v.name === `idv_${n}`).map((v) => v.id),
    mismatch: (n: number) => ({ name: `idv_${n}_other`, query: "select distinct_id from events" }),
    mismatchReasons: [/name: PostHog has "idv_\d+", declared "idv_\d+_other"/, /query: PostHog has "select timestamp from events", declared "select distinct_id from events"/],
  },
  ExternalDataSource: {
    def: externalDataSourceDefinition,
    collection: /\/external_data_sources\/$/,
    inputs: (n: number) => ({ sourceType: "Hubspot", prefix: `ids${n}_`, jobInputs: { hubspot_integration_id: 1 } }),
    makeForeign: async (n: number) =>
      (await client.externalDataSources.create({ source_type: "Hubspot", prefix: `ids${n}_`, description: "theirs", payload: { hubspot_integration_id: 1, schemas: [{ name: "contacts", should_sync: true }] } })).id,
    live: (n: number) => em.state.sources.filter((s) => !s.deleted && s.prefix === `ids${n}_`).map((s) => s.id),
    mismatch: (n: number) => ({ sourceType: "Hubspot", prefix: `ids${n}_`, description: "ours", schemas: [{ name: "deals" }], jobInputs: { hubspot_integration_id: 1 } }),
    mismatchReasons: [/description: PostHog has "theirs", declared "ours"/, /schemas: PostHog has .*contacts.*, declared .*deals/],
  },
  WarehouseTable: {
    def: warehouseTableDefinition,
    collection: /\/warehouse_tables\/$/,
    inputs: (n: number) => ({ name: `idt_${n}`, format: "Parquet", urlPattern: `https://b.s3.amazonaws.com/idt${n}/*.parquet`, credential: { accessKey: "AKIA_ID", accessSecret: "id-secret" } }),
    // Someone else's table of the same name over other files.
    makeForeign: async (n: number) =>
      (await client.warehouseTables.create({ name: `idt_${n}`, format: "CSV", url_pattern: `https://theirs.example.com/idt${n}.csv`, credential: { access_key: "theirs", access_secret: "theirs" } })).id,
    live: (n: number) => em.state.tables.filter((t) => !t.deleted && t.name === `idt_${n}`).map((t) => t.id),
    mismatch: (n: number) => ({ name: `idt_${n}`, format: "Parquet", urlPattern: `https://b.s3.amazonaws.com/idt${n}/*.parquet`, credential: { accessKey: "AKIA_ID", accessSecret: "id-secret" } }),
    mismatchReasons: [/format: PostHog has "CSV", declared "Parquet"/, /urlPattern: PostHog has "https:\/\/theirs\.example\.com\/idt\d+\.csv"/],
  },
  WarehouseJoin: {
    def: warehouseJoinDefinition,
    collection: /\/warehouse_view_links\/$/,
    inputs: (n: number) => ({ sourceTableName: "events", sourceTableKey: "distinct_id", joiningTableName: "persons", joiningTableKey: "id", fieldName: `idj_${n}` }),
    // Someone else's join adding the same field to events, reaching another table.
    makeForeign: async (n: number) =>
      (await client.warehouseJoins.create({ source_table_name: "events", source_table_key: "distinct_id", joining_table_name: "groups", joining_table_key: "key", field_name: `idj_${n}` })).id,
    live: (n: number) => em.state.joins.filter((j) => !j.deleted && j.field_name === `idj_${n}`).map((j) => j.id),
    mismatch: (n: number) => ({ sourceTableName: "events", sourceTableKey: "distinct_id", joiningTableName: "persons", joiningTableKey: "id", fieldName: `idj_${n}` }),
    mismatchReasons: [/joiningTableName: PostHog has "groups", declared "persons"/, /joiningTableKey: PostHog has "key", declared "id"/],
  },
};

let n = 0;
describe.each(Object.entries(RESOURCES))("%s", (_type, r) => {
  const provider = () => toDynamicProvider(r.def, emulatorServices(client, em.url));

  /** The cell's end state: the key's live objects are the foreign ones plus `ours`, and no foreign object touched. */
  function settle(i: number, theirs: string[], ours: string[]): void {
    totals.faultCells++;
    const live = r.live(i);
    totals.duplicates += Math.max(0, live.length - 1);
    totals.orphans += live.filter((id) => !theirs.includes(id) && !ours.includes(id)).length;
    const touched = [...new Set([...foreign.touched(), ...ours.filter((id) => foreign.ids.includes(id))])];
    totals.foreignTouched += touched.length;
    expect(touched).toEqual([]);
    expect(live.sort()).toEqual([...theirs, ...ours].sort());
  }

  it("an object with the same key made outside Pulumi before the create: refused at once, named, no write", async () => {
    const i = ++n;
    const theirs = foreign.add(await r.makeForeign(i));
    em.clearRequests();
    const err = await refusal(provider().create!(r.inputs(i)));
    expect(err).toMatch(new RegExp(`already exists in project 1 .*\\(id ${theirs}\\).*Nothing was written.*adoptId: "${theirs}"`));
    expect(em.requests.filter((q) => WRITES.has(q.method))).toEqual([]);
    settle(i, [theirs], []);
  });

  it("an object with the same key made between the pre-create check and the POST: PostHog refuses ours, the taker is named", async () => {
    const i = ++n;
    let theirs = "";
    em.addFault({ method: "POST", path: r.collection, fault: { kind: "interleave", run: async () => (theirs = foreign.add(await r.makeForeign(i))) } });
    const err = await refusal(provider().create!(r.inputs(i)));
    expect(err).toMatch(new RegExp(`already exists .*\\(id ${theirs}\\).*adoptId: "${theirs}"`));
    settle(i, [theirs], []);
  });

  it("...and the create's response lost: the object found is not provably ours, so it is named and left alone", async () => {
    const i = ++n;
    let theirs = "";
    em.addFault({ method: "POST", path: r.collection, fault: { kind: "interleave", run: async () => (theirs = foreign.add(await r.makeForeign(i))), then: "commit-then-drop" } });
    const err = await refusal(provider().create!(r.inputs(i)));
    expect(err).toMatch(new RegExp(`response was lost.*id ${theirs}, cannot be proven.*differs from what this create sent.*Nothing was adopted or deleted.*adoptId: "${theirs}"`));
    settle(i, [theirs], []);
  });

  it("a lost create response whose lookup fails too: the next create names the object and its adoptId; adopting it converges", async () => {
    const i = ++n;
    // The lookups fail from the POST on (the pre-create check before it succeeded).
    const lookupsFail = async () => em.addFault({ method: "GET", path: r.collection, fault: failed, times: 10 });
    em.addFault({ method: "POST", path: r.collection, fault: { kind: "interleave", run: lookupsFail, then: "commit-then-drop" } });
    const first = await refusal(provider().create!(r.inputs(i)));
    expect(first).toMatch(/create failed: .*may have been applied.*looking for .* failed too .*injected 500.*Run `pulumi up` again/);
    em.clearFaults();
    const [made] = r.live(i);
    em.clearRequests();
    const second = await refusal(provider().create!(r.inputs(i)));
    expect(second).toMatch(new RegExp(`\\(id ${made}\\).*adoptId: "${made}"`));
    expect(em.requests.filter((q) => WRITES.has(q.method))).toEqual([]);
    const adopted = await provider().create!({ ...r.inputs(i), adoptId: made! });
    expect(adopted.id).toBe(made);
    expect(em.requests.filter((q) => WRITES.has(q.method))).toEqual([]);
    settle(i, [], [adopted.id]);
  });

  it("adoptId of an object that differs: refused listing every difference, nothing written", async () => {
    const i = ++n;
    const theirs = foreign.add(await r.makeForeign(i));
    em.clearRequests();
    const err = await refusal(provider().create!({ ...r.mismatch(i), adoptId: theirs }));
    for (const reason of r.mismatchReasons) expect(err).toMatch(reason);
    expect(err).toMatch(new RegExp(`^${_type}[^:]*: cannot adopt .*Nothing was changed`));
    expect(em.requests.filter((q) => WRITES.has(q.method))).toEqual([]);
    settle(i, [theirs], []);
  });
});

describe("SavedQuery: a view renamed into the key while the create's response is lost", () => {
  it("is older than the check that found the name free, so it is not adopted", async () => {
    const i = ++n;
    const provider = toDynamicProvider(savedQueryDefinition, emulatorServices(client, em.url));
    // Identical query: only its age tells it apart from the view the create would have made.
    const { view } = await client.savedQueries.create({ name: `idr_${i}_old`, query: { kind: "HogQLQuery", query: "select event from events" } });
    foreign.add(view.id);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // PostHog's Date header has second precision
    const rename = async () => client.savedQueries.update(view.id, { name: `idr_${i}` });
    em.addFault({ method: "POST", path: /\/warehouse_saved_queries\/$/, fault: { kind: "interleave", run: rename, then: "commit-then-drop" } });
    const err = await refusal(provider.create!({ name: `idr_${i}`, query: "select event from events" }));
    expect(err).toMatch(new RegExp(`id ${view.id}, cannot be proven.*made at .*before the check`));
    totals.faultCells++;
    // The rename was the colleague's own write; the provider wrote nothing to it and did not take it over.
    expect(em.requests.filter((q) => WRITES.has(q.method) && q.path.includes(view.id) && q.method !== "PATCH")).toEqual([]);
    expect(em.state.views.filter((v) => !v.deleted && v.name === `idr_${i}`).map((v) => v.id)).toEqual([view.id]);
  });
});
