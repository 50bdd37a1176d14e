import type * as pulumi from "@pulumi/pulumi";
import * as pulumiRuntime from "../resource/pulumi-sdk";
import { z } from "zod";
import { BadRequestError, type WarehouseJoin as ApiJoin, type WarehouseJoinBody } from "../client";
import type { Target } from "../config";
import { adoptIdSchema } from "../resource/adopt-id";
import type { OperationContext, ResourceDefinition } from "../resource/definition";
import { adoptHint } from "../resource/errors";
import { sharedFreshRead } from "../resource/fresh-read";
import { unlessGone } from "../resource/gone";
import { WarehouseResource } from "../resource/program-side";
import { deepEqual } from "../resource/values";

const tableName = (what: string) =>
  z
    .string()
    .max(400, "must be at most 400 characters")
    .refine((v) => v.trim() !== "", "must not be blank")
    .describe(`${what}: events, persons, a WarehouseTable's or SavedQuery's name, or a synced table (e.g. stripe.customer).`);
const hogqlKey = (what: string) =>
  z
    .string()
    .max(400, "must be at most 400 characters")
    .refine((v) => v.trim() !== "", "must not be blank")
    .describe(`${what}: a HogQL expression naming a field, e.g. distinct_id, properties.email or upper(uuid).`);

export const warehouseJoinInputsSchema = z
  .object({
    sourceTableName: tableName("The table the new field is added to"),
    sourceTableKey: hogqlKey("Join key on the source table"),
    joiningTableName: tableName("The table joined in"),
    joiningTableKey: hogqlKey("Join key on the joining table"),
    fieldName: z
      .string()
      .max(400, "must be at most 400 characters")
      .refine((v) => v.trim() !== "", "must not be blank")
      .refine((v) => !v.includes("."), "must not contain a period")
      .describe("The new field on the source table, e.g. stripe_customer makes events.stripe_customer.email work."),
    configuration: z
      .object({
        experimentsOptimized: z.boolean().optional().describe("Joins on events: optimise for experiments."),
        experimentsTimestampKey: z.string().optional().describe("Joins on events: the source column holding the timestamp."),
      })
      .strict()
      .optional()
      .describe("Join options; they matter only when joining events."),
    adoptId: adoptIdSchema,
    projectId: z.string().regex(/^\d+$/, "must be a numeric project id").optional().describe("Project override (default: posthog:projectId)."),
    host: z.url().optional().describe("Host override (default: posthog:host)."),
  })
  .strict()
  .describe("A PostHog warehouse join: a field on one table that reaches another on HogQL keys.");
export type WarehouseJoinInputs = z.infer<typeof warehouseJoinInputsSchema>;

export type WarehouseJoinOutputs = WarehouseJoinInputs & { joinId: string; createdAt?: string };
export const WAREHOUSE_JOIN_OUTPUTS = ["joinId", "createdAt"] as const;

/**
 * PostHog answers with table names printed as HogQL prints them: a synced table stored as `stripe_customer` comes
 * back as `stripe.customer` (facts-tables-and-joins.md). The flat and dotted forms name the same table.
 */
export function sameTableName(a: unknown, b: unknown): boolean {
  if (typeof a !== "string" || typeof b !== "string") return deepEqual(a, b);
  const flat = (s: string) => s.replace(/`/g, "").replace(/\./g, "_").toLowerCase();
  return a === b || flat(a) === flat(b);
}

/**
 * Whether PostHog's printed name is the declared one: the same in flat/dotted form, or (a prefixed synced table,
 * printed `type.prefix.table` but stored `prefix_type_table`) the table list says the declared name prints so.
 */
async function printsAs(ctx: OperationContext, declared: string, printed: string): Promise<boolean> {
  if (sameTableName(declared, printed)) return true;
  // Only synced tables print dotted; a self-managed table or view prints as it is named, so no look-up can help.
  if (!printed.includes(".") || declared.includes(".")) return false;
  for await (const table of ctx.client.warehouseTables.list({ search: declared, include_columns: "false" })) {
    if (table.name === declared) return table.hogql_name === printed;
  }
  return false;
}

function configurationBody(configuration: WarehouseJoinInputs["configuration"]): Record<string, unknown> {
  return {
    ...(configuration?.experimentsOptimized !== undefined ? { experiments_optimized: configuration.experimentsOptimized } : {}),
    ...(configuration?.experimentsTimestampKey !== undefined ? { experiments_timestamp_key: configuration.experimentsTimestampKey } : {}),
  };
}

function toOutputs(inputs: WarehouseJoinInputs, join: ApiJoin): WarehouseJoinOutputs {
  return { ...inputs, joinId: join.id, createdAt: join.created_at ?? undefined };
}

async function reportedInputs(ctx: OperationContext, declared: WarehouseJoinInputs, join: ApiJoin): Promise<WarehouseJoinInputs> {
  const config = join.configuration ?? {};
  const optimized = config.experiments_optimized;
  const timestampKey = config.experiments_timestamp_key;
  const configuration = {
    ...(typeof optimized === "boolean" && (optimized || declared.configuration?.experimentsOptimized !== undefined) ? { experimentsOptimized: optimized } : {}),
    ...(typeof timestampKey === "string" ? { experimentsTimestampKey: timestampKey } : {}),
  };
  return {
    ...declared,
    sourceTableName: (await printsAs(ctx, declared.sourceTableName, join.source_table_name)) ? declared.sourceTableName : join.source_table_name,
    sourceTableKey: join.source_table_key,
    joiningTableName: (await printsAs(ctx, declared.joiningTableName, join.joining_table_name)) ? declared.joiningTableName : join.joining_table_name,
    joiningTableKey: join.joining_table_key,
    fieldName: join.field_name,
    configuration: Object.keys(configuration).length > 0 || declared.configuration !== undefined ? configuration : undefined,
  };
}

/** The natural key: one field name per source table (PostHog refuses a second on create, and checks nothing on update). */
async function findByKey(ctx: OperationContext, sourceTableName: string, fieldName: string): Promise<ApiJoin | undefined> {
  // The list has no usable filter (its `search` fails), so the whole list is read: once for all the creates in
  // flight (fresh-read.ts), not once each.
  const all = await sharedFreshRead(ctx.client, "warehouse_view_links", async () => {
    const joins: ApiJoin[] = [];
    for await (const join of ctx.client.warehouseJoins.list()) joins.push(join);
    return joins;
  });
  for (const join of all) {
    if (!join.deleted && join.field_name === fieldName && (await printsAs(ctx, sourceTableName, join.source_table_name))) return join;
  }
  return undefined;
}

const FIELD_TAKEN = /^Field name ".*" already exists on table/;

export const warehouseJoinDefinition: ResourceDefinition<WarehouseJoinInputs, WarehouseJoinOutputs, ApiJoin> = {
  typeName: "WarehouseJoin",
  inputs: warehouseJoinInputsSchema,
  diff: {
    // All in place: PostHog's update takes every field (and checks none, so the key is checked here).
    properties: ["sourceTableName", "sourceTableKey", "joiningTableName", "joiningTableKey", "fieldName", "configuration"],
    replaceOn: [],
    equals: { sourceTableName: sameTableName, joiningTableName: sameTableName },
  },
  localProperties: ["adoptId"],
  outputs: WAREHOUSE_JOIN_OUTPUTS,
  label: (inputs) => `WarehouseJoin ${String(inputs.sourceTableName)}.${String(inputs.fieldName)}`,
  key: {
    properties: ["sourceTableName", "fieldName"],
    describe: (inputs) => `a join field "${inputs.fieldName}" on ${inputs.sourceTableName}`,
    find: (ctx, inputs) => findByKey(ctx, inputs.sourceTableName, inputs.fieldName).then((join) => join && { id: join.id, createdAt: join.created_at }),
    // PostHog also says this when the field name is one of the table's columns: then no join holds the key, and
    // the lifecycle passes PostHog's error on as it is.
    isTakenError: (err) => err instanceof BadRequestError && FIELD_TAKEN.test(err.detail),
    sentOnCreate: ["sourceTableName", "sourceTableKey", "joiningTableName", "joiningTableKey", "fieldName"],
  },

  async create(ctx, inputs) {
    const join = await ctx.client.warehouseJoins.create({
      source_table_name: inputs.sourceTableName,
      source_table_key: inputs.sourceTableKey,
      joining_table_name: inputs.joiningTableName,
      joining_table_key: inputs.joiningTableKey,
      field_name: inputs.fieldName,
      configuration: configurationBody(inputs.configuration),
    });
    return { id: join.id, remote: join };
  },

  async completeCreate(ctx, { id, remote }, inputs) {
    return toOutputs(inputs, remote ?? (await ctx.client.warehouseJoins.retrieve(id)));
  },

  async read(ctx, id, state) {
    const join = await unlessGone(ctx.client.warehouseJoins.retrieve(id));
    // A join deleted with a table it names still reads back, marked deleted: it is gone all the same.
    if (!join || join.deleted) return undefined;
    const inputs = await reportedInputs(ctx, state, join);
    return { inputs, outputs: toOutputs(inputs, join) };
  },

  async update(ctx, id, _olds, news, changes) {
    const changed = new Set(changes.map((c) => c.property));
    // PostHog validates nothing on update (facts-tables-and-joins.md), so the key is checked here.
    if (changed.has("sourceTableName") || changed.has("fieldName")) {
      const clash = await findByKey(ctx, news.sourceTableName, news.fieldName);
      if (clash && clash.id !== id) throw new Error(`cannot move the join: join ${clash.id} already adds ${news.fieldName} to ${news.sourceTableName}; to manage it, ${adoptHint(clash.id)}`);
    }
    const body: WarehouseJoinBody = {};
    if (changed.has("sourceTableName")) body.source_table_name = news.sourceTableName;
    if (changed.has("sourceTableKey")) body.source_table_key = news.sourceTableKey;
    if (changed.has("joiningTableName")) body.joining_table_name = news.joiningTableName;
    if (changed.has("joiningTableKey")) body.joining_table_key = news.joiningTableKey;
    if (changed.has("fieldName")) body.field_name = news.fieldName;
    if (changed.has("configuration")) body.configuration = configurationBody(news.configuration);
    const join = Object.keys(body).length > 0 ? await ctx.client.warehouseJoins.update(id, body) : await ctx.client.warehouseJoins.retrieve(id);
    return toOutputs(news, join);
  },

  async delete(ctx, id) {
    // A hard delete in PostHog. A join already soft-deleted with its table still answers, and is removed for good.
    await ctx.client.warehouseJoins.delete(id);
  },
};

/** What `syncedTableName` needs of a source: its outputs, so a join naming one of its tables waits for it. */
interface SyncingSource {
  sourceId: pulumi.Output<string>;
  sourceType: pulumi.Output<string>;
  prefix: pulumi.Output<string | undefined>;
}

/**
 * The HogQL name of a table an ExternalDataSource syncs (`<prefix><type>_<table>`, lower case, as PostHog names it),
 * as an output of the source: a join given it is created after the source and deleted before it.
 */
export function syncedTableName(source: SyncingSource, table: string): pulumi.Output<string> {
  return pulumiRuntime
    .all([source.sourceId, source.sourceType, source.prefix])
    .apply(([, type, prefix]) => `${prefix ?? ""}${type.toLowerCase()}_${table.toLowerCase()}`);
}

export interface WarehouseJoinArgs {
  sourceTableName: pulumi.Input<string>;
  sourceTableKey: pulumi.Input<string>;
  joiningTableName: pulumi.Input<string>;
  joiningTableKey: pulumi.Input<string>;
  fieldName: pulumi.Input<string>;
  configuration?: pulumi.Input<{ experimentsOptimized?: pulumi.Input<boolean>; experimentsTimestampKey?: pulumi.Input<string> }>;
  adoptId?: pulumi.Input<string>;
  projectId?: pulumi.Input<string>;
  host?: pulumi.Input<string>;
}

/**
 * A join: `fieldName` on the source table reaches the joining table. Pass table names from a WarehouseTable's or
 * SavedQuery's `name` output so the join is created after them, follows their renames, and is deleted first.
 */
export class WarehouseJoin extends WarehouseResource {
  declare readonly sourceTableName: pulumi.Output<string>;
  declare readonly joiningTableName: pulumi.Output<string>;
  declare readonly fieldName: pulumi.Output<string>;
  declare readonly joinId: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  /** The PostHog host and project the object lives in, as resolved when it was created (or adopted). */
  declare readonly target: pulumi.Output<Target>;

  constructor(name: string, args: WarehouseJoinArgs, opts?: pulumi.CustomResourceOptions) {
    super("WarehouseJoin", name, { ...args }, WAREHOUSE_JOIN_OUTPUTS, opts);
  }
}
