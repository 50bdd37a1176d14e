import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { BadRequestError, type WarehouseTable as ApiTable, type WarehouseTableBody } from "../client";
import { WAREHOUSE_TABLE_FORMATS } from "../client/schemas";
import type { Target } from "../config";
import { adoptIdSchema } from "../resource/adopt-id";
import type { OperationContext, ResourceDefinition } from "../resource/definition";
import { adoptHint, PartialFailureError } from "../resource/errors";
import { unlessGone } from "../resource/gone";
import { secretizePaths, WarehouseResource } from "../resource/program-side";

export { WAREHOUSE_TABLE_FORMATS } from "../client/schemas";

// facts-tables-and-joins.md: PostHog refuses a name its HogQL database already knows.
const BUILT_IN_TABLES = ["events", "persons", "sessions", "groups", "person_distinct_ids", "cohort_people", "static_cohort_people", "numbers", "log_entries", "query_log"];

function urlProblem(url: string): string | undefined {
  // PostHog's own checks, in its order; the DNS step needs PostHog's resolver and stays with PostHog.
  if (!/^https:\/\//i.test(url)) return "must use https:// (PostHog refuses other schemes, s3:// too)";
  let host = "";
  try {
    host = new URL(url.replace(/\*/g, "x")).hostname;
  } catch {
    host = "";
  }
  if (!host) return "must include a valid hostname";
  if (host.toLowerCase() === "localhost") return "must not point at localhost";
  return undefined;
}

const nonBlank = (max: number) => z.string().max(max, `must be at most ${max} characters`).refine((v) => v.trim() !== "", "must not be blank");

export const warehouseTableInputsSchema = z
  .object({
    name: z
      .string()
      .max(128, "must be at most 128 characters")
      // PostHog's JSON endpoint does not check this, but HogQL could not name the table otherwise (Terraform enforces it too).
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must start with a letter or '_' and contain only letters, numbers and '_'")
      .refine((n) => !BUILT_IN_TABLES.includes(n.toLowerCase()), "must not be one of PostHog's table names")
      .describe("The table's name: how HogQL queries and joins refer to it. Renamed in place; PostHog does not rename joins naming the old name."),
    format: z.enum(WAREHOUSE_TABLE_FORMATS, { error: `must be one of ${WAREHOUSE_TABLE_FORMATS.join(", ")} (JSON files are JSONEachRow)` }).describe("File format. Changed in place, then the columns are re-read (refresh_schema)."),
    urlPattern: z
      .string()
      .max(500, "must be at most 500 characters")
      .superRefine((url, ctx) => {
        const problem = urlProblem(url);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe("https URL of the files; `*` globs allowed. Changed in place, then the columns are re-read (refresh_schema)."),
    credential: z
      .object({
        accessKey: nonBlank(500).describe("Access key id (secret)."),
        accessSecret: nonBlank(500).describe("Secret access key (secret). PostHog never returns it."),
      })
      .strict()
      .describe("Bucket credentials, Pulumi secrets. Write-only in PostHog: sent on create and when changed, never read back."),
    options: z
      .object({ csvAllowDoubleQuotes: z.boolean().optional().describe("CSV: RFC 4180 double quotes (true) or literal quotes (false).") })
      .strict()
      .optional()
      .describe("Format options."),
    adoptId: adoptIdSchema,
    projectId: z.string().regex(/^\d+$/, "must be a numeric project id").optional().describe("Project override (default: posthog:projectId)."),
    host: z.url().optional().describe("Host override (default: posthog:host)."),
  })
  .strict()
  .describe("A PostHog warehouse table over files in S3, GCS, R2 or Azure.");
export type WarehouseTableInputs = z.infer<typeof warehouseTableInputsSchema>;

export interface TableColumn {
  name: string;
  type?: string;
  valid?: boolean;
}

export type WarehouseTableOutputs = WarehouseTableInputs & {
  tableId: string;
  columns: TableColumn[];
  createdAt?: string;
  /** `refresh_schema` an earlier update could not run; the next update runs it first. */
  pendingHooks?: "refresh_schema"[];
};

export const WAREHOUSE_TABLE_OUTPUTS = ["tableId", "columns", "createdAt", "pendingHooks"] as const;

function toOutputs(inputs: WarehouseTableInputs, table: ApiTable, pendingHooks: "refresh_schema"[] = []): WarehouseTableOutputs {
  return {
    ...inputs,
    tableId: table.id,
    // The files' columns. PostHog lists join fields here too (type lazy_table): those are WarehouseJoins' business,
    // and keeping them out keeps a join's create from changing the table's outputs.
    columns: (table.columns ?? []).filter((c) => c.type !== "lazy_table").map((c) => ({ name: c.name, type: c.type ?? undefined, valid: c.schema_valid ?? undefined })),
    createdAt: table.created_at ?? undefined,
    pendingHooks: pendingHooks.length > 0 ? pendingHooks : undefined,
  };
}

function optionsBody(options: WarehouseTableInputs["options"]): Record<string, unknown> {
  return options?.csvAllowDoubleQuotes === undefined ? {} : { csv_allow_double_quotes: options.csvAllowDoubleQuotes };
}

/** The inputs as PostHog reports them. The credential is write-only: the declared one stands (not drift). */
function reportedInputs(declared: WarehouseTableInputs, table: ApiTable): WarehouseTableInputs {
  const quotes = table.options?.csv_allow_double_quotes;
  return {
    ...declared,
    name: table.name,
    format: table.format as WarehouseTableInputs["format"],
    urlPattern: table.url_pattern,
    options: typeof quotes === "boolean" ? { ...declared.options, csvAllowDoubleQuotes: quotes } : declared.options?.csvAllowDoubleQuotes === undefined ? declared.options : undefined,
  };
}

/** The natural key: a live table's name is unique in the project (PostHog's own tables and views included). */
async function findByName(ctx: OperationContext, name: string): Promise<ApiTable | undefined> {
  for await (const table of ctx.client.warehouseTables.list({ search: name, include_columns: "false" })) {
    if (table.name === name && !table.deleted) return table;
  }
  return undefined;
}

const NAME_TAKEN = /a table with this name already exists/i;

async function refreshSchema(ctx: OperationContext, id: string, news: WarehouseTableInputs): Promise<ApiTable> {
  ctx.progress("re-reading the files' columns (refresh_schema)");
  try {
    await ctx.client.warehouseTables.refreshSchema(id);
  } catch (err) {
    const current = await ctx.client.warehouseTables.retrieve(id).catch(() => undefined);
    const properties = current ? toOutputs(news, current, ["refresh_schema"]) : { ...news, tableId: id, columns: [], pendingHooks: ["refresh_schema"] };
    throw new PartialFailureError(`update applied, hook refresh_schema failed: ${(err as Error).message}; the next \`pulumi up\` retries it`, id, properties);
  }
  return ctx.client.warehouseTables.retrieve(id);
}

/** PostHog does not rename joins with a table: name the ones that still use the old name. */
async function warnAboutJoins(ctx: OperationContext, oldName: string, newName: string): Promise<void> {
  const naming: string[] = [];
  for await (const join of ctx.client.warehouseJoins.list()) {
    if (join.source_table_name === oldName) naming.push(`${join.field_name} on ${oldName} (join ${join.id})`);
    else if (join.joining_table_name === oldName) naming.push(`${join.source_table_name}.${join.field_name} (join ${join.id})`);
  }
  if (naming.length === 0) return;
  ctx.warn(
    `renamed ${oldName} to ${newName}; PostHog does not rename joins, and ${naming.length} still name ${oldName}: ${naming.join(", ")}. ` +
      "A WarehouseJoin that takes this table's `name` output is updated in this same run; any other stops working until updated.",
  );
}

export const warehouseTableDefinition: ResourceDefinition<WarehouseTableInputs, WarehouseTableOutputs, ApiTable> = {
  typeName: "WarehouseTable",
  inputs: warehouseTableInputsSchema,
  diff: {
    properties: ["name", "format", "urlPattern", "credential", "options"],
    // All in place; format and URL then need refresh_schema (a hook, not a replacement: Terraform replaces, which
    // breaks every join and view naming the table).
    replaceOn: [],
  },
  localProperties: ["adoptId"],
  outputs: WAREHOUSE_TABLE_OUTPUTS,
  // A refresh_schema that failed after its PATCH: the next `up` runs it, also after a refresh.
  pendingWork: (state) => state.pendingHooks ?? [],
  valuesNotShown: ["credential"],
  // The native plugin marks the credential secret in the state even when a program passes it plain.
  secretPaths: () => [["credential"]],
  label: (inputs) => `WarehouseTable "${String(inputs.name)}"`,
  key: {
    properties: ["name"],
    describe: (inputs) => `a warehouse table named "${inputs.name}"`,
    find: (ctx, inputs) => findByName(ctx, inputs.name).then((table) => table && { id: table.id, createdAt: table.created_at }),
    isTakenError: (err) => err instanceof BadRequestError && err.attr === "name" && NAME_TAKEN.test(err.detail),
    sentOnCreate: ["name", "format", "urlPattern"],
  },

  async create(ctx, inputs) {
    ctx.progress(`creating: PostHog reads ${inputs.urlPattern} to learn the columns before answering (15 s or more if it cannot read the files)`);
    // Sent once (the client never re-sends a POST that may have arrived), with a time-out long enough for that read.
    const table = await ctx.client.warehouseTables.create({
      name: inputs.name,
      format: inputs.format,
      url_pattern: inputs.urlPattern,
      credential: { access_key: inputs.credential.accessKey, access_secret: inputs.credential.accessSecret },
      options: optionsBody(inputs.options),
    });
    return { id: table.id, remote: table };
  },

  async completeCreate(ctx, { id, remote }, inputs) {
    return toOutputs(inputs, remote ?? (await ctx.client.warehouseTables.retrieve(id)));
  },

  async read(ctx, id, state) {
    const table = await unlessGone(ctx.client.warehouseTables.retrieve(id));
    if (!table || table.deleted) return undefined;
    const inputs = reportedInputs(state, table);
    return { inputs, outputs: toOutputs(inputs, table, state.pendingHooks) };
  },

  async update(ctx, id, olds, news, changes) {
    const changed = new Set(changes.map((c) => c.property));
    const body: WarehouseTableBody = {};
    if (changed.has("name")) body.name = news.name;
    if (changed.has("format")) body.format = news.format;
    if (changed.has("urlPattern")) body.url_pattern = news.urlPattern;
    if (changed.has("options")) body.options = optionsBody(news.options);
    if (changed.has("credential")) {
      // Only the keys that changed: the secret is sent only when it is what changed.
      const credential: NonNullable<WarehouseTableBody["credential"]> = {};
      if (olds.credential?.accessKey !== news.credential.accessKey) credential.access_key = news.credential.accessKey;
      if (olds.credential?.accessSecret !== news.credential.accessSecret) credential.access_secret = news.credential.accessSecret;
      body.credential = credential;
    }
    if (body.name !== undefined) {
      const clash = await findByName(ctx, body.name);
      if (clash && clash.id !== id) throw new Error(`cannot rename to ${body.name}: another warehouse table (id ${clash.id}) has that name; to manage it, ${adoptHint(clash.id)}`);
    }
    let table: ApiTable | undefined;
    if (Object.keys(body).length > 0) table = await ctx.client.warehouseTables.update(id, body);
    if (body.name !== undefined) await warnAboutJoins(ctx, olds.name, news.name);
    // PostHog keeps the old columns after a format or URL change until refresh_schema runs (facts-tables-and-joins.md).
    if (changed.has("format") || changed.has("urlPattern") || olds.pendingHooks?.includes("refresh_schema")) table = await refreshSchema(ctx, id, news);
    return toOutputs(news, table ?? (await ctx.client.warehouseTables.retrieve(id)));
  },

  async delete(ctx, id) {
    // A soft delete in PostHog; joins naming the table are soft-deleted with it.
    await ctx.client.warehouseTables.delete(id);
  },
};

export interface WarehouseTableArgs {
  name: pulumi.Input<string>;
  format: pulumi.Input<(typeof WAREHOUSE_TABLE_FORMATS)[number]>;
  urlPattern: pulumi.Input<string>;
  credential: pulumi.Input<{ accessKey: pulumi.Input<string>; accessSecret: pulumi.Input<string> }>;
  options?: pulumi.Input<{ csvAllowDoubleQuotes?: pulumi.Input<boolean> }>;
  adoptId?: pulumi.Input<string>;
  projectId?: pulumi.Input<string>;
  host?: pulumi.Input<string>;
}

/** A PostHog warehouse table over files in a bucket (S3, GCS, R2, Azure), queryable in HogQL by its name. */
export class WarehouseTable extends WarehouseResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly format: pulumi.Output<string>;
  declare readonly urlPattern: pulumi.Output<string>;
  /** Secret: Pulumi encrypts it in the state and masks it in every display. */
  declare readonly credential: pulumi.Output<{ accessKey: string; accessSecret: string }>;
  declare readonly tableId: pulumi.Output<string>;
  declare readonly columns: pulumi.Output<TableColumn[]>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  /** The PostHog host and project the object lives in, as resolved when it was created (or adopted). */
  declare readonly target: pulumi.Output<Target>;

  constructor(name: string, args: WarehouseTableArgs, opts?: pulumi.CustomResourceOptions) {
    // Both keys become Pulumi secrets even when passed as plain strings.
    const credential = secretizePaths(args.credential as pulumi.Input<Record<string, unknown>>, [["accessKey"], ["accessSecret"]]);
    super("WarehouseTable", name, { ...args, credential }, WAREHOUSE_TABLE_OUTPUTS, opts);
  }
}
