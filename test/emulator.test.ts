import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "./emulator";

let em: Emulator;
const SRC = "/api/environments/1/external_data_sources/";
const SQ = "/api/environments/1/warehouse_saved_queries/";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw response bodies, asserted field by field
type Body = Record<string, any>;

async function call(method: string, p: string, body?: unknown, key = em.apiKey) {
  const res = await request(`${em.url}${p}`, {
    method: method as "GET",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Body) : undefined };
}

beforeAll(async () => {
  // Long enough that a create and its read-back land inside one sync even on a loaded machine.
  em = await startEmulator({ syncDurationMs: 1_000, viewPageSize: 2 });
});
afterAll(() => em.close());

describe("emulator: sources", () => {
  it("creates with 201 {id} only, then reads back with secrets and unknown keys removed", async () => {
    const created = await call("POST", SRC, { source_type: "Postgres", prefix: "r_", payload: { host: " db ", port: 5432, database: "d", user: "u", password: "pw", schema: "public", extra_key: 1 } });
    expect(created).toMatchObject({ status: 201, json: { id: expect.any(String) } });
    expect(Object.keys(created.json!)).toEqual(["id"]);
    const read = await call("GET", `${SRC}${created.json!.id}/`);
    expect(read.json!.job_inputs).toEqual({ host: "db", port: 5432, database: "d", user: "u", schema: "public" });
    expect(read.json!.schemas.map((r: { name: string }) => r.name)).toEqual(["orders", "users"]);
    expect(read.json!.status).toBe("Running");
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await call("GET", `${SRC}${created.json!.id}/`)).json!.status).toBe("Completed");
  });

  it("a table created to sync by CDC gets PostHog's CDC frequency (5 minutes), others 6 hours (facts.md)", async () => {
    const created = await call("POST", SRC, { source_type: "Postgres", prefix: "cdc_", payload: { host: "db", port: 5432, database: "d", user: "u", password: "pw", schema: "public", schemas: [{ name: "orders", should_sync: true, sync_type: "cdc" }, { name: "users", should_sync: true }] } });
    const read = await call("GET", `${SRC}${created.json!.id}/`);
    expect(read.json!.schemas.map((r: { name: string; sync_frequency: string }) => [r.name, r.sync_frequency])).toEqual([["orders", "5min"], ["users", "6hour"]]);
  });

  it("validates prefixes and refuses a second source of one (type, prefix)", async () => {
    expect((await call("POST", SRC, { source_type: "Hubspot", prefix: "__", payload: {} })).json).toMatchObject({ type: "validation_error", attr: "prefix", detail: "Prefix cannot consist of only underscores" });
    expect((await call("POST", SRC, { source_type: "Hubspot", payload: { hubspot_integration_id: 1 } })).status).toBe(201);
    expect((await call("POST", SRC, { source_type: "Hubspot", payload: { hubspot_integration_id: 1 } })).json).toEqual({ message: "You already have a source of this type. Add a table prefix to create another." });
  });

  it("merges PATCHed job_inputs, ignores prefix changes, wants credentials again on a host change", async () => {
    const { json } = await call("POST", SRC, { source_type: "Postgres", prefix: "m_", payload: { host: "a", port: 1, database: "d", user: "u", password: "pw", schema: "s" } });
    const id = json!.id as string;
    const patched = await call("PATCH", `${SRC}${id}/`, { prefix: "other_", job_inputs: { user: "u2" } });
    expect(patched.json).toMatchObject({ prefix: "m_", job_inputs: { user: "u2", host: "a" } });
    expect(em.state.sources.find((s) => s.id === id)!.job_inputs.password).toBe("pw");
    expect((await call("PATCH", `${SRC}${id}/`, { job_inputs: { host: "b" } })).json).toEqual({ message: "Changing the connection host requires re-entering your credentials." });
  });

  it("soft-deletes: 204, then 404 and gone from the list", async () => {
    const { json } = await call("POST", SRC, { source_type: "Zendesk", payload: { subdomain: "s", api_key: "k", email_address: "a@b.co" } });
    expect((await call("DELETE", `${SRC}${json!.id}/`)).status).toBe(204);
    expect((await call("GET", `${SRC}${json!.id}/`)).json).toEqual({ type: "invalid_request", code: "not_found", detail: "Not found.", attr: null });
    expect((await call("GET", SRC)).json!.results.map((s: { id: string }) => s.id)).not.toContain(json!.id);
  });

  it("refresh_schemas finds a table that appeared upstream; reload restarts the sync", async () => {
    const { json } = await call("POST", SRC, { source_type: "Stripe", prefix: "rs_", payload: { auth_method: { selection: "api_key", stripe_secret_key: "sk" } } });
    em.addUpstreamTable(json!.id, "Dispute");
    expect((await call("POST", `/api/projects/1/external_data_sources/${json!.id}/refresh_schemas/`)).json).toMatchObject({ added: 1 });
    expect((await call("POST", `${SRC}${json!.id}/reload/`)).status).toBe(200);
  });

  it("pages with limit/offset over three pages", async () => {
    for (const prefix of ["pa_", "pb_", "pc_"]) await call("POST", SRC, { source_type: "Hubspot", prefix, payload: { hubspot_integration_id: 1 } });
    const seen: string[] = [];
    let next: string | null = `${SRC}?limit=2`;
    let pages = 0;
    while (next) {
      const page: { json?: Body } = await call("GET", next.replace(em.url, ""));
      seen.push(...page.json!.results.map((s: { id: string }) => s.id));
      next = page.json!.next;
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(em.state.sources.filter((s) => !s.deleted).length);
  });
});

describe("emulator: saved queries", () => {
  it("upserts by name, checks edited_history_id, marks Modified, renames on delete", async () => {
    const first = await call("POST", SQ, { name: "v1", query: { kind: "HogQLQuery", query: "select event from events" } });
    expect(first.status).toBe(201);
    expect(first.json!.columns).toEqual([{ name: "event", type: "String" }]);
    const again = await call("POST", SQ, { name: "v1", query: { kind: "HogQLQuery", query: "select 1 from events" } });
    expect(again).toMatchObject({ status: 400, json: { detail: "The query was modified by someone else." } });
    const ok = await call("PATCH", `${SQ}${first.json!.id}/`, { query: { kind: "HogQLQuery", query: "select 1 from events" }, edited_history_id: first.json!.latest_history_id });
    expect(ok.json).toMatchObject({ status: "Modified" });
    expect(ok.json!.latest_history_id).not.toBe(first.json!.latest_history_id);
    expect((await call("DELETE", `${SQ}${first.json!.id}/`)).status).toBe(204);
    expect(em.state.views.find((v) => v.id === first.json!.id)!.name).toMatch(/^POSTHOG_DELETED_/);
    const reborn = await call("POST", SQ, { name: "v1", query: { kind: "HogQLQuery", query: "select event from events" } });
    expect(reborn.status).toBe(201);
    expect(reborn.json!.id).not.toBe(first.json!.id);
  });

  it("validates names and table references", async () => {
    expect((await call("POST", SQ, { name: "events", query: { kind: "HogQLQuery", query: "select 1 from events" } })).json!.detail).toMatch(/cannot overlap with PostHog table names/);
    expect((await call("POST", SQ, { name: "9x", query: { kind: "HogQLQuery", query: "select 1 from events" } })).json!.detail).toMatch(/not a valid view name/);
    expect((await call("POST", SQ, { name: "vz", query: { kind: "HogQLQuery", query: "select 1 from nope" } })).json!.detail).toBe("Invalid query: Unknown table `nope`.");
    expect((await call("POST", SQ, { name: "vp", query: { kind: "HogQLQuery", query: "select {x} from events" } })).status).toBe(400);
  });

  it("pages views by page number over three pages, newest first, without the query", async () => {
    for (const n of ["p1", "p2", "p3", "p4", "p5"]) await call("POST", SQ, { name: n, query: { kind: "HogQLQuery", query: "select 1 from events" } });
    const names: string[] = [];
    for (let page = 1, more = true; more; page++) {
      const res = await call("GET", `${SQ}?page=${page}`);
      expect(res.json!.results.every((v: Record<string, unknown>) => !("query" in v))).toBe(true);
      names.push(...res.json!.results.map((v: { name: string }) => v.name));
      more = res.json!.next !== null;
    }
    expect(names.slice(0, 2)).toEqual(["p5", "p4"]);
    expect(names.length).toBeGreaterThanOrEqual(5);
  });
});

describe("emulator: auth, rate limit, faults, persistence, request log", () => {
  it("answers 401 for a wrong key", async () => {
    expect((await call("GET", SRC, undefined, "phx_wrong")).json).toMatchObject({ type: "authentication_error", code: "authentication_failed" });
  });

  it("throttles with 429, Retry-After and DRF's message", async () => {
    const limited = await startEmulator({ rateLimit: { perMinute: 2, perHour: 100 } });
    const hit = (p: string) => request(`${limited.url}${p}`, { headers: { authorization: `Bearer ${limited.apiKey}` } });
    await hit(SRC);
    await hit(SRC);
    const third = await hit(SRC);
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers["retry-after"])).toBeGreaterThan(0);
    expect(await third.body.json()).toMatchObject({ type: "throttled_error", code: "throttled", detail: expect.stringMatching(/Expected available in \d+ seconds/) });
    await limited.close();
  });

  it("reset changes nothing; commit-then-drop commits and drops the answer", async () => {
    const before = em.state.views.length;
    em.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "reset" } });
    await expect(call("POST", SQ, { name: "rst", query: { kind: "HogQLQuery", query: "select 1 from events" } })).rejects.toThrow();
    expect(em.state.views.length).toBe(before);
    em.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "commit-then-drop" } });
    await expect(call("POST", SQ, { name: "cmt", query: { kind: "HogQLQuery", query: "select 1 from events" } })).rejects.toThrow();
    expect(em.state.views.some((v) => v.name === "cmt")).toBe(true);
  });

  it("records requests with secrets masked", async () => {
    em.clearRequests();
    await call("POST", SRC, { source_type: "Zendesk", prefix: "log_", payload: { subdomain: "s", api_key: "zd-canary", email_address: "a@b.co" } });
    expect(JSON.stringify(em.requests)).not.toContain("zd-canary");
    expect(em.requests[0]).toMatchObject({ method: "POST", status: 201, body: { payload: { api_key: "***" } } });
  });

  it("persists state to a file that a second emulator loads", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "phw-em-")), "state.json");
    const a = await startEmulator({ persistPath: file });
    await request(`${a.url}${SQ}`, { method: "POST", headers: { authorization: `Bearer ${a.apiKey}`, "content-type": "application/json" }, body: JSON.stringify({ name: "kept", query: { kind: "HogQLQuery", query: "select 1 from events" } }) });
    await a.close();
    const b = await startEmulator({ persistPath: file });
    expect(b.state.views.map((v) => v.name)).toEqual(["kept"]);
    await b.close();
  });
});

describe("the emulator's HogQL table check", () => {
  it("finds the tables a query reads, and only those", async () => {
    const { referencedTables } = await import("./emulator/hogql-tables");
    expect(referencedTables("select a from events e join persons as p on e.person_id = p.id")).toEqual(["events", "persons"]);
    expect(referencedTables("with recent as (select * from events), top as (select * from recent) select * from top join sessions s on 1")).toEqual(["events", "sessions"]);
    expect(referencedTables("select extract(year from timestamp), trim(leading 'x' from name) from events")).toEqual(["events"]);
    expect(referencedTables("select 1 -- from nowhere\nfrom /* join nothing */ `my_view`")).toEqual(["my_view"]);
    expect(referencedTables("select * from (select * from events) sub, numbers(10)")).toEqual(["events"]);
    expect(referencedTables("select 'from missing' as s from events")).toEqual(["events"]);
  });
});
