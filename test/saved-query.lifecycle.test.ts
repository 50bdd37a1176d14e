import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
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

    const read = await provider.read!(created.id, created.outs);
    expect(read.inputs).toMatchObject(inputs);

    const updated = await provider.update!(created.id, created.outs, { ...inputs, query: "select event, timestamp from events" });
    expect(updated.outs).toMatchObject({ status: "Modified" });
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
