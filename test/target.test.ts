import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import type { ConnectionOverrides, Target } from "../provider/config";
import { toDynamicProvider, type LifecycleServices } from "../provider/resource/lifecycle";
import { inOperation, observeClientEvent } from "../provider/resource/operation-scope";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator, type Emulator } from "./emulator";

/*
 * The target (host, project) each object lives in is recorded in its state and used by every later step; a change of
 * target is a replacement when an input asks for it and a refusal when only the configuration drifted. Retry
 * messages of the one shared client name the resource whose request is retried.
 */
let em: Emulator;
let client: PostHogClient;

beforeAll(async () => {
  em = await startEmulator();
  client = new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, onEvent: observeClientEvent(), retryBaseMs: 1 });
});
afterAll(async () => {
  await client.close();
  await em.close();
});

/** Services whose configured target can change between steps, recording which target each step addressed. */
function servicesWith(config: { current: Target }, addressed: Target[]): LifecycleServices {
  return {
    resolveTarget: (o) => ({ host: o.host ?? config.current.host, projectId: o.projectId ?? config.current.projectId }),
    context: (overrides: ConnectionOverrides, label) => {
      addressed.push({ host: overrides.host!, projectId: overrides.projectId! });
      return { client, connection: { host: overrides.host!, projectId: overrides.projectId! }, label, progress: () => undefined, warn: () => undefined };
    },
    warn: () => undefined,
  };
}

describe.each([
  ["SavedQuery", savedQueryDefinition, { name: "tg_view", query: "select event from events" }],
  ["ExternalDataSource", externalDataSourceDefinition, { sourceType: "Hubspot", prefix: "tg_", jobInputs: { hubspot_integration_id: 1 } }],
] as const)("%s target", (_type, def, inputs) => {
  const config = { current: { host: "", projectId: "1" } };
  const addressed: Target[] = [];
  const provider = () => toDynamicProvider(def, servicesWith(config, addressed));

  it("records the target, uses it for read and delete after the config moved, refuses the drift and replaces on an explicit move", async () => {
    config.current = { host: em.url, projectId: "1" };
    const created = await provider().create!({ ...inputs });
    expect(created.outs.target).toEqual({ host: em.url, projectId: "1" });

    config.current = { host: em.url, projectId: "2" };
    // The drift alone: refused, naming both targets and how to proceed; no call made.
    addressed.length = 0;
    await expect(provider().diff!(created.id, created.outs, { ...inputs })).rejects.toThrow(/lives in project 1 .*now resolves to project 2.*Nothing was changed.*projectId: "1".*projectId: "2"/);
    expect(addressed).toEqual([]);
    // Pinning the old project explicitly is no move: a local change only.
    expect(await provider().diff!(created.id, created.outs, { ...inputs, projectId: "1" })).toMatchObject({ changes: true, replaces: [] });
    // Moving explicitly replaces, creating first (the key's old holder lives elsewhere).
    expect(await provider().diff!(created.id, created.outs, { ...inputs, projectId: "2" })).toMatchObject({ replaces: ["projectId"], deleteBeforeReplace: false });

    // Refresh and destroy still address project 1, where the object lives.
    const read = await provider().read!(created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect(read.props.target).toEqual({ host: em.url, projectId: "1" });
    await provider().delete!(created.id, created.outs);
    expect(addressed.map((t) => t.projectId)).toEqual(["1", "1"]);
    const live = [...em.state.views, ...em.state.sources].filter((o) => o.id === created.id && !o.deleted);
    expect(live).toEqual([]);
  });
});

describe("retry messages of the shared client", () => {
  it("name the resource whose request is retried, with two resources' requests in flight at once", async () => {
    const messages: string[] = [];
    const shared = new PostHogClient({ host: em.url, apiKey: em.apiKey, projectId: 1, onEvent: observeClientEvent((m) => messages.push(m)), retryBaseMs: 1 });
    const throttled = { kind: "status", status: 429, headers: { "retry-after": "0" } } as const;
    em.addFault({ method: "GET", path: "/warehouse_saved_queries/", fault: throttled, times: 1 });
    em.addFault({ method: "GET", path: "/external_data_sources/", fault: throttled, times: 1 });
    await Promise.all([
      inOperation({ label: "ExternalDataSource Hubspot" }, async () => {
        for await (const _ of shared.externalDataSources.list()) break;
      }),
      inOperation({ label: 'SavedQuery "first"' }, async () => {
        for await (const _ of shared.savedQueries.list()) break;
      }),
    ]);
    await shared.close();
    expect(messages.sort()).toEqual([
      expect.stringMatching(/^ExternalDataSource Hubspot: GET \/api\/environments\/1\/external_data_sources\/.* got 429; retry 1/),
      expect.stringMatching(/^SavedQuery "first": GET \/api\/environments\/1\/warehouse_saved_queries\/.* got 429; retry 1/),
    ]);
  });
});
