import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { toDynamicProvider, type LifecycleServices } from "../provider/resource/lifecycle";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { warehouseJoinDefinition } from "../provider/resources/warehouse-join";
import { warehouseTableDefinition } from "../provider/resources/warehouse-table";

/*
 * Generated bad inputs: every one must be refused at check, with the failing property named and its path in the
 * reason, and without any API call (the services stub counts and refuses them).
 */
let apiCalls = 0;
const offline: LifecycleServices = {
  context: () => {
    apiCalls++;
    throw new Error("check must not make API calls");
  },
  warn: () => undefined,
};
const RUNS = 1000;

const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
const unicode = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).filter((s) => /[^\p{ASCII}]/u.test(s));

async function assertRefused(provider: ReturnType<typeof toDynamicProvider>, inputs: Record<string, unknown>, property: string) {
  const result = await provider.check!({}, inputs);
  const failures = result.failures ?? [];
  // A property that can hold secrets is named in the reason only (the engine would print its value).
  const named = (f: { property: string }) => f.property === property || (f.property === "" && (externalDataSourceDefinition.secretProperties ?? []).includes(property));
  return failures.length > 0 && failures.some((f) => named(f) && f.reason.startsWith(property));
}

describe("generated bad inputs are refused at check, naming the property, with 0 API calls", () => {
  it(`SavedQuery: ${RUNS} cases`, async () => {
    const provider = toDynamicProvider(savedQueryDefinition, offline);
    const good = { name: "v", query: "select 1 from events" };
    const bad = fc.oneof(
      fc.record({ property: fc.constant("name"), value: fc.oneof(wrongType, unicode, fc.string({ minLength: 129, maxLength: 300 }).map((s) => `a${s.replace(/[^A-Za-z]/g, "b")}`), fc.constantFrom("", "1x", "a-b", "events", "persons", "a b")) }),
      fc.record({ property: fc.constant("query"), value: fc.oneof(wrongType, fc.constantFrom("", "   ", "\n\t"), fc.string({ maxLength: 10 }).map((s) => `select {${s.replace(/[{}'"`]/g, "")}x} from events`)) }),
      fc.record({ property: fc.constant("syncFrequency"), value: fc.oneof(wrongType, fc.string({ maxLength: 8 }).filter((s) => !["never", "1min", "5min", "15min", "30min", "1hour", "6hour", "12hour", "24hour", "7day", "30day"].includes(s))) }),
      fc.record({ property: fc.constant("materialized"), value: fc.oneof(fc.integer(), fc.string()) }),
      fc.record({ property: fc.constant("projectId"), value: fc.oneof(fc.integer(), fc.string({ minLength: 1 }).filter((s) => !/^\d+$/.test(s))) }),
    );
    await fc.assert(fc.asyncProperty(bad, ({ property, value }) => assertRefused(provider, { ...good, [property]: value }, property)), { numRuns: RUNS });
    expect(apiCalls).toBe(0);
  });

  it(`WarehouseTable: ${RUNS} cases`, async () => {
    const provider = toDynamicProvider(warehouseTableDefinition, offline);
    const good = { name: "orders", format: "Parquet", urlPattern: "https://b.s3.amazonaws.com/o/*.parquet", credential: { accessKey: "k", accessSecret: "s" } };
    const bad = fc.oneof(
      fc.record({ property: fc.constant("name"), value: fc.oneof(wrongType, unicode, fc.constantFrom("", "1x", "a-b", "a.b", "events", "Persons", "a b"), fc.string({ minLength: 129, maxLength: 300 }).map((s) => `a${s.replace(/[^A-Za-z]/g, "b")}`)) }),
      fc.record({ property: fc.constant("format"), value: fc.oneof(wrongType, fc.constantFrom("JSON", "parquet", "csv", "", "Avro")) }),
      fc.record({
        property: fc.constant("urlPattern"),
        value: fc.oneof(wrongType, fc.constantFrom("", "s3://b/x", "http://b.example.com/x", "https://", "https://localhost/x", "b.s3.amazonaws.com/x"), fc.string({ minLength: 500, maxLength: 600 }).map((s) => `https://b.example.com/${s}`)),
      }),
      fc.record({
        property: fc.constant("credential"),
        value: fc.oneof(
          wrongType,
          fc.constantFrom({}, { accessKey: "k" }, { accessSecret: "s" }, { accessKey: "", accessSecret: "s" }, { accessKey: "k", accessSecret: "  " }, { accessKey: "k", accessSecret: "s", region: "x" }),
        ),
      }),
      fc.record({ property: fc.constant("options"), value: fc.oneof(fc.integer(), fc.string(), fc.constant({ csvAllowDoubleQuotes: "yes" }), fc.constant({ csv_allow_double_quotes: true })) }),
    );
    await fc.assert(fc.asyncProperty(bad, ({ property, value }) => assertRefused(provider, { ...good, [property]: value }, property)), { numRuns: RUNS });
    expect(apiCalls).toBe(0);
  });

  it(`WarehouseJoin: ${RUNS} cases`, async () => {
    const provider = toDynamicProvider(warehouseJoinDefinition, offline);
    const good = { sourceTableName: "orders", sourceTableKey: "email", joiningTableName: "persons", joiningTableKey: "properties.email", fieldName: "person" };
    const blank = fc.oneof(wrongType, fc.constantFrom("", "  ", "\t"), fc.string({ minLength: 401, maxLength: 500 }).map((s) => `a${s}`));
    const bad = fc.oneof(
      fc.constantFrom("sourceTableName", "sourceTableKey", "joiningTableName", "joiningTableKey").chain((property) => fc.record({ property: fc.constant(property), value: blank })),
      fc.record({ property: fc.constant("fieldName"), value: fc.oneof(blank, fc.string({ maxLength: 10 }).map((s) => `${s}.x`)) }),
      fc.record({ property: fc.constant("configuration"), value: fc.oneof(fc.integer(), fc.string(), fc.constant({ experimentsOptimized: "yes" }), fc.constant({ experiments_optimized: true })) }),
    );
    await fc.assert(fc.asyncProperty(bad, ({ property, value }) => assertRefused(provider, { ...good, [property]: value }, property)), { numRuns: RUNS });
    expect(apiCalls).toBe(0);
  });

  it(`ExternalDataSource: ${RUNS} cases`, async () => {
    const provider = toDynamicProvider(externalDataSourceDefinition, offline);
    const good = { sourceType: "Postgres", prefix: "p_", jobInputs: { host: "h", port: 5432, database: "d", user: "u", password: "pw", schema: "s" } };
    const bad = fc.oneof(
      fc.record({ property: fc.constant("sourceType"), value: fc.oneof(wrongType, unicode, fc.constantFrom("Oracle", "postgres", "", "STRIPE")) }),
      fc.record({ property: fc.constant("prefix"), value: fc.oneof(wrongType, unicode, fc.constantFrom("_", "___", "a-b", "1 2", "x.y"), fc.string({ minLength: 101, maxLength: 200 }).map((s) => `a${s.replace(/[^a-z]/g, "b")}`)) }),
      // Framed so that trimming (PostHog trims strings, and so does check) cannot bring it under the limit.
      fc.record({ property: fc.constant("description"), value: fc.oneof(fc.integer(), fc.string({ minLength: 401, maxLength: 600 }).map((s) => `x${s}x`)) }),
      fc.record({
        property: fc.constant("jobInputs"),
        value: fc.oneof(
          fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          fc.record({ port: fc.oneof(fc.integer({ min: 65536 }), fc.string({ minLength: 6 })) }).map((j) => ({ ...good.jobInputs, ...j })),
          fc.constantFrom("host", "database", "user", "password").map((k) => ({ ...good.jobInputs, [k]: "" })),
        ),
      }),
      fc.record({ property: fc.constant("schemas"), value: fc.oneof(fc.integer(), fc.constant([{ name: "" }]), fc.constant([{ name: "t", syncType: "incremental" }]), fc.constant([{ name: "t", syncType: "sometimes" }])) }),
      fc.record({ property: fc.constant("reload"), value: fc.oneof(wrongType, fc.constantFrom("sometimes", "")) }),
    );
    await fc.assert(fc.asyncProperty(bad, ({ property, value }) => assertRefused(provider, { ...good, [property]: value }, property)), { numRuns: RUNS });
    expect(apiCalls).toBe(0);
  });

  it("a jobInputs key outside PostHog's definition is accepted with a warning, not refused (issue 14)", async () => {
    const warnings: string[] = [];
    const provider = toDynamicProvider(externalDataSourceDefinition, { ...offline, warn: (m) => warnings.push(m) });
    const good = { sourceType: "Postgres", prefix: "p_", jobInputs: { host: "h", port: 5432, database: "d", user: "u", password: "pw", schema: "s" } };
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 10 }), async (k) => {
        warnings.length = 0;
        const result = await provider.check!({}, { ...good, jobInputs: { ...good.jobInputs, [`unknown_${k}`]: 1 } });
        return (result.failures ?? []).length === 0 && warnings.some((w) => w.includes("unknown_"));
      }),
      { numRuns: 200 },
    );
    expect(apiCalls).toBe(0);
  });
});
