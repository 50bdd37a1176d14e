import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError, PostHogClient, PostHogConnectionError, RateLimitError } from "../provider/client";
import { credentials, isLive, itEmulatorOnly, lacks, startTarget, type Target } from "./harness/target";

// Runs against the in-process emulator (npm test) and against a live server (npm run test:live): see harness/target.ts.
let target: Target;
let client: PostHogClient;
const n = (name: string) => target.name(name);
const stripe = credentials.stripe;
const stripeAuth = () => ({ selection: "api_key", stripe_secret_key: stripe!.secretKey });

beforeAll(async () => {
  target = await startTarget({ syncDurationMs: 10, viewPageSize: 2, tag: "ep" });
  client = new PostHogClient({ host: target.url, apiKey: target.apiKey, projectId: target.projectId, retryBaseMs: 5 });
});
afterAll(async () => {
  await client.close();
  await target.close();
});

describe("client against the emulator: every endpoint", () => {
  it.skipIf(lacks("stripe", "client: the source endpoints"))("sources: wizard, database_schema, source_prefix, create, retrieve, list, update, jobs, reload, refresh_schemas, revenue config, bulk schemas, delete", async () => {
    const wizard = (await client.externalDataSources.wizard()) as Record<string, { fields: Array<{ name: string; secret: boolean }> }>;
    expect(wizard.Postgres!.fields.find((f) => f.name === "password")?.secret).toBe(true);
    const tables = await client.externalDataSources.databaseSchema({ source_type: "Stripe", auth_method: stripeAuth() });
    expect(tables.map((t) => t.table)).toContain("Customer");
    await expect(client.externalDataSources.sourcePrefix({ source_type: "Stripe", prefix: n("ok_") })).resolves.toBeDefined();

    const { id } = await client.externalDataSources.create({ source_type: "Stripe", prefix: n("ep_"), payload: { auth_method: stripeAuth(), schemas: [{ name: "Customer", should_sync: true }] } });
    const source = await client.externalDataSources.retrieve(id);
    expect(source).toMatchObject({ id, source_type: "Stripe", prefix: n("ep_") });
    const listed = [];
    for await (const s of client.externalDataSources.list()) listed.push(s.id);
    expect(listed).toContain(id);
    expect((await client.externalDataSources.update(id, { description: "d" })).description).toBe("d");
    // The emulator keeps no job history (its README); a live server has the first sync's job.
    if (isLive) expect(Array.isArray(await client.externalDataSources.jobs(id))).toBe(true);
    else expect(await client.externalDataSources.jobs(id)).toEqual([]);
    await client.externalDataSources.reload(id);
    // Making a table appear upstream is an emulator control; live, refresh_schemas finds nothing new.
    target.emulator?.addUpstreamTable(id, "Refund");
    expect(await client.externalDataSources.refreshSchemas(id)).toMatchObject({ added: isLive ? 0 : 1 });
    expect((await client.externalDataSources.updateRevenueAnalyticsConfig(id, { enabled: true })).revenue_analytics_config).toMatchObject({ enabled: true });

    const rows = [];
    for await (const r of client.externalDataSchemas.list({ source: id })) rows.push(r);
    const invoice = rows.find((r) => r.name === "Invoice")!;
    expect((await client.externalDataSchemas.retrieve(invoice.id)).name).toBe("Invoice");
    expect((await client.externalDataSchemas.update(invoice.id, { should_sync: true, sync_frequency: "1hour" })).sync_frequency).toBe("1hour");
    await expect(client.externalDataSchemas.update(invoice.id, { sync_frequency: "2hour" })).rejects.toBeInstanceOf(BadRequestError);
    const bulk = await client.externalDataSources.bulkUpdateSchemas(id, [{ id: invoice.id, should_sync: false }]);
    expect(bulk.find((r) => r.id === invoice.id)?.should_sync).toBe(false);

    await client.externalDataSources.delete(id);
    await expect(client.externalDataSources.retrieve(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("saved queries: create (201, then 200 upsert), retrieve, list over pages, update, activity, ancestors, descendants, materialize, revert, run, delete", async () => {
    const a = await client.savedQueries.create({ name: n("ep_a"), query: { kind: "HogQLQuery", query: "select event from events" } });
    expect(a.status).toBe(201);
    const upsert = await client.savedQueries.create({ name: n("ep_a"), query: { kind: "HogQLQuery", query: "select event from events" }, edited_history_id: String(a.view.latest_history_id) });
    expect(upsert.status).toBe(200);
    const b = await client.savedQueries.create({ name: n("ep_b"), query: { kind: "HogQLQuery", query: `select event from ${n("ep_a")}` } });
    await client.savedQueries.create({ name: n("ep_c"), query: { kind: "HogQLQuery", query: "select 1 from events" } });
    const names = [];
    for await (const v of client.savedQueries.list()) names.push(v.name);
    expect(names).toEqual(expect.arrayContaining([n("ep_a"), n("ep_b"), n("ep_c")]));
    expect((await client.savedQueries.retrieve(a.view.id)).query?.query).toBe("select event from events");
    const renamed = await client.savedQueries.update(b.view.id, { name: n("ep_b2") });
    expect(renamed.name).toBe(n("ep_b2"));
    expect((await client.savedQueries.activity(a.view.id)).results.length).toBe(2);
    if (isLive) {
      // PostHog derives no scope for these two actions and refuses every personal API key (test/emulator/scopes.ts);
      // a live server may answer either way, and the report's diff shows which.
      const answer = <T>(p: Promise<T>) => p.then((v) => v, (e: unknown) => e as Error);
      const up = await answer(client.savedQueries.ancestors(b.view.id));
      if (up instanceof Error) expect(up.message).toMatch(/does not support personal API key access/);
      else expect(up.ancestors).toEqual([a.view.id]);
    } else {
      expect((await client.savedQueries.ancestors(b.view.id)).ancestors).toEqual([a.view.id]);
      expect((await client.savedQueries.descendants(a.view.id)).descendants).toEqual([b.view.id]);
    }
    await client.savedQueries.materialize(a.view.id);
    expect((await client.savedQueries.retrieve(a.view.id)).is_materialized).toBe(true);
    await client.savedQueries.revertMaterialization(a.view.id);
    await client.savedQueries.run(a.view.id);
    await client.savedQueries.delete(b.view.id);
    await expect(client.savedQueries.retrieve(b.view.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  itEmulatorOnly("retries a GET after a reset, never a POST; honours the emulator's 429", async () => {
    const em = target.emulator!;
    const { view } = await client.savedQueries.create({ name: "ep_r", query: { kind: "HogQLQuery", query: "select 1 from events" } });
    em.clearRequests();
    em.addFault({ method: "GET", path: view.id, fault: { kind: "reset" } });
    expect((await client.savedQueries.retrieve(view.id)).id).toBe(view.id);
    expect(em.requests.filter((r) => r.method === "GET")).toHaveLength(2);

    em.clearRequests();
    em.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "reset" } });
    const err = await client.savedQueries.create({ name: "ep_s", query: { kind: "HogQLQuery", query: "select 1 from events" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogConnectionError);
    expect(em.requests.filter((r) => r.method === "POST")).toHaveLength(1);

    em.addFault({ method: "GET", path: view.id, times: 5, fault: { kind: "status", status: 429, headers: { "retry-after": "0" }, body: { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 0 seconds.", attr: null } } });
    await expect(new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, maxRetries: 2 }).savedQueries.retrieve(view.id)).rejects.toBeInstanceOf(RateLimitError);
    em.clearFaults();
  });
});
