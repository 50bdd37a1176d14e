import type * as pulumi from "@pulumi/pulumi";
import * as pulumiRuntime from "../resource/pulumi-sdk";
import { z } from "zod";
import { PostHogConnectionError, type ExternalDataSource as ApiSource } from "../client";
import { adoptIdSchema, adoptTarget } from "../resource/adopt-id";
import { unlessGone } from "../resource/gone";
import { findAfterAmbiguousCreate } from "../resource/reconcile";
import type { OperationContext, ResourceDefinition } from "../resource/definition";
import { AdoptionMismatchError, PartialFailureError } from "../resource/errors";
import { providerOf, registrationProps, secretizePaths, TYPE_MODULE } from "../resource/program-side";
import { deepEqual } from "../resource/values";
import { jobInputSecretPaths, KNOWN_SOURCE_TYPES, SOURCE_TYPES } from "./external-data-source/job-inputs";

export { jobInputSecretPaths } from "./external-data-source/job-inputs";

// PostHog's source_type choices (facts.md lists these and more); the typed ones are validated field by field.
const POSTHOG_SOURCE_TYPES = [
  ...KNOWN_SOURCE_TYPES,
  "Vitally", "Chargebee", "Ashby", "GoogleAds", "GoogleSheets", "MetaAds", "LinkedinAds", "RedditAds", "TikTokAds", "Klaviyo",
  "Mailchimp", "Braze", "Mailjet", "Redshift", "MongoDB", "Polar", "RevenueCat", "Shopify", "TemporalIO", "DoIt",
] as const;

const SYNC_TYPES = ["full_refresh", "incremental", "append", "cdc"] as const;

const schemaSelection = z
  .object({
    name: z.string().min(1, "must not be empty").describe("Table name as PostHog discovers it (e.g. Customer)."),
    shouldSync: z.boolean().optional().describe("Sync this table (default true)."),
    syncType: z.enum(SYNC_TYPES).optional().describe("How the table syncs."),
    incrementalField: z.string().optional().describe("Cursor column for incremental/append syncs."),
    incrementalFieldType: z.string().optional().describe("Type of the cursor column."),
    syncFrequency: z.enum(["never", "1min", "5min", "15min", "30min", "1hour", "6hour", "12hour", "24hour", "7day", "30day"]).optional(),
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
      .max(100, "must be at most 100 characters")
      .refine((p) => p.replace(/^_+|_+$/g, "") !== "", "cannot consist of only underscores")
      .refine((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p.replace(/^_+|_+$/g, "")), "must contain only letters, numbers and underscores")
      .optional()
      .describe("Table name prefix. PostHog ignores prefix changes, so changing it replaces the source."),
    description: z.string().max(400, "must be at most 400 characters").optional().describe("Free text shown in PostHog."),
    jobInputs: z.record(z.string(), z.unknown()).describe("Connection config in PostHog's field names; secret fields become Pulumi secrets."),
    schemas: z.array(schemaSelection).optional().describe("Tables to sync and their settings. Changed in place, never by replacement."),
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
    host: z.url().optional().describe("Host override (default: posthog:host)."),
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
  /** Hooks an earlier update could not finish; the next update runs them first. */
  pendingHooks?: Hook[];
};

type Hook = "refresh_schemas" | "reload";

export const EXTERNAL_DATA_SOURCE_OUTPUTS = ["sourceId", "status", "latestError", "lastRunAt", "createdAt", "createdBy", "schemaStatus", "pendingHooks"] as const;

// Keys whose change points the source elsewhere: PostHog then wants the credentials again (facts.md).
const CONNECTION_TARGET_KEYS = ["host", "port", "instance_url", "ssh_tunnel", "account_id"];

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

/**
 * The inputs as PostHog reports them. PostHog drops secret and unknown keys from job_inputs on read (facts.md), so
 * the state's values stand for whatever it did not return: an omitted secret is never drift.
 */
function reportedInputs(declared: ExternalDataSourceInputs, source: ApiSource): ExternalDataSourceInputs {
  const remoteRows = new Map((source.schemas ?? []).map((row) => [row.name, row]));
  return {
    ...declared,
    // An import reads with no prior state: PostHog's read-only type is then the declaration.
    sourceType: declared.sourceType ?? (source.source_type as ExternalDataSourceInputs["sourceType"]),
    prefix: declared.prefix === undefined && !source.prefix ? undefined : (source.prefix ?? undefined),
    description: declared.description === undefined && !source.description ? undefined : (source.description ?? undefined),
    jobInputs: mergeReported(declared.jobInputs, source.job_inputs ?? {}) as Record<string, unknown>,
    schemas: declared.schemas && [
      ...declared.schemas.map((wanted) => {
        const row = remoteRows.get(wanted.name);
        if (!row) return wanted;
        return {
          ...wanted,
          ...(wanted.shouldSync !== undefined || row.should_sync === false ? { shouldSync: row.should_sync ?? false } : {}),
          ...(wanted.syncType !== undefined && row.sync_type ? { syncType: row.sync_type as (typeof SYNC_TYPES)[number] } : {}),
        };
      }),
      // A declared list is the set of tables that sync: one PostHog syncs beyond it was turned on outside Pulumi.
      ...(source.schemas ?? []).filter((row) => row.should_sync && !declared.schemas!.some((w) => w.name === row.name)).map((row) => ({ name: row.name, shouldSync: true })),
    ],
  };
}

function mergeReported(state: unknown, remote: unknown): unknown {
  if (state && remote && typeof state === "object" && typeof remote === "object" && !Array.isArray(state) && !Array.isArray(remote)) {
    const out: Record<string, unknown> = { ...(state as Record<string, unknown>) };
    for (const [key, value] of Object.entries(remote)) if (key in out) out[key] = mergeReported(out[key], value);
    return out;
  }
  // Numbers PostHog stores as strings (ports) are the same value.
  return remote !== undefined && String(remote) === String(state) ? state : remote;
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

/** (team, source_type, prefix) identifies a live source: PostHog refuses a second one (facts.md). */
async function findByTypeAndPrefix(ctx: OperationContext, inputs: ExternalDataSourceInputs): Promise<ApiSource | undefined> {
  // The list's `search` matches the internal source id, not the prefix, so page through all of it.
  for await (const source of ctx.client.externalDataSources.list({ limit: 100 })) {
    if (source.source_type === inputs.sourceType && (source.prefix ?? "") === (inputs.prefix ?? "")) return source;
  }
  return undefined;
}

function changedJobInputKeys(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => !deepEqual(olds[k], news[k]));
}

async function applySchemaChanges(ctx: OperationContext, id: string, olds: ExternalDataSourceOutputs, news: ExternalDataSourceInputs): Promise<void> {
  const before = new Map((olds.schemas ?? []).map((s) => [s.name, s]));
  const rows = new Map(olds.schemaStatus.map((row) => [row.name, row]));
  for (const wanted of news.schemas ?? []) {
    if (deepEqual(before.get(wanted.name), wanted)) continue;
    let row = rows.get(wanted.name);
    if (!row) {
      const source = await ctx.client.externalDataSources.retrieve(id);
      const fresh = source.schemas?.find((r) => r.name === wanted.name);
      if (!fresh) throw new Error(`schemas: PostHog has no table "${wanted.name}" in this source (refresh_schemas discovers new tables)`);
      row = { id: fresh.id, name: fresh.name, shouldSync: fresh.should_sync ?? false };
    }
    ctx.progress(`updating table ${wanted.name}`);
    await ctx.client.externalDataSchemas.update(row.id, {
      should_sync: wanted.shouldSync ?? true,
      ...(wanted.syncType ? { sync_type: wanted.syncType } : {}),
      ...(wanted.incrementalField ? { incremental_field: wanted.incrementalField, incremental_field_type: wanted.incrementalFieldType ?? null } : {}),
      ...(wanted.syncFrequency ? { sync_frequency: wanted.syncFrequency } : {}),
    });
  }
  // A table the previous list had (declared, or found syncing by a refresh) and the new one drops stops syncing.
  // Tables never listed are left alone: adding a list to a source does not switch off what it already syncs.
  const kept = new Set((news.schemas ?? []).map((s) => s.name));
  for (const dropped of news.schemas ? (olds.schemas ?? []).filter((s) => !kept.has(s.name) && s.shouldSync !== false) : []) {
    const row = rows.get(dropped.name);
    if (!row?.shouldSync) continue;
    ctx.progress(`no longer syncing table ${dropped.name}`);
    await ctx.client.externalDataSchemas.update(row.id, { should_sync: false });
  }
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

export const externalDataSourceDefinition: ResourceDefinition<ExternalDataSourceInputs, ExternalDataSourceOutputs> = {
  typeName: "ExternalDataSource",
  inputs: externalDataSourceInputsSchema,
  diff: {
    properties: ["sourceType", "prefix", "description", "jobInputs", "schemas", "revenueAnalyticsConfig", "refreshSchemas", "reload", "reloadTrigger", "waitForSync", "projectId", "host"],
    // sourceType is read-only and PostHog silently ignores prefix changes on PATCH (facts.md): both need a new source.
    replaceOn: ["sourceType", "prefix", "projectId", "host"],
  },
  localProperties: ["refreshSchemas", "reload", "adoptId", "waitForSync"],
  outputs: EXTERNAL_DATA_SOURCE_OUTPUTS,
  label: (inputs) => `ExternalDataSource ${String(inputs.sourceType)}${inputs.prefix ? ` (prefix "${String(inputs.prefix)}")` : ""}`,
  warnings: (inputs) => (SOURCE_TYPES[inputs.sourceType] ? [] : [`jobInputs for source type ${inputs.sourceType} are not validated by this provider; PostHog checks them at create`]),
  adoptId: (inputs) => inputs.adoptId,
  secretPaths: (inputs) => jobInputSecretPaths(inputs.sourceType, inputs.jobInputs).map((path) => ["jobInputs", ...path]),
  // A replacement within the same project and (type, prefix) would clash with the old source: delete it first.
  deleteBeforeReplace: (olds, news) => olds.sourceType === news.sourceType && (olds.prefix ?? "") === (news.prefix ?? "") && olds.projectId === news.projectId,

  async create(ctx, inputs) {
    let id: string;
    try {
      ctx.progress("creating (PostHog checks the credentials and discovers tables)");
      id = (await ctx.client.externalDataSources.create(createBody(inputs))).id;
    } catch (err) {
      if (!(err instanceof PostHogConnectionError && err.mayHaveSucceeded)) throw err;
      ctx.progress("create response lost; looking for the source by type and prefix");
      const found = await findAfterAmbiguousCreate(ctx, () => findByTypeAndPrefix(ctx, inputs));
      if (!found) throw err;
      id = found.id;
    }
    try {
      if (inputs.revenueAnalyticsConfig) await ctx.client.externalDataSources.updateRevenueAnalyticsConfig(id, revenueBody(inputs));
      return { id, outputs: toOutputs(inputs, await waitForSync(ctx, id, inputs)) };
    } catch (err) {
      // The source exists: record it rather than orphan it; the next `up` finishes the job.
      throw new PartialFailureError(`source ${id} created, but a follow-up step failed: ${(err as Error).message}`, id, { ...inputs, sourceId: id, schemaStatus: [] });
    }
  },

  async adopt(ctx, adoptId, inputs) {
    const id = adoptTarget(adoptId, ctx.connection.projectId);
    const source = await ctx.client.externalDataSources.retrieve(id);
    const differences: string[] = [];
    if (source.source_type !== inputs.sourceType) differences.push(`sourceType: PostHog has ${source.source_type}, declared ${inputs.sourceType}`);
    if ((source.prefix ?? "") !== (inputs.prefix ?? "")) differences.push(`prefix: PostHog has "${source.prefix ?? ""}", declared "${inputs.prefix ?? ""}"`);
    const reported = reportedInputs(inputs, source);
    for (const key of changedJobInputKeys(inputs.jobInputs, reported.jobInputs)) differences.push(`jobInputs.${key}: differs from PostHog's value`);
    if (differences.length > 0) throw new AdoptionMismatchError(ctx.label, id, differences);
    return { id: source.id, outputs: toOutputs(inputs, source) };
  },

  async read(ctx, id, state) {
    const source = await unlessGone(ctx.client.externalDataSources.retrieve(id));
    if (!source) return undefined;
    const inputs = reportedInputs(state, source);
    return { inputs, outputs: toOutputs(inputs, source, state.pendingHooks) };
  },

  async update(ctx, id, olds, news, changes) {
    const changed = new Set(changes.map((c) => c.property));
    const jobKeys = changed.has("jobInputs") ? changedJobInputKeys(olds.jobInputs, news.jobInputs) : [];
    const connectionChanged = jobKeys.length > 0;
    const body: { description?: string; job_inputs?: Record<string, unknown> } = {};
    if (changed.has("description")) body.description = news.description ?? "";
    if (connectionChanged) {
      // Only what changed: PostHog merges job_inputs into the stored config and keeps secrets not sent. When the
      // connection target moves, PostHog wants the credentials again, so the secrets go along.
      const retarget = jobKeys.some((k) => CONNECTION_TARGET_KEYS.includes(k));
      const keys = retarget ? [...new Set([...jobKeys, ...jobInputSecretPaths(news.sourceType, news.jobInputs).map((p) => p[0]!)])] : jobKeys;
      body.job_inputs = Object.fromEntries(keys.filter((k) => k in news.jobInputs).map((k) => [k, news.jobInputs[k]]));
    }
    let source: ApiSource | undefined;
    if (Object.keys(body).length > 0) source = await ctx.client.externalDataSources.update(id, body);
    if (changed.has("schemas")) await applySchemaChanges(ctx, id, olds, news);
    if (changed.has("revenueAnalyticsConfig") && news.revenueAnalyticsConfig) {
      source = await ctx.client.externalDataSources.updateRevenueAnalyticsConfig(id, revenueBody(news));
    }
    const remoteChanged = [...changed].some((p) => !["refreshSchemas", "reload", "reloadTrigger"].includes(p));
    const hooks = hooksFor(olds, news, connectionChanged, remoteChanged);
    for (const [index, hook] of hooks.entries()) {
      try {
        ctx.progress(hook === "reload" ? "starting a sync (reload)" : "re-discovering tables (refresh_schemas)");
        if (hook === "reload") await ctx.client.externalDataSources.reload(id);
        else await ctx.client.externalDataSources.refreshSchemas(id);
      } catch (err) {
        const current = await ctx.client.externalDataSources.retrieve(id).catch(() => source);
        const properties = current ? toOutputs(news, current, hooks.slice(index)) : { ...olds, ...news, pendingHooks: hooks.slice(index) };
        throw new PartialFailureError(`update applied, hook ${hook} failed: ${(err as Error).message}; the next \`pulumi up\` retries it`, id, properties);
      }
    }
    return toOutputs(news, hooks.includes("reload") ? await waitForSync(ctx, id, news) : await ctx.client.externalDataSources.retrieve(id));
  },

  async delete(ctx, id) {
    await ctx.client.externalDataSources.delete(id);
  },
};

function revenueBody(inputs: ExternalDataSourceInputs) {
  const cfg = inputs.revenueAnalyticsConfig ?? {};
  return {
    ...(cfg.enabled !== undefined ? { enabled: cfg.enabled } : {}),
    ...(cfg.includeInvoicelessCharges !== undefined ? { include_invoiceless_charges: cfg.includeInvoicelessCharges } : {}),
  };
}

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

/** A PostHog warehouse source: a connection PostHog syncs tables from (Stripe, Postgres, Hubspot, ...). */
export class ExternalDataSource extends pulumiRuntime.dynamic.Resource {
  declare readonly sourceType: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<string | undefined>;
  declare readonly sourceId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string | undefined>;
  declare readonly latestError: pulumi.Output<string | undefined>;
  declare readonly lastRunAt: pulumi.Output<string | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  declare readonly createdBy: pulumi.Output<string | undefined>;
  declare readonly schemaStatus: pulumi.Output<SchemaStatus[]>;

  constructor(name: string, args: ExternalDataSourceArgs, opts?: pulumi.CustomResourceOptions) {
    // Secret connection fields become Pulumi secrets even when passed as plain strings.
    const sourceType = typeof args.sourceType === "string" ? args.sourceType : "";
    const plain = typeof args.jobInputs === "object" && !pulumiRuntime.Output.isInstance(args.jobInputs) && !(args.jobInputs instanceof Promise) ? (args.jobInputs as Record<string, unknown>) : undefined;
    const paths = plain && sourceType ? jobInputSecretPaths(sourceType, plain) : [];
    const jobInputs = paths.length > 0 || !plain ? secretizePaths(args.jobInputs, paths) : args.jobInputs;
    super(providerOf("ExternalDataSource"), name, registrationProps({ ...args, jobInputs }, EXTERNAL_DATA_SOURCE_OUTPUTS), opts, TYPE_MODULE, "ExternalDataSource");
  }
}
