import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { deepEqual } from "../provider/resource/values";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { isUnsetJobInput } from "../provider/resources/external-data-source/job-inputs";
import { normalizeHogQL, savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator, type Emulator } from "./emulator";
import type { SourceState, ViewState } from "./emulator/state";
import { emulatorServices } from "./harness/lifecycle-services";

/*
 * For every settable field of both resources, generated: create program A, change PostHog as a user would in the UI,
 * refresh, then `up` program B (which may change or drop A's declarations). Afterwards PostHog holds exactly what B
 * declares (PostHog's reset where B declares nothing), a refresh sees no drift, and a UI change to a declared field
 * showed in the refresh. At lifecycle level with the emulator in process, so hundreds of cases run in seconds.
 */

const RUNS = Number(process.env.ROUND_TRIP_RUNS ?? 500);
type Props = Record<string, unknown>;

let emulator: Emulator;
let client: PostHogClient;
let sources: ReturnType<typeof toDynamicProvider>;
let views: ReturnType<typeof toDynamicProvider>;

beforeAll(async () => {
  emulator = await startEmulator({ syncDurationMs: 0 });
  client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId, retryBaseMs: 5 });
  sources = toDynamicProvider(externalDataSourceDefinition, emulatorServices(client, emulator.url));
  views = toDynamicProvider(savedQueryDefinition, emulatorServices(client, emulator.url));
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});

/** create A → UI edit → refresh → up B; returns what a second refresh and diff say. */
async function roundTrip(provider: ReturnType<typeof toDynamicProvider>, rawA: Props, uiEdit: (id: string) => void, rawB: Props, matches: (program: Props, id: string) => boolean) {
  const a = (await provider.check!({}, rawA)).inputs!;
  const created = await provider.create!(a);
  expect(matches(a, created.id)).toBe(true);
  uiEdit(created.id);
  const refreshed = await provider.read!(created.id, created.outs);
  // A UI change to anything A declares is drift the refresh must show.
  if (!matches(a, created.id)) expect((await provider.diff!(created.id, refreshed.props!, a)).changes).toBe(true);
  const b = (await provider.check!(refreshed.inputs!, rawB)).inputs!;
  let state = refreshed.props!;
  if ((await provider.diff!(created.id, state, b)).changes) state = (await provider.update!(created.id, state, b)).outs!;
  expect(matches(b, created.id)).toBe(true);
  expect((await provider.diff!(created.id, state, b)).changes).toBe(false);
  const again = await provider.read!(created.id, state);
  expect((await provider.diff!(created.id, again.props!, b)).changes).toBe(false);
}

const optional = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const frequency = fc.constantFrom("5min", "1hour", "6hour", "12hour", "24hour", "7day", "never");

describe("ExternalDataSource round trip", () => {
  let seq = 0;
  const table = (name: string) =>
    fc.record(
      {
        name: fc.constant(name),
        shouldSync: optional(fc.boolean()),
        sync: optional(fc.constantFrom("full_refresh", "incremental")),
        syncFrequency: optional(frequency),
      },
      { requiredKeys: ["name"] },
    ).map(({ sync, ...row }) => ({ ...row, ...(sync === "incremental" ? { syncType: sync, incrementalField: "updated_at", incrementalFieldType: "datetime" } : sync ? { syncType: sync } : {}) }));
  const tunnel = { enabled: true, host: "bastion.example.com", port: 22, auth: { selection: "password", username: "jump", password: "tunnel-pw" } };
  const program = fc.record(
    {
      sourceType: fc.constantFrom("Postgres", "MySQL"),
      usingSsl: optional(fc.constantFrom(true, false, "false")),
      description: optional(fc.constantFrom("Billing", "  padded  ", "")),
      schema: optional(fc.constantFrom("public", " analytics ")),
      connectionString: optional(fc.constant("postgresql://u:p@db/app")),
      sshTunnel: optional(fc.constant(tunnel)),
      schemas: optional(fc.subarray(["orders", "users"]).chain((names) => fc.tuple(...names.map(table)))),
      revenue: optional(fc.record({ enabled: optional(fc.boolean()), includeInvoicelessCharges: optional(fc.boolean()) }, { requiredKeys: [] })),
    },
    { requiredKeys: ["sourceType"] },
  );
  // One source per case, so its type comes from A; B keeps it (a type change is a replacement, not a round trip).
  const toInputs = (prefix: string, sourceType: string, p: typeof program extends fc.Arbitrary<infer T> ? T : never) => ({
    sourceType,
    prefix,
    ...(p.description !== undefined ? { description: p.description } : {}),
    jobInputs: {
      host: "db.example.com",
      port: 5432,
      database: "app",
      user: "ro",
      password: "pw",
      // MySQL requires a schema; using_ssl and connection_string exist only in one type's definition each.
      ...(p.schema !== undefined || sourceType === "MySQL" ? { schema: p.schema ?? "app" } : {}),
      ...(sourceType === "MySQL" && p.usingSsl !== undefined ? { using_ssl: p.usingSsl } : {}),
      ...(sourceType === "Postgres" && p.connectionString !== undefined ? { connection_string: p.connectionString } : {}),
      ...(p.sshTunnel !== undefined ? { ssh_tunnel: p.sshTunnel } : {}),
    },
    ...(p.schemas !== undefined ? { schemas: p.schemas } : {}),
    ...(p.revenue !== undefined ? { revenueAnalyticsConfig: p.revenue } : {}),
  });
  const uiEdit = fc.constantFrom(
    "none",
    "description",
    "schema",
    "dropSchema",
    "tunnelOn",
    "tunnelOff",
    "tableOn",
    "tableOff",
    "tableFrequency",
    "tableIncremental",
    "revenue",
    "sslOff",
  );

  const source = (id: string): SourceState => emulator.state.sources.find((s) => s.id === id)!;
  const apply = (edit: string) => (id: string) => {
    const s = source(id);
    const row = s.schemas.find((r) => r.name === "users")!;
    if (edit === "description") s.description = "edited in the UI";
    if (edit === "schema") s.job_inputs.schema = "ui_schema";
    if (edit === "dropSchema") delete s.job_inputs.schema;
    if (edit === "tunnelOn") s.job_inputs.ssh_tunnel = { ...tunnel, host: "other-bastion" };
    if (edit === "tunnelOff") s.job_inputs.ssh_tunnel = { enabled: false };
    if (edit === "tableOn") row.should_sync = true;
    if (edit === "tableOff") row.should_sync = false;
    if (edit === "tableFrequency") row.sync_frequency = "30day";
    if (edit === "tableIncremental") Object.assign(row, { sync_type: "incremental", incremental_field: "id", incremental_field_type: "integer" });
    if (edit === "revenue") s.revenue_analytics_config.enabled = !s.revenue_analytics_config.enabled;
    if (edit === "sslOff" && s.source_type === "MySQL") s.job_inputs.using_ssl = "false";
  };

  const same = (a: unknown, b: unknown) => deepEqual(a, b) || (typeof a !== "object" && typeof b !== "object" && String(a) === String(b));

  /** PostHog holds exactly what the program declares, and PostHog's reset for what it does not. */
  function matches(program: Props, id: string): boolean {
    const s = source(id);
    const declared = program.jobInputs as Props;
    if ((s.description ?? "") !== ((program.description as string | undefined) ?? "")) return false;
    for (const [key, value] of Object.entries(s.job_inputs)) {
      if (key in declared ? !same(value, declared[key]) : !isUnsetJobInput(s.source_type, key, value)) return false;
    }
    if (Object.keys(declared).some((key) => !(key in s.job_inputs))) return false;
    const rows = program.schemas as Array<Props> | undefined;
    if (rows) {
      for (const r of s.schemas) {
        const wanted = rows.find((w) => w.name === r.name);
        if (!wanted) {
          if (r.should_sync) return false;
          continue;
        }
        if (r.should_sync !== ((wanted.shouldSync as boolean | undefined) ?? true)) return false;
        if ((r.sync_type ?? "full_refresh") !== ((wanted.syncType as string | undefined) ?? "full_refresh")) return false;
        if (r.sync_frequency !== ((wanted.syncFrequency as string | undefined) ?? "6hour")) return false;
        if (r.incremental_field !== ((wanted.incrementalField as string | undefined) ?? null)) return false;
      }
    }
    const revenue = (program.revenueAnalyticsConfig ?? {}) as { enabled?: boolean; includeInvoicelessCharges?: boolean };
    return s.revenue_analytics_config.enabled === (revenue.enabled ?? false) && s.revenue_analytics_config.include_invoiceless_charges === (revenue.includeInvoicelessCharges ?? true);
  }

  it(`PostHog equals the program after create → UI change → refresh → up (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(program, uiEdit, program, async (a, edit, b) => {
        const prefix = `rt${seq++}_`;
        await roundTrip(sources, toInputs(prefix, a.sourceType, a), apply(edit), toInputs(prefix, a.sourceType, b), matches);
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});

describe("SavedQuery round trip", () => {
  let seq = 0;
  const query = fc.constantFrom("select event from events", "select  event\nfrom events -- don't", "select 'a b' as x from events", "select 'a  b' as x from events /* it's */");
  const program = fc.record({ query, materialized: optional(fc.boolean()), syncFrequency: optional(frequency) }, { requiredKeys: ["query"] });
  const uiEdit = fc.constantFrom("none", "query", "frequency", "materialize", "revert", "rename");
  const view = (id: string): ViewState => emulator.state.views.find((v) => v.id === id)!;
  const apply = (edit: string) => (id: string) => {
    const v = view(id);
    if (edit === "query") v.query = { kind: "HogQLQuery", query: "select distinct_id from events" };
    if (edit === "frequency") v.sync_frequency = "30day";
    if (edit === "materialize") Object.assign(v, { is_materialized: true, sync_frequency: "24hour" });
    if (edit === "revert") Object.assign(v, { is_materialized: false, sync_frequency: null });
    if (edit === "rename") v.name = `${v.name}_ui`;
  };
  function matches(program: Props, id: string): boolean {
    const v = view(id);
    const materialized = (program.materialized as boolean | undefined) ?? false;
    const frequency = program.syncFrequency as string | undefined;
    // A view that is not materialized has no schedule: PostHog's null and "never" say the same.
    const off = (f: string | null) => f === null || f === "never";
    const frequencyOk = frequency !== undefined ? v.sync_frequency === frequency || (!materialized && frequency === "never" && off(v.sync_frequency)) : materialized ? v.sync_frequency === "24hour" : off(v.sync_frequency);
    return v.name === program.name && normalizeHogQL(v.query.query) === normalizeHogQL(program.query as string) && v.is_materialized === materialized && frequencyOk;
  }

  it(`PostHog equals the program after create → UI change → refresh → up (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(program, uiEdit, program, async (a, edit, b) => {
        const name = `rt_view_${seq++}`;
        await roundTrip(views, { name, ...a }, apply(edit), { name, ...b }, matches);
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
