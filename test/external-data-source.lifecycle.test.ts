import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { observeClientEvent } from "../provider/resource/operation-scope";
import { PartialFailureError } from "../provider/resource/errors";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { startEmulator, type Emulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";

let emulator: Emulator;
let client: PostHogClient;
let provider: ReturnType<typeof toDynamicProvider>;

beforeAll(async () => {
  emulator = await startEmulator({ syncDurationMs: 300 });
  client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId, onEvent: observeClientEvent(), retryBaseMs: 5 });
  provider = toDynamicProvider(externalDataSourceDefinition, emulatorServices(client, emulator.url));
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const live = () => emulator.state.sources.filter((s) => !s.deleted);
const hubspot = (prefix: string) => ({ sourceType: "Hubspot", prefix, jobInputs: { hubspot_integration_id: 7 } });

describe("ExternalDataSource against the emulator", () => {
  it("a create whose response was lost finds the source it made instead of making a second", async () => {
    emulator.addFault({ method: "POST", path: "/external_data_sources/", fault: { kind: "commit-then-drop" } });
    const created = await provider.create!(hubspot("lost_"));
    expect(live().filter((s) => s.prefix === "lost_").map((s) => s.id)).toEqual([created.id]);
    expect(emulator.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a create refused by PostHog names the resource, the status and PostHog's message; a taken key is refused before any write", async () => {
    const first = await provider.create!(hubspot("dup_"));
    emulator.clearRequests();
    await expect(provider.create!(hubspot("dup_"))).rejects.toThrow(new RegExp(`ExternalDataSource Hubspot \\(prefix "dup_"\\): a Hubspot source with prefix "dup_" already exists in project 1 .*\\(id ${first.id}\\).*Nothing was written.*adoptId: "${first.id}"`));
    expect(emulator.requests.filter((r) => r.method !== "GET")).toEqual([]);
    await expect(provider.create!({ sourceType: "Zendesk", jobInputs: { subdomain: "x", api_key: "wrong", email_address: "a@b.co" } })).rejects.toThrow(/Could not authenticate with the source/);
  });

  it("a failing hook after a successful PATCH records the update and retries only the hook next time", async () => {
    const created = await provider.create!({ ...hubspot("hooks_"), description: "a" });
    emulator.addFault({ method: "POST", path: "/reload/", fault: { kind: "status", status: 400, body: { message: "Monthly sync limit reached." } } });
    const news = { ...hubspot("hooks_"), description: "b", reload: "onChange" as const };
    const err = await provider.update!(created.id, created.outs, news).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialFailureError);
    expect((err as Error).message).toMatch(/update applied, hook reload failed: .*Monthly sync limit reached/);
    const recorded = (err as PartialFailureError).properties;
    expect(recorded).toMatchObject({ description: "b", pendingHooks: ["reload"] });
    expect(live().find((s) => s.id === created.id)?.description).toBe("b");

    emulator.clearRequests();
    const retried = await provider.update!(created.id, recorded, news);
    expect(emulator.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path.split("/").at(-2)}`)).toEqual(["POST reload"]);
    expect(retried.outs).not.toHaveProperty("pendingHooks");
  });

  it("schema selection changes go through the schema endpoint, not a replacement", async () => {
    const created = await provider.create!({ sourceType: "Stripe", prefix: "sel_", jobInputs: { auth_method: { selection: "api_key", stripe_secret_key: "sk_1" } }, schemas: [{ name: "Charge" }] });
    await provider.update!(created.id, created.outs, { sourceType: "Stripe", prefix: "sel_", jobInputs: { auth_method: { selection: "api_key", stripe_secret_key: "sk_1" } }, schemas: [{ name: "Charge" }, { name: "Invoice" }] });
    expect(emulator.requests.some((r) => r.method === "PATCH" && r.path.includes("/external_data_schemas/"))).toBe(true);
    expect(live().find((s) => s.id === created.id)?.schemas.filter((r) => r.should_sync).map((r) => r.name).sort()).toEqual(["Charge", "Invoice"]);
  });

  it("refresh keeps secrets PostHog omits, so they never show as drift", async () => {
    const inputs = { sourceType: "Postgres", prefix: "ro_", jobInputs: { host: "db", port: 5432, database: "d", user: "u", password: "pw", schema: "public" } };
    const created = await provider.create!(inputs);
    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs).toMatchObject({ jobInputs: { password: "pw" } });
    expect((await provider.diff!(created.id, read.props!, inputs)).changes).toBe(false);
  });

  it("deleting what is already gone is success", async () => {
    const created = await provider.create!(hubspot("gone_"));
    await client.externalDataSources.delete(created.id);
    await expect(provider.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });

  it("waits for the sync to leave Running when asked, and says so", async () => {
    const created = await provider.create!({ ...hubspot("wait_"), waitForSync: { timeoutSeconds: 5 } });
    expect(created.outs.status).toBe("Completed");
    expect(emulator.requests.filter((r) => r.method === "GET").length).toBeGreaterThanOrEqual(2);
  });
});

describe("declared tables are the tables that sync", () => {
  it("a table turned on in PostHog shows as drift on read, and the next update turns it off again", async () => {
    const inputs = { sourceType: "Stripe", prefix: "tbl_", jobInputs: { stripe_secret_key: "sk_test" }, schemas: [{ name: "Customer" }] };
    const created = await provider.create!(inputs);
    const invoice = live().find((s) => s.prefix === "tbl_")!.schemas.find((r) => r.name === "Invoice")!;
    expect(invoice.should_sync).toBe(false);
    await client.externalDataSchemas.update(invoice.id, { should_sync: true });

    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs?.schemas).toEqual([{ name: "Customer" }, { name: "Invoice", shouldSync: true }]);
    const diff = await provider.diff!(created.id, read.props!, inputs);
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toEqual([]);

    emulator.clearRequests();
    await provider.update!(created.id, read.props!, inputs);
    expect(emulator.requests.filter((r) => r.method === "PATCH").map((r) => [r.path.includes(invoice.id), r.body])).toEqual([[true, { should_sync: false }]]);
    expect(live().find((s) => s.prefix === "tbl_")!.schemas.find((r) => r.name === "Invoice")!.should_sync).toBe(false);
  });
});

describe("the state tells the truth", () => {
  const pgInputs = (prefix: string, extra: Record<string, unknown> = {}) => ({
    sourceType: "Postgres",
    prefix,
    jobInputs: { host: "db.example.com", port: 5432, database: "app", user: "ro", password: "pw", schema: "public", ...extra },
  });
  const tunnel = { enabled: true, host: "bastion.example.com", port: 22, auth: { selection: "password", username: "jump", password: "tunnel-pw" } };
  const stored = (id: string) => live().find((s) => s.id === id)!;

  it("removing ssh_tunnel from jobInputs turns the tunnel off in PostHog; a key added in the UI shows on refresh", async () => {
    const created = await provider.create!(pgInputs("ssh_", { ssh_tunnel: tunnel }));
    expect(stored(created.id).job_inputs.ssh_tunnel).toMatchObject({ enabled: true });
    const news = pgInputs("ssh_");
    expect((await provider.diff!(created.id, created.outs, news)).changes).toBe(true);
    const updated = await provider.update!(created.id, created.outs, news);
    expect(stored(created.id).job_inputs.ssh_tunnel).toEqual({ enabled: false });
    expect((await provider.diff!(created.id, updated.outs!, news)).changes).toBe(false);

    // In the UI: the tunnel switched back on and SSL settings changed.
    stored(created.id).job_inputs.ssh_tunnel = { ...tunnel };
    const read = await provider.read!(created.id, updated.outs);
    expect(read.inputs?.jobInputs).toMatchObject({ ssh_tunnel: { enabled: true, host: "bastion.example.com" }, password: "pw" });
    expect((await provider.diff!(created.id, read.props!, news)).changes).toBe(true);
    await provider.update!(created.id, read.props!, news);
    expect(stored(created.id).job_inputs.ssh_tunnel).toEqual({ enabled: false });
  });

  it("removing a key PostHog cannot switch off is refused at check, naming it", async () => {
    const olds = { sourceType: "Hubspot", prefix: "oauth_", jobInputs: { hubspot_integration_id: 7 } };
    const result = await provider.check!(olds, { ...olds, jobInputs: {} });
    expect(result.failures?.map((f) => f.reason).join()).toMatch(/hubspot_integration_id/);
  });

  it("table frequencies are applied at create, read back, and reset when removed", async () => {
    const inputs = { sourceType: "Stripe", prefix: "freq_", jobInputs: { stripe_secret_key: "sk_1" }, schemas: [{ name: "Charge", syncFrequency: "1hour" as const }] };
    const created = await provider.create!(inputs);
    const row = () => stored(created.id).schemas.find((r) => r.name === "Charge")!;
    expect(row().sync_frequency).toBe("1hour");
    expect((await provider.diff!(created.id, created.outs, inputs)).changes).toBe(false);

    Object.assign(row(), { sync_frequency: "24hour", incremental_field: "created", incremental_field_type: "datetime", sync_type: "incremental" });
    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs?.schemas).toEqual([{ name: "Charge", syncFrequency: "24hour", syncType: "incremental", incrementalField: "created", incrementalFieldType: "datetime" }]);
    const restored = await provider.update!(created.id, read.props!, inputs);
    expect(row()).toMatchObject({ sync_frequency: "1hour", sync_type: "full_refresh", incremental_field: null });

    const without = { ...inputs, schemas: [{ name: "Charge" }] };
    await provider.update!(created.id, restored.outs!, without);
    expect(row().sync_frequency).toBe("6hour");
  });

  it("revenue analytics config is read back and reset when its declaration is removed", async () => {
    const inputs = { sourceType: "Stripe", prefix: "rev_", jobInputs: { stripe_secret_key: "sk_1" }, revenueAnalyticsConfig: { enabled: true } };
    const created = await provider.create!(inputs);
    expect(stored(created.id).revenue_analytics_config).toEqual({ enabled: true, include_invoiceless_charges: true });
    stored(created.id).revenue_analytics_config.include_invoiceless_charges = false;
    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs?.revenueAnalyticsConfig).toEqual({ enabled: true, includeInvoicelessCharges: false });
    const { revenueAnalyticsConfig: _r, ...without } = inputs;
    await provider.update!(created.id, read.props!, without);
    expect(stored(created.id).revenue_analytics_config).toEqual({ enabled: false, include_invoiceless_charges: true });
  });

  it("a new upstream table can be declared in the same update that discovers it (refreshSchemas: always)", async () => {
    const inputs = { ...pgInputs("disc_"), schemas: [{ name: "orders" }] };
    const created = await provider.create!(inputs);
    emulator.addUpstreamTable(created.id, "invoices");
    const news = { ...inputs, refreshSchemas: "always" as const, schemas: [{ name: "orders" }, { name: "invoices" }] };
    const updated = await provider.update!(created.id, created.outs, news);
    expect(stored(created.id).schemas.find((r) => r.name === "invoices")?.should_sync).toBe(true);
    expect(updated.outs).not.toHaveProperty("pendingHooks");
  });

  it("a revenue config that fails at create is recorded as not applied, and the next update applies it", async () => {
    emulator.addFault({ method: "PATCH", path: "/revenue_analytics_config/", fault: { kind: "status", status: 500 } });
    const inputs = { sourceType: "Stripe", prefix: "revfail_", jobInputs: { stripe_secret_key: "sk_1" }, revenueAnalyticsConfig: { enabled: true } };
    const err = (await provider.create!(inputs).catch((e: unknown) => e)) as PartialFailureError;
    expect(err).toBeInstanceOf(PartialFailureError);
    expect(err.properties.revenueAnalyticsConfig ?? {}).toEqual({});
    expect((await provider.diff!(err.id, err.properties, inputs)).changes).toBe(true);
    await provider.update!(err.id, err.properties, inputs);
    expect(stored(err.id).revenue_analytics_config.enabled).toBe(true);
  });

  it("a failed hook stays pending through a refresh: diff sees it", async () => {
    const inputs = { ...hubspot("pend_"), reload: "onChange" as const };
    const created = await provider.create!(inputs);
    emulator.addFault({ method: "POST", path: "/reload/", fault: { kind: "status", status: 500 } });
    const news = { ...inputs, description: "x" };
    const err = (await provider.update!(created.id, created.outs, news).catch((e: unknown) => e)) as PartialFailureError;
    expect(err.properties).toMatchObject({ pendingHooks: ["reload"], description: "x" });
    const refreshed = await provider.read!(created.id, err.properties);
    expect((await provider.diff!(created.id, refreshed.props!, news)).changes).toBe(true);
    emulator.clearRequests();
    await provider.update!(created.id, refreshed.props!, news);
    expect(emulator.requests.filter((r) => r.method !== "GET").map((r) => r.path.split("/").at(-2))).toEqual(["reload"]);
  });

  it("untrimmed strings, reordered tables and a waitForSync change make no call", async () => {
    const inputs = { sourceType: "Stripe", prefix: "trim_", description: "Billing", jobInputs: { stripe_account_id: "acct_1", stripe_secret_key: "sk_1" }, schemas: [{ name: "Charge" }, { name: "Invoice" }] };
    const created = await provider.create!(inputs);
    const checked = await provider.check!({}, { ...inputs, description: " Billing  ", jobInputs: { stripe_account_id: " acct_1 ", stripe_secret_key: "sk_1" }, schemas: [{ name: "Invoice" }, { name: "Charge " }] });
    expect((await provider.diff!(created.id, created.outs, checked.inputs!)).changes).toBe(false);
    const read = await provider.read!(created.id, created.outs);
    expect((await provider.diff!(created.id, read.props!, checked.inputs!)).changes).toBe(false);

    const waiting = { ...inputs, waitForSync: { timeoutSeconds: 5 }, reload: "onChange" as const };
    emulator.clearRequests();
    const updated = await provider.update!(created.id, created.outs, waiting);
    expect(emulator.requests).toEqual([]);
    expect(updated.outs).toMatchObject({ waitForSync: { timeoutSeconds: 5 }, sourceId: created.id });
  });

  it("refuses a table listed twice at check", async () => {
    const result = await provider.check!({}, { ...hubspot("dupt_"), schemas: [{ name: "contacts" }, { name: "contacts" }] });
    expect(result.failures).toEqual([{ property: "schemas", reason: expect.stringMatching(/schemas\[1\]\.name: table "contacts" is listed twice/) }]);
  });
});
