import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, mayHaveBeenApplied, NotFoundError, PostHogClient, PostHogConnectionError, RateLimitError } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";
import { credentials, isLive, itEmulatorOnly, lacks, startTarget, type Target } from "./harness/target";

// Runs against the in-process emulator (npm test) and against a live server (npm run test:live): see harness/target.ts.
let target: Target;
let client: PostHogClient;
const n = (name: string) => target.name(name);
const stripeAuth = () => ({ selection: "api_key", stripe_secret_key: credentials.stripe!.secretKey });

beforeAll(async () => {
  target = await startTarget({ syncDurationMs: 10, viewPageSize: 2, tag: "ep" });
  client = new PostHogClient({ host: target.url, apiKey: target.apiKey, projectId: target.projectId, retryBaseMs: 5 });
});
afterAll(async () => {
  await client.close();
  await target.close();
});

describe("client against the emulator: every endpoint", () => {
  it.skipIf(lacks("stripe", "client: the source endpoints"))("sources: create, retrieve, list, update, reload, refresh_schemas, revenue config, schema rows, bulk schemas, delete", async () => {
    const { id } = await client.externalDataSources.create({ source_type: "Stripe", prefix: n("ep_"), payload: { auth_method: stripeAuth(), schemas: [{ name: "Customer", should_sync: true }] } });
    const source = await client.externalDataSources.retrieve(id);
    expect(source).toMatchObject({ id, source_type: "Stripe", prefix: n("ep_") });
    const listed = [];
    for await (const s of client.externalDataSources.list()) listed.push(s.id);
    expect(listed).toContain(id);
    expect((await client.externalDataSources.update(id, { description: "d" })).description).toBe("d");
    await client.externalDataSources.reload(id);
    // Making a table appear upstream is an emulator control; live, refresh_schemas finds nothing new.
    target.emulator?.addUpstreamTable(id, "Refund");
    expect(await client.externalDataSources.refreshSchemas(id)).toMatchObject({ added: isLive ? 0 : 1 });
    expect((await client.externalDataSources.updateRevenueAnalyticsConfig(id, { enabled: true })).revenue_analytics_config).toMatchObject({ enabled: true });

    const invoice = (await client.externalDataSources.retrieve(id)).schemas!.find((r) => r.name === "Invoice")!;
    expect((await client.externalDataSchemas.update(invoice.id, { should_sync: true, sync_frequency: "1hour" })).sync_frequency).toBe("1hour");
    await expect(client.externalDataSchemas.update(invoice.id, { sync_frequency: "2hour" })).rejects.toBeInstanceOf(BadRequestError);
    const bulk = await client.externalDataSources.bulkUpdateSchemas(id, [{ id: invoice.id, should_sync: false }]);
    expect(bulk.find((r) => r.id === invoice.id)?.should_sync).toBe(false);

    await client.externalDataSources.delete(id);
    await expect(client.externalDataSources.retrieve(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("saved queries: create (201, then 200 upsert), retrieve, list over pages, update, materialize, revert, delete", async () => {
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
    await client.savedQueries.materialize(a.view.id);
    expect((await client.savedQueries.retrieve(a.view.id)).is_materialized).toBe(true);
    await client.savedQueries.revertMaterialization(a.view.id);
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
    const impatient = new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, maxRetries: 2 });
    await expect(impatient.savedQueries.retrieve(view.id)).rejects.toBeInstanceOf(RateLimitError);
    await impatient.close();
    em.clearFaults();
  });
});

describe("a queue of creates behind one connection slot", () => {
  // Its own slow emulator: latency is an emulator control.
  itEmulatorOnly("16 concurrent creates, 1 slot, 2 s time-out, 1.5 s latency: none called ambiguous without reaching PostHog", async () => {
    const slow = await startEmulator({ latencyMs: 1_500 });
    const queued = new PostHogClient({ host: slow.url, apiKey: slow.apiKey, projectId: 1, maxConcurrency: 1, requestTimeoutMs: 2_000 });
    try {
      const views = toDynamicProvider(savedQueryDefinition, emulatorServices(queued, slow.url));
      const names = Array.from({ length: 16 }, (_, i) => `queued_${i}`);
      const outcomes = await Promise.all(names.map((name) => views.create!({ name, query: "select event from events" }).then(() => undefined, (e: unknown) => e)));
      const reached = new Set(slow.requests.filter((r) => r.method === "POST").map((r) => (r.body as { name: string }).name));
      const ambiguousUnsent = names.filter((name, i) => mayHaveBeenApplied((outcomes[i] as { cause?: unknown } | undefined)?.cause ?? outcomes[i]) && !reached.has(name));
      expect(ambiguousUnsent).toEqual([]);
      // Time spent queued is not counted, so each create, answered in 1.5 s, succeeds.
      expect(outcomes.filter((o) => o !== undefined)).toEqual([]);
      expect(slow.state.views.filter((v) => !v.deleted)).toHaveLength(16);
    } finally {
      await queued.close();
      await slow.close();
    }
  }, 120_000);
});
