import type * as pulumi from "@pulumi/pulumi";
import * as pulumiRuntime from "../resource/pulumi-sdk";
import { z } from "zod";
import { hostOverrideSchema } from "../config";
import { PostHogApiError, type ExternalDataSource as ApiSource, type SchemaRow, type UpdateSchemaRowBody } from "../client";
import type { Target } from "../config";
import { adoptIdSchema } from "../resource/adopt-id";
import { sharedFreshRead } from "../resource/fresh-read";
import { unlessGone } from "../resource/gone";
import type { OperationContext, ResourceDefinition } from "../resource/definition";
import { PartialFailureError } from "../resource/errors";
import { secretInput, secretizePaths, WarehouseResource } from "../resource/program-side";
import { keyedSetEquals } from "../resource/diff";
import type { CheckFailure } from "../resource/check";
import { compact, deepEqual, getPath } from "../resource/values";
import { isCatalogued, jobInputHiddenPaths, jobInputReset, jobInputSecretPaths, KNOWN_SOURCE_TYPES, reportedJobInputs, SOURCE_TYPES, unknownJobInputKeys } from "./external-data-source/job-inputs";
import { reportedScalar, trimStrings } from "./field-rules";

export { jobInputSecretPaths } from "./external-data-source/job-inputs";

// PostHog's source_type choices (facts.md lists these and more); the typed ones are validated field by field.
export const POSTHOG_SOURCE_TYPES = [
  ...KNOWN_SOURCE_TYPES,
  "Vitally", "Chargebee", "Ashby", "GoogleAds", "GoogleSheets", "MetaAds", "LinkedinAds", "RedditAds", "TikTokAds", "Klaviyo",
  "Mailchimp", "Braze", "Mailjet", "Redshift", "MongoDB", "Polar", "RevenueCat", "Shopify", "TemporalIO", "DoIt",
] as const;

const SYNC_TYPES = ["full_refresh", "incremental", "append", "cdc"] as const;

const schemaSelection = z
  .object({
    name: z.string().trim().min(1, "must not be empty").describe("Table name as PostHog discovers it (e.g. Customer)."),
    shouldSync: z.boolean().optional().describe("Sync this table (default true)."),
    syncType: z.enum(SYNC_TYPES).optional().describe("How the table syncs."),
    incrementalField: z.string().trim().optional().describe("Cursor column for incremental/append syncs."),
    incrementalFieldType: z.string().trim().optional().describe("Type of the cursor column."),
    syncFrequency: z.enum(["never", "1min", "5min", "15min", "30min", "1hour", "6hour", "12hour", "24hour", "7day", "30day"]).optional().describe("How often the table syncs (PostHog's default: 6hour, 5min for CDC)."),
  })
  .strict()
  .refine((s) => !(s.syncType === "incremental" || s.syncType === "append") || (s.incrementalField && s.incrementalFieldType), {
    message: "incremental and append syncs need incrementalField and incrementalFieldType",
  });

export const externalDataSourceInputsSchema = z
  .object({
    sourceType: z.enum(POSTHOG_SOURCE_TYPES, { error: `must be one of PostHog's source types (${POSTHOG_SOURCE_TYPES.join(", ")})` }).describe("PostHog source type, e.g. Stripe or Postgres. Changing it replaces the source."),
    prefix: z
      .string()
      .trim()
      .max(100, "must be at most 100 characters")
      .refine((p) => p.replace(/^_+|_+$/g, "") !== "", "cannot consist of only underscores")
      .refine((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p.replace(/^_+|_+$/g, "")), "must contain only letters, numbers and underscores")
      .optional()
      .describe("Table name prefix. PostHog ignores prefix changes, so changing it replaces the source."),
    description: z.string().trim().max(400, "must be at most 400 characters").optional().describe("Free text shown in PostHog."),
    // PostHog trims every string of the payload: the state holds them as PostHog does, so there is no permanent diff.
    jobInputs: z.record(z.string(), z.unknown()).overwrite((v) => trimStrings(v) as Record<string, unknown>).describe("Connection config in PostHog's field names; secret fields become Pulumi secrets."),
    schemas: z
      .array(schemaSelection)
      .optional()
      .superRefine((rows, ctx) => {
        const seen = new Set<string>();
        for (const [index, row] of (rows ?? []).entries()) {
          if (seen.has(row.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `table "${row.name}" is listed twice; each table is declared once` });
          seen.add(row.name);
        }
      })
      .describe("Tables to sync and their settings, a set keyed by name (order does not matter). Changed in place, never by replacement."),
    revenueAnalyticsConfig: z.object({ enabled: z.boolean().optional(), includeInvoicelessCharges: z.boolean().optional() }).strict().optional(),
    refreshSchemas: z.enum(["onConnectionChange", "always", "never"]).optional().describe("When to re-discover tables after an update (default onConnectionChange)."),
    reload: z.enum(["onTrigger", "onChange", "always", "never"]).optional().describe("When to start a sync after an update (default onTrigger: when reloadTrigger changes)."),
    reloadTrigger: z.string().optional().describe("Any value; changing it starts a sync."),
    waitForSync: z
      .object({ timeoutSeconds: z.number().int().positive().max(86_400).describe("Give up waiting after this long (the sync goes on).") })
      .strict()
      .optional()
      .describe("After create or a reload, wait until the sync leaves Running."),
    adoptId: adoptIdSchema,
    projectId: z.string().regex(/^\d+$/, "must be a numeric project id").optional().describe("Project override (default: posthog:projectId)."),
    host: hostOverrideSchema.optional().describe("Host override (default: posthog:host); plain http:// only for loopback hosts unless posthog:allowInsecureHttp."),
  })
  // Unknown keys are refused, not dropped: a misspelt property must fail at check, not be silently ignored.
  .strict()
  .superRefine((inputs, ctx) => {
    const typed = SOURCE_TYPES[inputs.sourceType];
    if (!typed) return;
    const parsed = typed.schema.safeParse(inputs.jobInputs);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: ["jobInputs", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: issue.message });
  });
export type ExternalDataSourceInputs = z.infer<typeof externalDataSourceInputsSchema>;

export interface SchemaStatus {
  id: string;
  name: string;
  shouldSync: boolean;
  syncType?: string;
  status?: string;
}

export type ExternalDataSourceOutputs = ExternalDataSourceInputs & {
  sourceId: string;
  status?: string;
  latestError?: string;
  lastRunAt?: string;
  createdAt?: string;
  createdBy?: string;
  schemaStatus: SchemaStatus[];
  /** Hooks an earlier update could not finish; `diff` sees them and the next update runs them. */
  pendingHooks?: Hook[];
};

type Hook = "refresh_schemas" | "reload";
type TableRow = NonNullable<ExternalDataSourceInputs["schemas"]>[number];
type RevenueConfig = NonNullable<ExternalDataSourceInputs["revenueAnalyticsConfig"]>;

export const EXTERNAL_DATA_SOURCE_OUTPUTS = ["sourceId", "status", "latestError", "lastRunAt", "createdAt", "createdBy", "schemaStatus", "pendingHooks"] as const;

/** Settings that only steer the provider: a change to them alone makes no API call and starts no sync. */
const LOCAL_PROPERTIES = ["refreshSchemas", "reload", "adoptId", "waitForSync"];

// Keys whose change points the source elsewhere: PostHog then wants the credentials again (facts.md).
const CONNECTION_TARGET_KEYS = ["host", "port", "instance_url", "ssh_tunnel", "account_id"];

// What PostHog holds when nothing is set, which is also what removing a declaration sends (facts.md: tables sync
// every 6 hours, CDC tables every 5 minutes; a table syncs as full_refresh unless told otherwise).
const TABLE_RESET = { syncType: "full_refresh", incrementalField: null, incrementalFieldType: null } as const;
const tableFrequencyReset = (syncType: string | null | undefined) => (syncType === "cdc" ? "5min" : "6hour");
// PostHog's revenue analytics defaults for a new source.
const REVENUE_RESET = { enabled: false, includeInvoicelessCharges: true } as const;

function toOutputs(inputs: ExternalDataSourceInputs, source: ApiSource, pendingHooks: Hook[] = []): ExternalDataSourceOutputs {
  return {
    ...inputs,
    sourceId: source.id,
    status: source.status ?? undefined,
    latestError: source.latest_error ?? undefined,
    lastRunAt: source.last_run_at ?? undefined,
    createdAt: source.created_at ?? undefined,
    createdBy: typeof source.created_by === "string" ? source.created_by : undefined,
    schemaStatus: (source.schemas ?? []).map((row) => ({
      id: row.id,
      name: row.name,
      shouldSync: row.should_sync ?? false,
      syncType: row.sync_type ?? undefined,
      status: row.status ?? undefined,
    })),
    pendingHooks: pendingHooks.length > 0 ? pendingHooks : undefined,
  };
}

function reportedTable(wanted: TableRow, row: SchemaRow): TableRow {
  const shouldSync = row.should_sync ?? false;
  return compact({
    name: wanted.name,
    // The declared list is the set of tables that sync: true is the default.
    shouldSync: shouldSync ? (wanted.shouldSync === true ? true : undefined) : false,
    syncType: reportedScalar(wanted.syncType, row.sync_type, TABLE_RESET.syncType),
    incrementalField: reportedScalar(wanted.incrementalField, row.incremental_field, null),
    incrementalFieldType: reportedScalar(wanted.incrementalFieldType, row.incremental_field_type, null),
    syncFrequency: reportedScalar(wanted.syncFrequency, row.sync_frequency, tableFrequencyReset(row.sync_type)),
  }) as TableRow;
}

function reportedRevenue(declared: RevenueConfig | undefined, remote: ApiSource["revenue_analytics_config"]): RevenueConfig | undefined {
  if (!remote) return declared;
  const out = compact({
    enabled: reportedScalar(declared?.enabled, remote.enabled, REVENUE_RESET.enabled),
    includeInvoicelessCharges: reportedScalar(declared?.includeInvoicelessCharges, remote.include_invoiceless_charges, REVENUE_RESET.includeInvoicelessCharges),
  });
  return Object.keys(out).length > 0 || declared !== undefined ? out : undefined;
}

/**
 * The inputs as PostHog reports them: every settable field read back, a value meaning "not set" read as absent
 * unless declared so. Settings PostHog does not hold (hooks, overrides) and secrets it never returns stay as
 * declared. Refresh records this; create and update record it after writing, so the state holds what PostHog
 * holds, also after a partial failure. Adoption compares against it.
 */
export function reportedSourceInputs(declared: ExternalDataSourceInputs, source: ApiSource): ExternalDataSourceInputs {
  const remoteRows = new Map((source.schemas ?? []).map((row) => [row.name, row]));
  const declaredNames = new Set((declared.schemas ?? []).map((w) => w.name));
  return compact({
    ...declared,
    sourceType: source.source_type as ExternalDataSourceInputs["sourceType"],
    prefix: reportedScalar(declared.prefix, source.prefix, ""),
    description: reportedScalar(declared.description, source.description, ""),
    // PostHog's type: the declared one (it cannot change in place), or the only one known when an import reads with
    // no prior state.
    jobInputs: reportedJobInputs(source.source_type, declared.jobInputs ?? {}, source.job_inputs ?? {}),
    // Tables are a set keyed by name: a declared table PostHog does not have is not reported (the diff shows it
    // still to do), and one PostHog syncs beyond the list was turned on outside Pulumi.
    schemas: declared.schemas && [
      ...declared.schemas.flatMap((wanted) => {
        const row = remoteRows.get(wanted.name);
        return row ? [reportedTable(wanted, row)] : [];
      }),
      ...(source.schemas ?? []).filter((row) => row.should_sync && !declaredNames.has(row.name)).map((row) => ({ ...reportedTable({ name: row.name }, row), shouldSync: true })),
    ],
    revenueAnalyticsConfig: reportedRevenue(declared.revenueAnalyticsConfig, source.revenue_analytics_config),
  });
}

function createBody(inputs: ExternalDataSourceInputs) {
  return {
    source_type: inputs.sourceType,
    ...(inputs.prefix !== undefined ? { prefix: inputs.prefix } : {}),
    ...(inputs.description !== undefined ? { description: inputs.description } : {}),
    payload: {
      ...inputs.jobInputs,
      ...(inputs.schemas
        ? {
            // Create takes no frequency (facts.md): the follow-up applies it through the schema endpoint.
            schemas: inputs.schemas.map((s) => ({
              name: s.name,
              should_sync: s.shouldSync ?? true,
              ...(s.syncType ? { sync_type: s.syncType } : {}),
              ...(s.incrementalField ? { incremental_field: s.incrementalField, incremental_field_type: s.incrementalFieldType } : {}),
            })),
          }
        : {}),
    },
  };
}

/** The inputs the create POST applies (createBody): all but the table frequencies and the revenue config. */
function postedInputs(inputs: ExternalDataSourceInputs): ExternalDataSourceInputs {
  return compact({ ...inputs, schemas: inputs.schemas?.map(({ syncFrequency: _applied_later, ...row }) => row), revenueAnalyticsConfig: undefined });
}

/** (team, source_type, prefix) identifies a live source: PostHog refuses a second one (facts.md). */
async function findByTypeAndPrefix(ctx: OperationContext, inputs: ExternalDataSourceInputs): Promise<ApiSource | undefined> {
  // The list's `search` matches the internal source id, not the prefix, so the whole list is read: once for all the
  // creates in flight (fresh-read.ts), not once each.
  const all = await sharedFreshRead(ctx.client, "external_data_sources", async () => {
    const sources: ApiSource[] = [];
    for await (const source of ctx.client.externalDataSources.list({ limit: 100 })) sources.push(source);
    return sources;
  });
  return all.find((source) => source.source_type === inputs.sourceType && (source.prefix ?? "") === (inputs.prefix ?? ""));
}

// PostHog's words when (source_type, prefix) is taken (facts.md).
const KEY_TAKEN = /already uses the prefix|already have a source of this type/i;

function changedJobInputKeys(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => !deepEqual(olds[k], news[k]));
}

/**
 * The source PATCH: changed description and `job_inputs` keys. PostHog merges `job_inputs` into the stored config
 * and keeps what is not sent, so a removed key is sent with its reset value (jobInputReset), and a secret that did
 * not change is not sent, unless the connection target moves: then PostHog wants the credentials again.
 */
function sourcePatch(olds: ExternalDataSourceInputs, news: ExternalDataSourceInputs): { description?: string; job_inputs?: Record<string, unknown> } {
  const body: { description?: string; job_inputs?: Record<string, unknown> } = {};
  if ((olds.description ?? "") !== (news.description ?? "")) body.description = news.description ?? "";
  const jobKeys = changedJobInputKeys(olds.jobInputs, news.jobInputs);
  if (jobKeys.length > 0) {
    const retarget = jobKeys.some((k) => CONNECTION_TARGET_KEYS.includes(k));
    const keys = retarget ? [...new Set([...jobKeys, ...jobInputSecretPaths(news.sourceType, news.jobInputs).map((p) => p[0]!)])] : jobKeys;
    const jobInputs: Record<string, unknown> = {};
    for (const key of keys) {
      if (key in news.jobInputs) jobInputs[key] = news.jobInputs[key];
      else if (key in olds.jobInputs) {
        const reset = jobInputReset(news.sourceType, key);
        if (!reset.ok) throw new Error(reset.reason);
        jobInputs[key] = reset.value;
      }
    }
    body.job_inputs = jobInputs;
  }
  return body;
}

/** One table's PATCH: changed fields, and PostHog's reset for a field whose declaration was removed. */
function tablePatch(had: TableRow | undefined, wanted: TableRow): UpdateSchemaRowBody {
  const body: UpdateSchemaRowBody = {};
  // A table new to the list is set whole: the state knows nothing of what PostHog holds for it.
  const field = <K extends keyof TableRow>(key: K, reset: unknown, put: (value: unknown) => void) => {
    const before = had?.[key];
    const after = wanted[key];
    if (had && deepEqual(before, after)) return;
    if (after !== undefined) put(after);
    else if (!had || before !== undefined) put(reset);
  };
  field("shouldSync", true, (v) => (body.should_sync = v as boolean));
  field("syncType", TABLE_RESET.syncType, (v) => (body.sync_type = v as string));
  field("incrementalField", null, (v) => (body.incremental_field = v as string | null));
  field("incrementalFieldType", null, (v) => (body.incremental_field_type = v as string | null));
  field("syncFrequency", tableFrequencyReset(wanted.syncType), (v) => (body.sync_frequency = v as string));
  return body;
}

async function applySchemaChanges(ctx: OperationContext, id: string, olds: ExternalDataSourceOutputs, news: ExternalDataSourceInputs, wrote: () => void): Promise<void> {
  const before = new Map((olds.schemas ?? []).map((s) => [s.name, s]));
  let rows = new Map(olds.schemaStatus.map((row) => [row.name, row]));
  let fetched = false;
  const rowOf = async (name: string) => {
    // A table discovered since the state was written (refresh_schemas in this very update) has no id in it yet.
    if (!rows.has(name) && !fetched) {
      const source = await ctx.client.externalDataSources.retrieve(id);
      rows = new Map((source.schemas ?? []).map((r) => [r.name, { id: r.id, name: r.name, shouldSync: r.should_sync ?? false }]));
      fetched = true;
    }
    const row = rows.get(name);
    if (!row) throw new Error(`schemas: PostHog has no table "${name}" in this source (set refreshSchemas: "always" to discover new tables first)`);
    return row;
  };
  for (const wanted of news.schemas ?? []) {
    const body = tablePatch(before.get(wanted.name), wanted);
    if (Object.keys(body).length === 0) continue;
    const row = await rowOf(wanted.name);
    ctx.progress(`updating table ${wanted.name}`);
    await ctx.client.externalDataSchemas.update(row.id, body);
    wrote();
  }
  // The declared list is the set of tables that sync (reads report any other syncing table as drift), so every
  // table PostHog syncs beyond it stops syncing: one dropped from the list, turned on in the UI, or syncing from
  // before the list was declared.
  if (!news.schemas) return;
  const kept = new Set(news.schemas.map((s) => s.name));
  for (const row of rows.values()) {
    if (kept.has(row.name) || !row.shouldSync) continue;
    ctx.progress(`no longer syncing table ${row.name}`);
    await ctx.client.externalDataSchemas.update(row.id, { should_sync: false });
    wrote();
  }
}

/** Paths of the leaves that differ between two configs (a key added or removed counts as its whole subtree). */
function changedLeafPaths(a: unknown, b: unknown, prefix: string[] = []): string[][] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return deepEqual(a, b) ? [] : [prefix];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => changedLeafPaths(a[k], b[k], [...prefix, k]));
}

function hooksFor(olds: ExternalDataSourceOutputs, news: ExternalDataSourceInputs, connectionChanged: boolean, anythingChanged: boolean): Hook[] {
  const hooks = new Set<Hook>(olds.pendingHooks ?? []);
  const refresh = news.refreshSchemas ?? "onConnectionChange";
  if (refresh === "always" || (refresh === "onConnectionChange" && connectionChanged)) hooks.add("refresh_schemas");
  const reload = news.reload ?? "onTrigger";
  const triggered = news.reloadTrigger !== undefined && news.reloadTrigger !== olds.reloadTrigger;
  if (reload === "always" || (reload === "onChange" && anythingChanged) || (reload !== "never" && triggered)) hooks.add("reload");
  return (["refresh_schemas", "reload"] as const).filter((h) => hooks.has(h));
}

function revenueBody(inputs: ExternalDataSourceInputs) {
  const cfg = inputs.revenueAnalyticsConfig ?? {};
  // The whole config every time: a field whose declaration was removed goes back to PostHog's default.
  return { enabled: cfg.enabled ?? REVENUE_RESET.enabled, include_invoiceless_charges: cfg.includeInvoicelessCharges ?? REVENUE_RESET.includeInvoicelessCharges };
}

/**
 * Brings PostHog from `olds` (what it holds, as inputs) to `news`, in the order that lets one update do it all:
 * the source PATCH, refresh_schemas (so a table it discovers can be declared in the same update), tables, revenue
 * config, reload. Create runs it too after its POST, for what the POST cannot carry. If a step fails after a
 * write, the state records what PostHog then holds and the hooks not yet run (PartialFailureError): the next
 * `up` sees the rest in its diff and finishes it, also after a refresh.
 */
async function converge(ctx: OperationContext, id: string, olds: ExternalDataSourceOutputs, news: ExternalDataSourceInputs, hooks: Hook[], step0: { what: string; created: boolean }): Promise<ExternalDataSourceOutputs> {
  const { what, created } = step0;
  // After a create the object exists whatever fails next: it is recorded, never orphaned.
  let wrote = created;
  let step = "update";
  let jobInputsApplied = false;
  let left = [...hooks];
  const markWrote = () => (wrote = true);
  try {
    const body = sourcePatch(olds, news);
    if (Object.keys(body).length > 0) {
      step = "source update";
      await ctx.client.externalDataSources.update(id, body);
      markWrote();
      jobInputsApplied = true;
    }
    if (left.includes("refresh_schemas")) {
      step = "hook refresh_schemas";
      ctx.progress("re-discovering tables (refresh_schemas)");
      await ctx.client.externalDataSources.refreshSchemas(id);
      markWrote();
      left = left.filter((h) => h !== "refresh_schemas");
    }
    if (!keyedSetEquals("name")(olds.schemas, news.schemas)) {
      step = "table update";
      await applySchemaChanges(ctx, id, olds, news, markWrote);
    }
    if (!deepEqual(olds.revenueAnalyticsConfig ?? {}, news.revenueAnalyticsConfig ?? {})) {
      step = "revenue analytics config";
      await ctx.client.externalDataSources.updateRevenueAnalyticsConfig(id, revenueBody(news));
      markWrote();
    }
    let reloaded = false;
    if (left.includes("reload")) {
      step = "hook reload";
      ctx.progress("starting a sync (reload)");
      await ctx.client.externalDataSources.reload(id);
      markWrote();
      left = [];
      reloaded = true;
    }
    const source = reloaded || created ? await waitForSync(ctx, id, news) : await ctx.client.externalDataSources.retrieve(id);
    return toOutputs(reportedSourceInputs(news, source), source);
  } catch (err) {
    if (!wrote) throw err;
    // Secrets PostHog never returns are the new ones only if the PATCH that carried them went through.
    const declared = { ...news, jobInputs: jobInputsApplied ? news.jobInputs : olds.jobInputs };
    const current = await ctx.client.externalDataSources.retrieve(id).catch(() => undefined);
    const properties = current ? toOutputs(reportedSourceInputs(declared, current), current, left) : { ...olds, pendingHooks: left.length > 0 ? left : undefined };
    const finish = step.startsWith("hook ") ? "retries it" : "finishes it";
    throw new PartialFailureError(`${what}, ${step} failed: ${(err as Error).message}; the next \`pulumi up\` ${finish}`, id, properties);
  }
}

/** Polls until the source leaves Running, saying what it waits for; a timeout is a warning, not a failure. */
async function waitForSync(ctx: OperationContext, id: string, inputs: ExternalDataSourceInputs): Promise<ApiSource> {
  let source = await ctx.client.externalDataSources.retrieve(id);
  if (!inputs.waitForSync) return source;
  const deadline = Date.now() + inputs.waitForSync.timeoutSeconds * 1000;
  let delay = 250;
  while (source.status === "Running") {
    if (Date.now() >= deadline) {
      ctx.warn(`sync still running after ${inputs.waitForSync.timeoutSeconds}s; not waiting any longer`);
      break;
    }
    const running = (source.schemas ?? []).filter((r) => r.status === "Running").map((r) => r.name);
    ctx.progress(`waiting for the sync: ${running.length} table(s) running (${running.slice(0, 5).join(", ")})`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(delay * 2, 10_000);
    source = await ctx.client.externalDataSources.retrieve(id);
  }
  if (source.status === "Failed") ctx.warn(`sync failed: ${source.latest_error ?? "no error given"}`);
  return source;
}

export const externalDataSourceDefinition: ResourceDefinition<ExternalDataSourceInputs, ExternalDataSourceOutputs, ApiSource> = {
  typeName: "ExternalDataSource",
  inputs: externalDataSourceInputsSchema,
  diff: {
    properties: ["sourceType", "prefix", "description", "jobInputs", "schemas", "revenueAnalyticsConfig", "refreshSchemas", "reload", "reloadTrigger", "waitForSync"],
    // sourceType is read-only and PostHog silently ignores prefix changes on PATCH (facts.md): both need a new source.
    replaceOn: ["sourceType", "prefix"],
    equals: { schemas: keyedSetEquals("name") },
  },
  localProperties: LOCAL_PROPERTIES,
  outputs: EXTERNAL_DATA_SOURCE_OUTPUTS,
  // Connection settings may hold secrets: a difference names the field, never its value.
  valuesNotShown: ["jobInputs"],
  pendingWork: (state) => state.pendingHooks ?? [],
  checkTransition: (olds, news) => {
    if (olds.sourceType !== news.sourceType || !olds.jobInputs || !news.jobInputs) return [];
    return Object.keys(olds.jobInputs)
      .filter((key) => !(key in news.jobInputs))
      .flatMap((key): CheckFailure[] => {
        const reset = jobInputReset(news.sourceType, key);
        return reset.ok ? [] : [{ property: "jobInputs", reason: reset.reason }];
      });
  },
  label: (inputs) => `ExternalDataSource ${String(inputs.sourceType)}${inputs.prefix ? ` (prefix "${String(inputs.prefix)}")` : ""}`,
  secretProperties: ["jobInputs"],
  serverText: ["latestError"],
  secretValues: (inputs) => {
    const jobInputs = inputs.jobInputs && typeof inputs.jobInputs === "object" ? inputs.jobInputs : {};
    return jobInputHiddenPaths(String(inputs.sourceType), jobInputs).map((path) => getPath(jobInputs, path));
  },
  warnings: (inputs) => {
    if (!SOURCE_TYPES[inputs.sourceType]) return [`jobInputs for source type ${inputs.sourceType} are not validated by this provider; PostHog checks them at create`];
    const unknown = unknownJobInputKeys(inputs.sourceType, inputs.jobInputs);
    return unknown.length > 0 ? [`jobInputs.${unknown.join(", jobInputs.")}: not in PostHog's ${inputs.sourceType} definition known to this provider; sent as given`] : [];
  },
  secretPaths: (inputs) => jobInputSecretPaths(inputs.sourceType, inputs.jobInputs).map((path) => ["jobInputs", ...path]),
  key: {
    properties: ["sourceType", "prefix"],
    describe: (inputs) => `a ${inputs.sourceType} source ${inputs.prefix ? `with prefix "${inputs.prefix}"` : "without a prefix"}`,
    find: (ctx, inputs) => findByTypeAndPrefix(ctx, inputs).then((source) => source && { id: source.id, createdAt: source.created_at }),
    isTakenError: (err) => err instanceof PostHogApiError && err.status === 400 && KEY_TAKEN.test(err.detail),
    sentOnCreate: ["sourceType", "prefix", "description", "jobInputs"],
  },

  async create(ctx, inputs) {
    ctx.progress("creating (PostHog checks the credentials and discovers tables)");
    return { id: (await ctx.client.externalDataSources.create(createBody(inputs))).id };
  },

  async completeCreate(ctx, { id }, inputs) {
    let created: ExternalDataSourceOutputs;
    try {
      const source = await ctx.client.externalDataSources.retrieve(id);
      created = toOutputs(reportedSourceInputs(inputs, source), source);
    } catch {
      // Unread, the source is taken to hold what the POST carried and nothing more, so the follow-ups below still
      // run, and if they fail too the state claims nothing they did not do (the next `up` diffs and finishes it).
      created = { ...postedInputs(inputs), sourceId: id, schemaStatus: [] };
    }
    // What the POST cannot carry (table frequencies, revenue analytics) goes through the same path as an update.
    return converge(ctx, id, created, inputs, [], { what: `source ${id} created`, created: true });
  },

  async read(ctx, id, state) {
    const source = await unlessGone(ctx.client.externalDataSources.retrieve(id));
    if (!source) return undefined;
    const inputs = reportedSourceInputs(state, source);
    return { inputs, outputs: toOutputs(inputs, source, state.pendingHooks) };
  },

  async update(ctx, id, olds, news, changes) {
    // A credential rotation alone (only secret fields of a catalogued type changed) reaches the same database: it
    // re-sends the secret and nothing else, no table re-discovery.
    const secretPaths = jobInputSecretPaths(news.sourceType, news.jobInputs);
    const rotatedOnly =
      isCatalogued(news.sourceType) && changedLeafPaths(olds.jobInputs, news.jobInputs).every((leaf) => secretPaths.some((p) => p.every((key, i) => leaf[i] === key)));
    const connectionChanged = changedJobInputKeys(olds.jobInputs, news.jobInputs).length > 0 && !rotatedOnly;
    const remoteChanged = changes.some((c) => !LOCAL_PROPERTIES.includes(c.property));
    const hooks = hooksFor(olds, news, connectionChanged, remoteChanged);
    return converge(ctx, id, olds, news, hooks, { what: "update applied", created: false });
  },

  async delete(ctx, id) {
    await ctx.client.externalDataSources.delete(id);
  },
};

export interface ExternalDataSourceArgs {
  sourceType: pulumi.Input<string>;
  prefix?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  jobInputs: pulumi.Input<Record<string, unknown>>;
  schemas?: pulumi.Input<pulumi.Input<z.input<typeof schemaSelection>>[]>;
  revenueAnalyticsConfig?: pulumi.Input<{ enabled?: boolean; includeInvoicelessCharges?: boolean }>;
  refreshSchemas?: pulumi.Input<"onConnectionChange" | "always" | "never">;
  reload?: pulumi.Input<"onTrigger" | "onChange" | "always" | "never">;
  reloadTrigger?: pulumi.Input<string>;
  waitForSync?: pulumi.Input<{ timeoutSeconds: number }>;
  adoptId?: pulumi.Input<string>;
  projectId?: pulumi.Input<string>;
  host?: pulumi.Input<string>;
}

/**
 * `jobInputs` with its secret fields made Pulumi secrets in the program, before registration, even when passed as
 * plain strings: the catalogue's paths (PostHog's own field definitions) for a catalogued type given as a string;
 * all of it for any other type, or a type not known yet (an Output), since nothing else can say which fields are
 * credentials.
 */
export function secretJobInputs(sourceType: pulumi.Input<string>, jobInputs: pulumi.Input<Record<string, unknown>>): pulumi.Input<Record<string, unknown>> {
  if (!isCatalogued(sourceType)) return secretInput<unknown>(jobInputs) as pulumi.Output<Record<string, unknown>>;
  // Keys the catalogue does not define are kept secret too (jobInputHiddenPaths); an Output's keys are not known yet.
  const plain = typeof jobInputs === "object" && jobInputs !== null && !pulumiRuntime.Output.isInstance(jobInputs) && !(jobInputs instanceof Promise) ? (jobInputs as Record<string, unknown>) : undefined;
  return secretizePaths(jobInputs, jobInputHiddenPaths(sourceType, plain)) ?? jobInputs;
}

/** A PostHog warehouse source: a connection PostHog syncs tables from (Stripe, Postgres, Hubspot, ...). */
export class ExternalDataSource extends WarehouseResource {
  declare readonly sourceType: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<string | undefined>;
  declare readonly sourceId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string | undefined>;
  declare readonly latestError: pulumi.Output<string | undefined>;
  declare readonly lastRunAt: pulumi.Output<string | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  declare readonly createdBy: pulumi.Output<string | undefined>;
  /** The PostHog host and project the object lives in, as resolved when it was created (or adopted). */
  declare readonly target: pulumi.Output<Target>;
  declare readonly schemaStatus: pulumi.Output<SchemaStatus[]>;

  constructor(name: string, args: ExternalDataSourceArgs, opts?: pulumi.CustomResourceOptions) {
    super("ExternalDataSource", name, { ...args, jobInputs: secretJobInputs(args.sourceType, args.jobInputs) }, EXTERNAL_DATA_SOURCE_OUTPUTS, opts);
  }
}
