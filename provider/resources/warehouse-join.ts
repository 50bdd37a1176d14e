import type * as pulumi from "@pulumi/pulumi";
import * as pulumiRuntime from "@pulumi/pulumi";
import { z } from "zod";
import { PostHogConnectionError, type WarehouseJoin as ApiJoin, type WarehouseJoinBody } from "../client";
import { adoptIdSchema, adoptTarget } from "../resource/adopt-id";
import type { OperationContext, ResourceDefinition } from "../resource/definition";
import { AdoptionMismatchError } from "../resource/errors";
import { unlessGone } from "../resource/gone";
import { providerOf, registrationProps, TYPE_MODULE } from "../resource/program-side";
import { findAfterAmbiguousCreate } from "../resource/reconcile";
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
  for await (const join of ctx.client.warehouseJoins.list()) {
    if (!join.deleted && join.field_name === fieldName && (await printsAs(ctx, sourceTableName, join.source_table_name))) return join;
  }
  return undefined;
}

const adoptHint = (join: ApiJoin) => `a join ${join.source_table_name}.${join.field_name} already exists (id ${join.id}); set adoptId: "${join.id}" to manage it`;

function sameJoin(join: ApiJoin, inputs: WarehouseJoinInputs): boolean {
  return sameTableName(join.joining_table_name, inputs.joiningTableName) && join.source_table_key === inputs.sourceTableKey && join.joining_table_key === inputs.joiningTableKey;
}

export const warehouseJoinDefinition: ResourceDefinition<WarehouseJoinInputs, WarehouseJoinOutputs> = {
  typeName: "WarehouseJoin",
  inputs: warehouseJoinInputsSchema,
  diff: {
    properties: ["sourceTableName", "sourceTableKey", "joiningTableName", "joiningTableKey", "fieldName", "configuration", "projectId", "host"],
    replaceOn: ["projectId", "host"],
    equals: { sourceTableName: sameTableName, joiningTableName: sameTableName },
  },
  localProperties: ["adoptId"],
  label: (inputs) => `WarehouseJoin ${String(inputs.sourceTableName)}.${String(inputs.fieldName)}`,
  adoptId: (inputs) => inputs.adoptId,
  deleteBeforeReplace: (olds, news) => olds.fieldName === news.fieldName && sameTableName(olds.sourceTableName, news.sourceTableName),

  async create(ctx, inputs) {
    const existing = await findByKey(ctx, inputs.sourceTableName, inputs.fieldName);
    if (existing) throw new Error(adoptHint(existing));
    const body: WarehouseJoinBody = {
      source_table_name: inputs.sourceTableName,
      source_table_key: inputs.sourceTableKey,
      joining_table_name: inputs.joiningTableName,
      joining_table_key: inputs.joiningTableKey,
      field_name: inputs.fieldName,
      configuration: configurationBody(inputs.configuration),
    };
    let join: ApiJoin;
    try {
      join = await ctx.client.warehouseJoins.create(body);
    } catch (err) {
      // The key was free before our POST: a join now holding it that joins what we asked for is ours.
      if (!(err instanceof PostHogConnectionError && err.mayHaveSucceeded)) throw err;
      ctx.progress("create response lost; looking the join up by source table and field name");
      const found = await findAfterAmbiguousCreate(ctx, () => findByKey(ctx, inputs.sourceTableName, inputs.fieldName));
      if (!found) throw err;
      if (!sameJoin(found, inputs)) throw new Error(adoptHint(found));
      join = found;
    }
    return { id: join.id, outputs: toOutputs(inputs, join) };
  },

  async adopt(ctx, adoptId, inputs) {
    const id = adoptTarget(adoptId, ctx.connection.projectId);
    const join = await ctx.client.warehouseJoins.retrieve(id);
    if (join.deleted) throw new Error(`join ${id} was deleted in PostHog (with a table it names); remove adoptId to create it again`);
    const reported = await reportedInputs(ctx, inputs, join);
    const differences = (["sourceTableName", "sourceTableKey", "joiningTableName", "joiningTableKey", "fieldName", "configuration"] as const)
      .filter((k) => !deepEqual(reported[k], inputs[k]))
      .map((k) => `${k}: PostHog has ${JSON.stringify(reported[k])}, declared ${JSON.stringify(inputs[k])}`);
    if (differences.length > 0) throw new AdoptionMismatchError(ctx.label, id, differences);
    return { id: join.id, outputs: toOutputs(inputs, join) };
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
      if (clash && clash.id !== id) throw new Error(`cannot move the join: ${adoptHint(clash)}`);
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
export class WarehouseJoin extends pulumiRuntime.dynamic.Resource {
  declare readonly sourceTableName: pulumi.Output<string>;
  declare readonly joiningTableName: pulumi.Output<string>;
  declare readonly fieldName: pulumi.Output<string>;
  declare readonly joinId: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: WarehouseJoinArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerOf("WarehouseJoin"), name, registrationProps({ ...args }, WAREHOUSE_JOIN_OUTPUTS), opts, TYPE_MODULE, "WarehouseJoin");
  }
}
