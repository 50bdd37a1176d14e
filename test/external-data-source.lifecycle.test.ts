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
