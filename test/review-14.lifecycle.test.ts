import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { PartialFailureError } from "../provider/resource/errors";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator, type Emulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";

let emulator: Emulator;
let client: PostHogClient;
let provider: ReturnType<typeof toDynamicProvider>;
let views: ReturnType<typeof toDynamicProvider>;

beforeAll(async () => {
  emulator = await startEmulator({ syncDurationMs: 300 });
  client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId, retryBaseMs: 5 });
  provider = toDynamicProvider(externalDataSourceDefinition, emulatorServices(client, emulator.url));
  views = toDynamicProvider(savedQueryDefinition, emulatorServices(client, emulator.url));
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const stored = (id: string) => emulator.state.sources.find((s) => s.id === id && !s.deleted)!;
const SOURCE_READ = /\/external_data_sources\/[0-9a-f-]{36}\/$/;

describe("a source whose read-back after create fails", () => {
  const inputs = {
    sourceType: "Stripe",
    prefix: "readback_",
    jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: "sk_1" } },
    schemas: [{ name: "Invoice", syncFrequency: "1hour" as const }, { name: "Customer" }],
    revenueAnalyticsConfig: { enabled: true },
  };

  it("when PostHog keeps failing, is recorded without what only the follow-ups set, and the next update applies it", async () => {
    // The read-back, the table look-up and the read after the failure all fail.
    emulator.addFault({ method: "GET", path: SOURCE_READ, fault: { kind: "status", status: 500 }, times: 3 });
    const err = (await provider.create!({ ...inputs, prefix: "readback1_" }).catch((e: unknown) => e)) as PartialFailureError;
    expect(err).toBeInstanceOf(PartialFailureError);
    expect(stored(err.id).revenue_analytics_config.enabled).toBe(false);
    expect(stored(err.id).schemas.find((r) => r.name === "Invoice")!.sync_frequency).toBe("6hour");
    // The state must not claim what PostHog does not hold.
    expect(err.properties.revenueAnalyticsConfig ?? {}).toEqual({});
    expect(err.properties.schemas).toEqual([{ name: "Invoice" }, { name: "Customer" }]);
    // The engine calls update for a resource recorded with initialization errors.
    expect((await provider.diff!(err.id, err.properties, { ...inputs, prefix: "readback1_" })).changes).toBe(true);
    await provider.update!(err.id, err.properties, { ...inputs, prefix: "readback1_" });
    expect(stored(err.id).revenue_analytics_config.enabled).toBe(true);
    expect(stored(err.id).schemas.find((r) => r.name === "Invoice")!.sync_frequency).toBe("1hour");
  });

  it("when only the read-back fails, the create still applies everything", async () => {
    emulator.addFault({ method: "GET", path: SOURCE_READ, fault: { kind: "status", status: 500 }, times: 1 });
    const created = await provider.create!({ ...inputs, prefix: "readback2_" });
    expect(stored(created.id).revenue_analytics_config.enabled).toBe(true);
    expect(stored(created.id).schemas.find((r) => r.name === "Invoice")!.sync_frequency).toBe("1hour");
    expect((await provider.diff!(created.id, created.outs!, { ...inputs, prefix: "readback2_" })).changes).toBe(false);
  });
});

// Issue 13's rule: adoptId compares every declared input PostHog reports; a difference fails, listing it, and nothing
// is written (declare the object as it is, adopt it, then change it in a later update).
describe("adoption of an object whose settings differ from the program", () => {
  it("a source: fails listing description, tables and revenue config, and writes nothing", async () => {
    const { id } = await client.externalDataSources.create({
      source_type: "Stripe",
      prefix: "adopt_",
      description: "set in the UI",
      payload: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: "sk_1" }, schemas: [{ name: "Invoice", should_sync: true }, { name: "Customer", should_sync: true }] },
    });
    const inputs = {
      sourceType: "Stripe",
      prefix: "adopt_",
      description: "from the program",
      jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: "sk_1" } },
      schemas: [{ name: "Invoice", syncFrequency: "1hour" as const }],
      revenueAnalyticsConfig: { enabled: true },
      adoptId: id,
    };
    emulator.clearRequests();
    const failure = await provider.create!(inputs).then(() => undefined, (err: Error) => err.message);
    expect(failure).toMatch(/description/);
    expect(failure).toMatch(/schemas/);
    expect(failure).toMatch(/revenueAnalyticsConfig/);
    expect(emulator.requests.every((r) => r.method === "GET")).toBe(true);
    expect(stored(id)).toMatchObject({ description: "set in the UI" });
  });

  it("a view adopted materialized while the program says otherwise: fails naming materialized, writes nothing", async () => {
    const { view } = await client.savedQueries.create({ name: "adopt_mat", query: { kind: "HogQLQuery", query: "select event from events" } });
    await client.savedQueries.materialize(view.id);
    const inputs = { name: "adopt_mat", query: "select event from events", materialized: false, adoptId: view.id };
    emulator.clearRequests();
    const failure = await views.create!(inputs).then(() => undefined, (err: Error) => err.message);
    expect(failure).toMatch(/materialized/);
    expect(emulator.requests.every((r) => r.method === "GET")).toBe(true);
    expect(emulator.state.views.find((v) => v.id === view.id)!.is_materialized).toBe(true);
  });
});
