import { describe, expect, it } from "vitest";
import { toDynamicProvider, type LifecycleServices } from "../provider/resource/lifecycle";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";

const offline: LifecycleServices = {
  context: () => {
    throw new Error("diff must not make API calls");
  },
  warn: () => undefined,
};

/** Every input property of each resource, and whether changing it updates in place, replaces, or is ignored. */
const cases = {
  ExternalDataSource: {
    def: externalDataSourceDefinition,
    base: { sourceType: "Hubspot", prefix: "p_", jobInputs: { hubspot_integration_id: 1 } },
    changes: {
      sourceType: ["Salesforce", "replace"],
      prefix: ["q_", "replace"],
      description: ["d", "update"],
      jobInputs: [{ hubspot_integration_id: 2 }, "update"],
      schemas: [[{ name: "contacts" }], "update"],
      revenueAnalyticsConfig: [{ enabled: true }, "update"],
      refreshSchemas: ["always", "update"],
      reload: ["always", "update"],
      reloadTrigger: ["2", "update"],
      waitForSync: [{ timeoutSeconds: 5 }, "update"],
      projectId: ["2", "replace"],
      host: ["http://127.0.0.1:9", "replace"],
      adoptId: ["abc", "none"],
    },
  },
  SavedQuery: {
    def: savedQueryDefinition,
    base: { name: "v", query: "select 1 from events" },
    changes: {
      name: ["w", "update"],
      query: ["select 2 from events", "update"],
      syncFrequency: ["24hour", "update"],
      materialized: [true, "update"],
      overwriteRemoteChanges: [true, "update"],
      projectId: ["2", "replace"],
      host: ["http://127.0.0.1:9", "replace"],
      adoptId: ["abc", "none"],
    },
  },
} as const;

describe.each(Object.entries(cases))("%s diff of every input property", (_type, { def, base, changes }) => {
  const provider = toDynamicProvider(def, offline);
  const schemaKeys = Object.keys((def.inputs as unknown as { shape: Record<string, unknown> }).shape ?? {});

  it("covers every property of the input schema", () => {
    expect(schemaKeys.length).toBeGreaterThan(0);
    expect(Object.keys(changes).sort()).toEqual(schemaKeys.sort());
  });

  it.each(Object.entries(changes))("%s", async (property, [value, expected]) => {
    const result = await provider.diff!("id", { ...base }, { ...base, [property]: value });
    const kind = result.replaces?.length ? "replace" : result.changes ? "update" : "none";
    expect(kind).toBe(expected);
  });
});
