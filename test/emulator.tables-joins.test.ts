import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startEmulator, type Emulator } from "./emulator";

/* Conformance of the emulator's warehouse tables and joins with facts-tables-and-joins.md. */
let em: Emulator;
const T = "/api/projects/1/warehouse_tables/";
const J = "/api/projects/1/warehouse_view_links/";

async function call(method: string, p: string, body?: unknown) {
  const res = await request(`${em.url}${p}`, {
    method: method as "GET",
    headers: { authorization: `Bearer ${em.apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- conformance checks read response bodies field by field
  return { status: res.statusCode, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const table = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  format: "Parquet",
  url_pattern: `https://bucket.s3.amazonaws.com/${name}/*.parquet`,
  credential: { access_key: "AKIA1", access_secret: "s3cr3t" },
  ...extra,
});
const err = (detail: string, attr: string | null = null, code = "invalid_input") => ({ type: "validation_error", code, detail, attr });

beforeAll(async () => {
  em = await startEmulator({ bucketFailureMs: 300 });
});
afterAll(() => em.close());

describe("emulator: warehouse tables", () => {
  it("creates with 201 and the full object, columns read from the bucket, credential keys never returned", async () => {
    em.state.buckets["https://bucket.s3.amazonaws.com/orders/*.parquet"] = { columns: [{ name: "order_id", type: "Int64" }, { name: "email", type: "String" }] };
    const created = await call("POST", T, table("orders"));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "orders", hogql_name: "orders", format: "Parquet", external_data_source: null, options: {}, credential: { id: expect.any(String), created_by: null } });
    expect(created.json!.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual(["order_id:integer", "email:string"]);
    expect(created.text).not.toContain("s3cr3t");
    expect(created.text).not.toContain("AKIA1");
    const read = await call("GET", `/api/environments/1/warehouse_tables/${created.json!.id}`);
    expect(read.json).toMatchObject({ id: created.json!.id, name: "orders" });
    expect((await call("GET", `${T}${created.json!.id}/?include_columns=false`)).json!.columns).toEqual([]);
  });

  it("validates fields in PostHog's order with its exact errors; nothing is saved", async () => {
    const before = em.state.tables.length;
    expect((await call("POST", T, { format: "Parquet" })).json).toEqual(err("This field is required.", "name", "required"));
    expect((await call("POST", T, table("t1", { format: "JSON" }))).json).toEqual(err('"JSON" is not a valid choice.', "format", "invalid_choice"));
    expect((await call("POST", T, table("t1", { url_pattern: "s3://bucket/x" }))).json).toEqual(err("URL pattern must use https.", "url_pattern"));
    expect((await call("POST", T, table("t1", { url_pattern: "https://localhost/x" }))).json).toEqual(err("URL pattern hostname is not allowed.", "url_pattern"));
    expect((await call("POST", T, table("t1", { url_pattern: "https://10.0.0.8/x" }))).json).toEqual(err("URL pattern hostname must not resolve to internal IP ranges.", "url_pattern"));
    expect((await call("POST", T, table("t1", { url_pattern: "https://data-warehouse.posthog.com/x" }))).json).toEqual(err("Cant use this bucket", "url_pattern"));
    expect((await call("POST", T, table("t1", { credential: undefined }))).json).toEqual(err("This field is required.", "credential", "required"));
    expect((await call("POST", T, table("t1", { credential: { access_key: " ", access_secret: "x" } }))).json).toEqual(err("This field may not be blank.", "credential__access_key", "blank"));
    expect((await call("POST", T, table("t1", { options: "x" }))).json).toEqual(err('Expected a dictionary of items but got type "str".', "options", "not_a_dict"));
    expect((await call("POST", T, table("events"))).json).toEqual(err("A table with this name already exists.", "name"));
    expect((await call("POST", T, table("orders"))).json).toEqual(err("A table with this name already exists.", "name"));
    expect(em.state.tables.length).toBe(before);
  });

  it("the DNS step is a switch: unresolvable or internal answers are refused", async () => {
    em.state.dns = { check: true, records: { "inside.example.com": ["192.168.1.4"], "bucket.s3.amazonaws.com": ["52.1.2.3"] } };
    try {
      expect((await call("POST", T, table("t2", { url_pattern: "https://nowhere.example.com/x" }))).json).toEqual(err("URL pattern hostname could not be resolved.", "url_pattern"));
      expect((await call("POST", T, table("t2", { url_pattern: "https://inside.example.com/x" }))).json).toEqual(err("URL pattern hostname must not resolve to internal IP ranges.", "url_pattern"));
      expect((await call("POST", T, table("t2"))).status).toBe(201);
    } finally {
      em.state.dns = { check: false, records: {} };
    }
  });

  it("an unreadable bucket answers 400 with PostHog's mapped message only after its retries; nothing saved", async () => {
    em.state.buckets["https://bucket.s3.amazonaws.com/missing/*.parquet"] = { error: "The provided file doesn't exist in the bucket" };
    const started = Date.now();
    const res = await call("POST", T, table("missing"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(res.json).toEqual(err("The provided file doesn't exist in the bucket"));
    expect((await call("POST", T, table("badkey", { credential: { access_key: "wrong", access_secret: "x" } }))).json).toEqual(err("The Access Key you provided does not exist"));
    expect(em.state.tables.filter((t) => t.name === "missing" || t.name === "badkey")).toEqual([]);
  });

  it("PATCH changes format and URL without re-reading columns; refresh_schema re-reads them", async () => {
    const { json } = await call("POST", T, table("events_files"));
    const id = json!.id as string;
    em.state.buckets["https://bucket.s3.amazonaws.com/v2/*.parquet"] = { columns: [{ name: "id", type: "String" }, { name: "amount", type: "Float64" }] };
    const patched = await call("PATCH", `${T}${id}/`, { url_pattern: "https://bucket.s3.amazonaws.com/v2/*.parquet", credential: {} });
    expect(patched.json!.columns.map((c: { name: string }) => c.name)).toEqual(["id", "value"]);
    expect(em.state.tables.find((t) => t.id === id)!.credential.access_secret).toBe("s3cr3t");
    expect((await call("PATCH", `${T}${id}/`, { credential: { access_secret: "" } })).json).toEqual(err("This field may not be blank.", "credential__access_secret", "blank"));
    await call("PATCH", `${T}${id}/`, { credential: { access_secret: "rotated" } });
    expect(em.state.tables.find((t) => t.id === id)!.credential).toMatchObject({ access_key: "AKIA1", access_secret: "rotated" });
    const refreshed = await call("POST", `${T}${id}/refresh_schema`);
    expect(refreshed).toMatchObject({ status: 200, text: "" });
    expect((await call("GET", `${T}${id}/`)).json!.columns.map((c: { name: string }) => c.name)).toEqual(["id", "amount"]);
  });

  it("lists with limit/offset, newest first, with ?search, including synced source tables", async () => {
    await call("POST", "/api/environments/1/external_data_sources/", { source_type: "Stripe", payload: { stripe_secret_key: "sk" } });
    const list = await call("GET", `${T}?limit=2`);
    expect(list.json!.count).toBeGreaterThan(2);
    expect(list.json!.next).toContain("offset=2");
    expect(list.json!.results[0].name).toBe("events_files");
    const stripe = await call("GET", `${T}?search=stripe_customer`);
    expect(stripe.json!.results).toEqual([expect.objectContaining({ name: "stripe_customer", hogql_name: "stripe.customer", external_data_source: expect.any(Object) })]);
    expect(await call("DELETE", `${T}${stripe.json!.results[0].id}/`)).toMatchObject({ status: 400, json: { message: "Can't delete a sourced table" } });
  });
});

describe("emulator: joins", () => {
  it("validates tables, keys and the field name on create, then echoes the fields with printed HogQL names", async () => {
    const base = { source_table_name: "orders", source_table_key: "email", joining_table_name: "persons", joining_table_key: "properties.email", field_name: "person_by_email" };
    expect((await call("POST", J, { ...base, source_table_name: "nope" })).json).toEqual(err("Invalid table: nope"));
    expect((await call("POST", J, { ...base, joining_table_key: "1" })).json).toEqual(err("Join key 1 must be a table field"));
    expect((await call("POST", J, { ...base, source_table_key: "email syntax" })).json!.detail).toMatch(/mismatched input 'syntax' expecting <EOF>/);
    expect((await call("POST", J, { ...base, field_name: "a.b" })).json).toEqual(err("Field name must not contain a period: '.'"));
    expect((await call("POST", J, { ...base, field_name: "email" })).json).toEqual(err('Field name "email" already exists on table "orders"'));
    expect((await call("POST", J, { ...base, source_table_name: "events", field_name: "person" })).json).toEqual(err('Field name "person" already exists on table "events"'));
    const created = await call("POST", J, base);
    expect(created).toMatchObject({ status: 201, json: { ...base, configuration: {}, deleted: false } });
    expect((await call("POST", J, base)).json).toEqual(err('Field name "person_by_email" already exists on table "orders"'));
    const synced = await call("POST", "/api/environments/1/warehouse_view_link/", { ...base, source_table_name: "stripe_customer", source_table_key: "email", field_name: "person" });
    expect(synced.json).toMatchObject({ source_table_name: "stripe.customer" });
    expect((await call("GET", `${T}?search=orders`)).json!.results[0].columns.map((c: { name: string }) => c.name)).toContain("person_by_email");
  });

  it("update validates nothing; delete is hard", async () => {
    const { json } = await call("POST", J, { source_table_name: "events", source_table_key: "distinct_id", joining_table_name: "orders", joining_table_key: "email", field_name: "orders_by_id" });
    const id = json!.id as string;
    expect((await call("PATCH", `${J}${id}/`, { joining_table_name: "does_not_exist", configuration: { experiments_optimized: true } })).json).toMatchObject({ joining_table_name: "does_not_exist", configuration: { experiments_optimized: true } });
    expect((await call("DELETE", `${J}${id}/`)).status).toBe(204);
    expect(em.state.joins.find((j) => j.id === id)).toBeUndefined();
    expect((await call("GET", `${J}${id}/`)).status).toBe(404);
  });

  it("a table delete is soft and cascades to live joins naming it, which still GET with deleted: true", async () => {
    const orders = em.state.tables.find((t) => t.name === "orders" && !t.deleted)!;
    const join = em.state.joins.find((j) => j.source_table_name === "orders" && !j.deleted)!;
    expect(await call("DELETE", `${T}${orders.id}/`)).toMatchObject({ status: 204, text: "" });
    expect((await call("GET", `${T}${orders.id}/`)).status).toBe(404);
    expect(em.state.tables.find((t) => t.id === orders.id)).toMatchObject({ deleted: true, credential: { access_secret: "s3cr3t" } });
    expect((await call("GET", `${J}${join.id}/`)).json).toMatchObject({ deleted: true });
    expect((await call("GET", J)).json!.results.map((j: { id: string }) => j.id)).not.toContain(join.id);
    // The name is free again.
    expect((await call("POST", T, table("orders"))).status).toBe(201);
  });

  it("?search on joins fails as PostHog's filter on a missing field does", async () => {
    expect((await call("GET", `${J}?search=x`)).status).toBe(500);
  });
});
