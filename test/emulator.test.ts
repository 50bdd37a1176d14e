import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "./emulator";
import { credentials, isLive, itEmulatorOnly, lacks, startTarget, type Target } from "./harness/target";

// The emulator's conformance checks, as black-box HTTP calls: they run against the in-process emulator (npm test)
// and against a live server (npm run test:live; harness/target.ts). Lines that read the emulator's state or use its
// controls run only when `em` (the in-process emulator) is there; tests that need them are itEmulatorOnly.
let target: Target;
let em: Emulator | undefined;
let SRC = "";
let SQ = "";
const n = (name: string) => target.name(name);
const pg = credentials.postgres;
const pgPayload = () => ({ host: pg!.host, port: pg!.port, database: pg!.database, user: pg!.user, password: pg!.password, schema: pg!.schema });
const stripeAuth = () => ({ selection: "api_key", stripe_secret_key: credentials.stripe!.secretKey });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw response bodies, asserted field by field
type Body = Record<string, any>;

async function call(method: string, p: string, body?: unknown, key = target.apiKey): Promise<{ status: number; headers: Record<string, unknown>; json: Body | undefined }> {
  const res = await request(`${target.url}${p}`, {
    method: method as "GET",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  // A live server shares its rate limit with the key's other work: wait as told and ask again.
  if (isLive && res.statusCode === 429) {
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers["retry-after"] ?? 1)));
    return call(method, p, body, key);
  }
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Body) : undefined };
}

beforeAll(async () => {
  // Long enough that a create and its read-back land inside one sync even on a loaded machine.
  target = await startTarget({ syncDurationMs: 1_000, viewPageSize: 2, tag: "em" });
  em = target.emulator;
  SRC = `/api/environments/${target.projectId}/external_data_sources/`;
  SQ = `/api/environments/${target.projectId}/warehouse_saved_queries/`;
});
afterAll(() => target.close());

describe("emulator: sources", () => {
  it.skipIf(lacks("postgres", "conformance: Postgres source checks"))("creates with 201 {id} only, then reads back with secrets and unknown keys removed", async () => {
    const created = await call("POST", SRC, { source_type: "Postgres", prefix: n("r_"), payload: { ...pgPayload(), host: ` ${pg!.host} `, extra_key: 1 } });
    expect(created).toMatchObject({ status: 201, json: { id: expect.any(String) } });
    expect(Object.keys(created.json!)).toEqual(["id"]);
    const read = await call("GET", `${SRC}${created.json!.id}/`);
    expect(read.json!.job_inputs).toEqual({ host: pg!.host, port: pg!.port, database: pg!.database, user: pg!.user, schema: pg!.schema });
    expect(Array.isArray(read.json!.schemas)).toBe(true);
    if (!em) return; // the tables found and the sync clock are the emulator's
    expect(read.json!.schemas.map((r: { name: string }) => r.name)).toEqual(["orders", "users"]);
    expect(read.json!.status).toBe("Running");
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await call("GET", `${SRC}${created.json!.id}/`)).json!.status).toBe("Completed");
  });

  // Creates a source with an unprefixed name on a made-up database: never on a real project.
  itEmulatorOnly("a table created to sync by CDC gets PostHog's CDC frequency (5 minutes), others 6 hours (facts.md)", async () => {
    const created = await call("POST", SRC, { source_type: "Postgres", prefix: "cdc_", payload: { host: "db", port: 5432, database: "d", user: "u", password: "pw", schema: "public", schemas: [{ name: "orders", should_sync: true, sync_type: "cdc" }, { name: "users", should_sync: true }] } });
    const read = await call("GET", `${SRC}${created.json!.id}/`);
    expect(read.json!.schemas.map((r: { name: string; sync_frequency: string }) => [r.name, r.sync_frequency])).toEqual([["orders", "5min"], ["users", "6hour"]]);
  });

  it("validates prefixes", async () => {
    const refused = await call("POST", SRC, { source_type: "Hubspot", prefix: "__", payload: {} });
    // A prefix of only underscores cannot carry the run prefix: should a server accept it, delete what it made.
    if (refused.status === 201) await call("DELETE", `${SRC}${refused.json!.id}/`);
    expect(refused.json).toMatchObject({ type: "validation_error", attr: "prefix", detail: "Prefix cannot consist of only underscores" });
  });

  it.skipIf(lacks("postgres", "conformance: Postgres source checks"))("refuses a second source of one (type, prefix)", async () => {
    expect((await call("POST", SRC, { source_type: "Postgres", prefix: n("dup_"), payload: pgPayload() })).status).toBe(201);
    expect((await call("POST", SRC, { source_type: "Postgres", prefix: n("dup_"), payload: pgPayload() })).json).toMatchObject({ message: expect.stringContaining(`Another source of this type already uses the prefix '${n("dup_")}'`) });
  });

  // Creates a source without a prefix: never on a real project.
  itEmulatorOnly("refuses a second source of one type without a prefix", async () => {
    expect((await call("POST", SRC, { source_type: "Hubspot", payload: { hubspot_integration_id: 1 } })).status).toBe(201);
    expect((await call("POST", SRC, { source_type: "Hubspot", payload: { hubspot_integration_id: 1 } })).json).toEqual({ message: "You already have a source of this type. Add a table prefix to create another." });
  });

  it.skipIf(lacks("postgres", "conformance: Postgres source checks"))("merges PATCHed job_inputs, ignores prefix changes, wants credentials again on a host change", async () => {
    const { json } = await call("POST", SRC, { source_type: "Postgres", prefix: n("m_"), payload: pgPayload() });
    const id = json!.id as string;
    // The same user again: a live server re-checks the credentials on every job_inputs PATCH (facts.md).
    const patched = await call("PATCH", `${SRC}${id}/`, { prefix: n("other_"), job_inputs: { user: pg!.user } });
    expect(patched.json).toMatchObject({ prefix: n("m_"), job_inputs: { user: pg!.user, host: pg!.host } });
    if (em) expect(em.state.sources.find((s) => s.id === id)!.job_inputs.password).toBe(pg!.password);
    expect((await call("PATCH", `${SRC}${id}/`, { job_inputs: { host: "b" } })).json).toEqual({ message: "Changing the connection host requires re-entering your credentials." });
  });

  it.skipIf(lacks("postgres", "conformance: Postgres source checks"))("soft-deletes: 204, then 404 and gone from the list", async () => {
    const { json } = await call("POST", SRC, { source_type: "Postgres", prefix: n("del_"), payload: pgPayload() });
    expect((await call("DELETE", `${SRC}${json!.id}/`)).status).toBe(204);
    expect((await call("GET", `${SRC}${json!.id}/`)).json).toEqual({ type: "invalid_request", code: "not_found", detail: "Not found.", attr: null });
    expect((await call("GET", SRC)).json!.results.map((s: { id: string }) => s.id)).not.toContain(json!.id);
  });

  it.skipIf(lacks("stripe", "conformance: Stripe source checks"))("refresh_schemas finds a table that appeared upstream; reload restarts the sync", async () => {
    const { json } = await call("POST", SRC, { source_type: "Stripe", prefix: n("rs_"), payload: { auth_method: stripeAuth() } });
    // Making a table appear upstream is an emulator control; live, nothing new is found.
    em?.addUpstreamTable(json!.id, "Dispute");
    expect((await call("POST", `/api/projects/${target.projectId}/external_data_sources/${json!.id}/refresh_schemas/`)).json).toMatchObject({ added: em ? 1 : 0 });
    expect((await call("POST", `${SRC}${json!.id}/reload/`)).status).toBe(200);
  });

  it.skipIf(lacks("postgres", "conformance: Postgres source checks"))("pages with limit/offset over three pages", async () => {
    for (const prefix of ["pa_", "pb_", "pc_"]) await call("POST", SRC, { source_type: "Postgres", prefix: n(prefix), payload: pgPayload() });
    const total = (await call("GET", SRC)).json!.count as number;
    const seen: string[] = [];
    let next: string | null = `${SRC}?limit=2`;
    let pages = 0;
    while (next) {
      const url: URL = new URL(next, target.url); // a live server's `next` names its own host
      const page: { json?: Body } = await call("GET", `${url.pathname}${url.search}`);
      seen.push(...page.json!.results.map((s: { id: string }) => s.id));
      next = page.json!.next;
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(total);
  });
});

describe("emulator: saved queries", () => {
  it("upserts by name, checks edited_history_id, marks Modified, renames on delete", async () => {
    const first = await call("POST", SQ, { name: n("v1"), query: { kind: "HogQLQuery", query: "select event from events" } });
    expect(first.status).toBe(201);
    expect(first.json!.columns).toEqual([{ name: "event", type: "String" }]);
    const again = await call("POST", SQ, { name: n("v1"), query: { kind: "HogQLQuery", query: "select 1 from events" } });
    expect(again).toMatchObject({ status: 400, json: { detail: "The query was modified by someone else." } });
    const ok = await call("PATCH", `${SQ}${first.json!.id}/`, { query: { kind: "HogQLQuery", query: "select 1 from events" }, edited_history_id: first.json!.latest_history_id });
    expect(ok.json).toMatchObject({ status: "Modified" });
    expect(ok.json!.latest_history_id).not.toBe(first.json!.latest_history_id);
    expect((await call("DELETE", `${SQ}${first.json!.id}/`)).status).toBe(204);
    expect((await call("GET", `${SQ}${first.json!.id}/`)).status).toBe(404);
    if (em) expect(em.state.views.find((v) => v.id === first.json!.id)!.name).toMatch(/^POSTHOG_DELETED_/);
    const reborn = await call("POST", SQ, { name: n("v1"), query: { kind: "HogQLQuery", query: "select event from events" } });
    expect(reborn.status).toBe(201);
    expect(reborn.json!.id).not.toBe(first.json!.id);
  });

  it("validates names and table references", async () => {
    // Names without this run's prefix are only sent to the emulator: on a real project a POST is an upsert by name.
    if (em) expect((await call("POST", SQ, { name: "events", query: { kind: "HogQLQuery", query: "select 1 from events" } })).json!.detail).toMatch(/cannot overlap with PostHog table names/);
    if (em) expect((await call("POST", SQ, { name: "9x", query: { kind: "HogQLQuery", query: "select 1 from events" } })).json!.detail).toMatch(/not a valid view name/);
    expect((await call("POST", SQ, { name: n("bad-name"), query: { kind: "HogQLQuery", query: "select 1 from events" } })).json!.detail).toMatch(/not a valid view name/);
    expect((await call("POST", SQ, { name: n("vz"), query: { kind: "HogQLQuery", query: "select 1 from nope" } })).json!.detail).toBe("Invalid query: Unknown table `nope`.");
    expect((await call("POST", SQ, { name: n("vp"), query: { kind: "HogQLQuery", query: "select {x} from events" } })).status).toBe(400);
  });

  it("pages views by page number over three pages, newest first, without the query", async () => {
    for (const name of ["p1", "p2", "p3", "p4", "p5"]) await call("POST", SQ, { name: n(name), query: { kind: "HogQLQuery", query: "select 1 from events" } });
    const names: string[] = [];
    for (let page = 1, more = true; more; page++) {
      const res = await call("GET", `${SQ}?page=${page}`);
      expect(res.json!.results.every((v: Record<string, unknown>) => !("query" in v))).toBe(true);
      names.push(...res.json!.results.map((v: { name: string }) => v.name));
      more = res.json!.next !== null;
    }
    expect(names.slice(0, 2)).toEqual([n("p5"), n("p4")]);
    expect(names.length).toBeGreaterThanOrEqual(5);
  });
});

describe("emulator: auth, rate limit, faults, persistence, request log", () => {
  it("answers 401 for a wrong key", async () => {
    expect((await call("GET", SRC, undefined, "phx_wrong")).json).toMatchObject({ type: "authentication_error", code: "authentication_failed" });
  });

  itEmulatorOnly("throttles with 429, Retry-After and DRF's message", async () => {
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

  itEmulatorOnly("reset changes nothing; commit-then-drop commits and drops the answer", async () => {
    const em = target.emulator!;
    const before = em.state.views.length;
    em.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "reset" } });
    await expect(call("POST", SQ, { name: "rst", query: { kind: "HogQLQuery", query: "select 1 from events" } })).rejects.toThrow();
    expect(em.state.views.length).toBe(before);
    em.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "commit-then-drop" } });
    await expect(call("POST", SQ, { name: "cmt", query: { kind: "HogQLQuery", query: "select 1 from events" } })).rejects.toThrow();
    expect(em.state.views.some((v) => v.name === "cmt")).toBe(true);
  });

  itEmulatorOnly("records requests with secrets masked", async () => {
    const em = target.emulator!;
    em.clearRequests();
    await call("POST", SRC, { source_type: "Zendesk", prefix: "log_", payload: { subdomain: "s", api_key: "zd-canary", email_address: "a@b.co" } });
    expect(JSON.stringify(em.requests)).not.toContain("zd-canary");
    expect(em.requests[0]).toMatchObject({ method: "POST", status: 201, body: { payload: { api_key: "***" } } });
  });

  itEmulatorOnly("persists state to a file that a second emulator loads", async () => {
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
  itEmulatorOnly("finds the tables a query reads, and only those", async () => {
    const { referencedTables } = await import("./emulator/hogql-tables");
    expect(referencedTables("select a from events e join persons as p on e.person_id = p.id")).toEqual(["events", "persons"]);
    expect(referencedTables("with recent as (select * from events), top as (select * from recent) select * from top join sessions s on 1")).toEqual(["events", "sessions"]);
    expect(referencedTables("select extract(year from timestamp), trim(leading 'x' from name) from events")).toEqual(["events"]);
    expect(referencedTables("select 1 -- from nowhere\nfrom /* join nothing */ `my_view`")).toEqual(["my_view"]);
    expect(referencedTables("select * from (select * from events) sub, numbers(10)")).toEqual(["events"]);
    expect(referencedTables("select 'from missing' as s from events")).toEqual(["events"]);
  });
});
