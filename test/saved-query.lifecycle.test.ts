import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { PartialFailureError } from "../provider/resource/errors";
import { observeClientEvent } from "../provider/resource/operation-scope";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator, type Emulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";

let emulator: Emulator;
let client: PostHogClient;
let provider: ReturnType<typeof toDynamicProvider>;

beforeAll(async () => {
  emulator = await startEmulator();
  client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId, onEvent: observeClientEvent(), retryBaseMs: 5 });
  provider = toDynamicProvider(savedQueryDefinition, emulatorServices(client, emulator.url));
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const live = () => emulator.state.views.filter((v) => !v.deleted);

describe("SavedQuery against the emulator", () => {
  it("creates, reads back unchanged, updates the query with edited_history_id, and deletes", async () => {
    const inputs = { name: "lc_view", query: "select event from events" };
    const created = await provider.create!(inputs);
    expect(created.outs).toMatchObject({ viewId: created.id, latestHistoryId: expect.any(String), columns: [{ name: "event", type: "String" }] });
    // The key check and the POST, whose 201 carries the whole view: no read-back against the rate limit.
    const calls = () => emulator.requests.map((r) => `${r.method} ${r.path.replace(created.id, ":id")}`);
    expect(calls()).toEqual(["GET /api/environments/1/warehouse_saved_queries/", "POST /api/environments/1/warehouse_saved_queries/"]);

    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs).toMatchObject(inputs);

    emulator.clearRequests();
    const updated = await provider.update!(created.id, created.outs, { ...inputs, query: "select event, timestamp from events" });
    expect(updated.outs).toMatchObject({ status: "Modified", columns: [{ name: "event" }, { name: "timestamp" }] });
    expect(calls()).toEqual(["PATCH /api/environments/1/warehouse_saved_queries/:id/"]);
    const patch = emulator.requests.find((r) => r.method === "PATCH");
    expect(patch?.body).toMatchObject({ edited_history_id: created.outs.latestHistoryId });

    await provider.delete!(created.id, updated.outs!);
    expect(live().find((v) => v.id === created.id)).toBeUndefined();
    await provider.delete!(created.id, updated.outs!); // already gone: success
    expect((await provider.read!(created.id, updated.outs)).id).toBe("");
  });

  it("refuses to overwrite a query edited elsewhere, unless told to", async () => {
    const created = await provider.create!({ name: "contested", query: "select event from events" });
    await client.savedQueries.update(created.id, { query: { kind: "HogQLQuery", query: "select distinct_id from events" }, edited_history_id: created.outs.latestHistoryId });
    await expect(provider.update!(created.id, created.outs, { name: "contested", query: "select 1 from events" })).rejects.toThrow(/changed outside Pulumi.*pulumi refresh/);
    expect(live().find((v) => v.id === created.id)?.query.query).toBe("select distinct_id from events");
    const forced = await provider.update!(created.id, created.outs, { name: "contested", query: "select 1 from events", overwriteRemoteChanges: true });
    expect(forced.outs).toMatchObject({ query: "select 1 from events" });
  });

  it("a lost create response ends with exactly one view", async () => {
    emulator.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "commit-then-drop" } });
    const created = await provider.create!({ name: "lost_once", query: "select event from events" });
    expect(live().filter((v) => v.name === "lost_once").map((v) => v.id)).toEqual([created.id]);
  });

  it("does not take over someone else's view of the same name", async () => {
    await client.savedQueries.create({ name: "theirs", query: { kind: "HogQLQuery", query: "select event from events" } });
    emulator.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "reset" } });
    await expect(provider.create!({ name: "theirs", query: "select timestamp from events" })).rejects.toThrow(/a view named "theirs" already exists.*Nothing was written.*adoptId/);
    expect(live().filter((v) => v.name === "theirs")).toHaveLength(1);
  });

  it("re-creating a destroyed view's name gives a new view", async () => {
    const first = await provider.create!({ name: "phoenix", query: "select event from events" });
    await provider.delete!(first.id, first.outs);
    const second = await provider.create!({ name: "phoenix", query: "select event from events" });
    expect(second.id).not.toBe(first.id);
    expect(live().filter((v) => v.name === "phoenix")).toHaveLength(1);
  });

  it("adopts an existing view by id without writing, and refuses one that differs", async () => {
    const { view } = await client.savedQueries.create({ name: "adoptee", query: { kind: "HogQLQuery", query: "select event from events" } });
    emulator.clearRequests();
    const adopted = await provider.create!({ name: "adoptee", query: "select  event\nfrom events", adoptId: `1/${view.id}` });
    expect(adopted.id).toBe(view.id);
    expect(emulator.requests.every((r) => r.method === "GET")).toBe(true);
    expect(await provider.diff!(view.id, adopted.outs, { name: "adoptee", query: "select event from events", adoptId: view.id })).toMatchObject({ changes: false });
    await expect(provider.create!({ name: "adoptee", query: "select 2 from events", adoptId: view.id })).rejects.toThrow(/cannot adopt.*query/);
  });

  it("deletes a view with one DELETE, even one other views select from (PostHog allows it)", async () => {
    const base = await provider.create!({ name: "base_v", query: "select event from events" });
    await provider.create!({ name: "child_v", query: "select event from base_v" });
    emulator.clearRequests();
    await provider.delete!(base.id, base.outs);
    expect(emulator.requests.map((r) => r.method)).toEqual(["DELETE"]);
  });

  it("surfaces PostHog's validation message and the resource", async () => {
    await expect(provider.create!({ name: "bad_ref", query: "select x from nowhere" })).rejects.toThrow(/SavedQuery "bad_ref": create failed: POST .* 400 validation_error: Invalid query: Unknown table `nowhere`/);
  });
});

describe("an object deleted outside Pulumi", () => {
  it("an update says it is gone and to run `pulumi refresh`, instead of a bare 404", async () => {
    const inputs = { name: "lc_gone", query: "select event from events" };
    const created = await provider.create!(inputs);
    await client.savedQueries.delete(created.id);
    const err = await provider.update!(created.id, created.outs, { ...inputs, query: "select 1 from events" }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`update failed: ${created.id} is gone from PostHog \\(.*404.*\\); it was deleted outside Pulumi\\. Run \`pulumi refresh\``));
  });
});

describe("the state tells the truth", () => {
  const stored = (id: string) => live().find((v) => v.id === id)!;

  it("materializing keeps the declared schedule, and outputs come from PostHog", async () => {
    const inputs = { name: "sched_v", query: "select event from events", syncFrequency: "1hour" as const };
    const created = await provider.create!(inputs);
    const updated = await provider.update!(created.id, created.outs, { ...inputs, materialized: true });
    expect(stored(created.id)).toMatchObject({ is_materialized: true, sync_frequency: "1hour" });
    expect(updated.outs).toMatchObject({ materialized: true, syncFrequency: "1hour", isMaterialized: true });
  });

  it("materialized: false at create calls nothing beyond the create", async () => {
    emulator.clearRequests();
    await provider.create!({ name: "plain_v", query: "select event from events", materialized: false });
    expect(emulator.requests.filter((r) => r.method !== "GET").map((r) => r.method)).toEqual(["POST"]);
  });

  it("every field changed in the UI shows on refresh, up restores it, and removing a declaration resets it", async () => {
    const inputs = { name: "ui_v", query: "select event from events", materialized: true, syncFrequency: "12hour" as const };
    const created = await provider.create!(inputs);
    Object.assign(stored(created.id), { sync_frequency: "7day", query: { kind: "HogQLQuery", query: "select timestamp from events" } });
    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs).toMatchObject({ syncFrequency: "7day", query: "select timestamp from events" });
    const restored = await provider.update!(created.id, read.props!, inputs);
    expect(stored(created.id)).toMatchObject({ sync_frequency: "12hour", query: { query: "select event from events" } });

    const { syncFrequency: _f, materialized: _m, ...bare } = inputs;
    const reset = await provider.update!(created.id, restored.outs!, bare);
    expect(stored(created.id)).toMatchObject({ is_materialized: false });
    expect((await provider.diff!(created.id, reset.outs!, bare)).changes).toBe(false);
  });

  it("a view whose follow-up fails is recorded, with what did not happen left for the next up", async () => {
    emulator.addFault({ method: "POST", path: "/materialize/", fault: { kind: "status", status: 500, body: { error: "boom" } } });
    const inputs = { name: "half_v", query: "select event from events", materialized: true };
    const err = (await provider.create!(inputs).catch((e: unknown) => e)) as PartialFailureError;
    expect(err).toBeInstanceOf(PartialFailureError);
    expect(live().filter((v) => v.name === "half_v").map((v) => v.id)).toEqual([err.id]);
    expect(err.properties).not.toHaveProperty("materialized");
    const refreshed = await provider.read!(err.id, err.properties);
    expect((await provider.diff!(err.id, refreshed.props!, inputs)).changes).toBe(true);
    await provider.update!(err.id, refreshed.props!, inputs);
    expect(stored(err.id).is_materialized).toBe(true);
  });

  it("a name with surrounding spaces is stored trimmed, as PostHog does, with no diff after", async () => {
    const checked = await provider.check!({}, { name: " spaced_v ", query: "select event from events" });
    const created = await provider.create!(checked.inputs!);
    expect(stored(created.id).name).toBe("spaced_v");
    const read = await provider.read!(created.id, created.outs);
    expect((await provider.diff!(created.id, read.props!, checked.inputs!)).changes).toBe(false);
  });
});
