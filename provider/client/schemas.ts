import { z } from "zod";

/*
 * The API's own shapes (snake_case). Responses are `.loose()`: PostHog adds fields over time and a provider must not
 * break, or silently drop what it does not know, when it does. Nullable where the server really sends null.
 */

const nullableString = z.string().nullable().optional();

export const schemaRowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    should_sync: z.boolean().optional(),
    sync_type: nullableString,
    status: nullableString,
    sync_frequency: nullableString,
    incremental_field: nullableString,
    incremental_field_type: nullableString,
    sync_time_of_day: nullableString,
    last_synced_at: nullableString,
    latest_error: nullableString,
  })
  .loose();
export type SchemaRow = z.infer<typeof schemaRowSchema>;

export const revenueAnalyticsConfigSchema = z
  .object({ enabled: z.boolean().optional(), include_invoiceless_charges: z.boolean().optional() })
  .loose();

export const externalDataSourceSchema = z
  .object({
    id: z.string(),
    created_at: nullableString,
    // The seed documents say a string; the server sends the creator's email (facts.md). Accept either shape.
    created_by: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().optional(),
    status: nullableString,
    source_type: z.string(),
    latest_error: nullableString,
    prefix: nullableString,
    description: nullableString,
    last_run_at: nullableString,
    // The seed documents call this a string; the server sends the list of schema rows (facts.md).
    schemas: z.array(schemaRowSchema).nullable().optional(),
    job_inputs: z.record(z.string(), z.unknown()).nullable().optional(),
    revenue_analytics_config: revenueAnalyticsConfigSchema.nullable().optional(),
    access_method: nullableString,
  })
  .loose();
export type ExternalDataSource = z.infer<typeof externalDataSourceSchema>;

export const createSchemaSelectionSchema = z
  .object({
    name: z.string(),
    should_sync: z.boolean(),
    sync_type: z.string().optional(),
    incremental_field: z.string().optional(),
    incremental_field_type: z.string().optional(),
    sync_time_of_day: z.string().optional(),
  })
  .loose();

export const createExternalDataSourceBodySchema = z.object({
  source_type: z.string(),
  prefix: z.string().optional(),
  description: z.string().optional(),
  access_method: z.enum(["warehouse", "direct"]).optional(),
  payload: z.record(z.string(), z.unknown()).and(z.object({ schemas: z.array(createSchemaSelectionSchema).optional() })),
});
export type CreateExternalDataSourceBody = z.infer<typeof createExternalDataSourceBodySchema>;

export const updateExternalDataSourceBodySchema = z.object({
  description: z.string().optional(),
  job_inputs: z.record(z.string(), z.unknown()).optional(),
});
export type UpdateExternalDataSourceBody = z.infer<typeof updateExternalDataSourceBodySchema>;

export const createdIdSchema = z.object({ id: z.string() }).loose();

export const refreshSchemasResultSchema = z
  .object({ added: z.number(), deleted: z.number(), auto_enabled: z.number(), total_tables_seen: z.number() })
  .partial()
  .loose();
export type RefreshSchemasResult = z.infer<typeof refreshSchemasResultSchema>;

export const updateSchemaRowBodySchema = z
  .object({
    should_sync: z.boolean(),
    sync_type: z.string(),
    incremental_field: z.string().nullable(),
    incremental_field_type: z.string().nullable(),
    sync_frequency: z.string(),
    sync_time_of_day: z.string(),
  })
  .partial();
export type UpdateSchemaRowBody = z.infer<typeof updateSchemaRowBodySchema>;

export const hogQLQuerySchema = z.object({ kind: z.literal("HogQLQuery"), query: z.string() }).loose();

export const savedQuerySchema = z
  .object({
    id: z.string(),
    deleted: z.boolean().nullable().optional(),
    name: z.string(),
    // List items omit the query (facts.md).
    query: hogQLQuerySchema.nullable().optional(),
    created_by: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().optional(),
    created_at: nullableString,
    sync_frequency: nullableString,
    // The seed documents say a string; real servers send a list or a name → type map. Keep whatever it is.
    columns: z.unknown().optional(),
    status: nullableString,
    last_run_at: nullableString,
    managed_viewset_kind: nullableString,
    latest_error: nullableString,
    latest_history_id: z.union([z.string(), z.number()]).nullable().optional(),
    is_materialized: z.boolean().nullable().optional(),
    origin: nullableString,
  })
  .loose();
export type SavedQuery = z.infer<typeof savedQuerySchema>;

export const savedQueryBodySchema = z
  .object({
    name: z.string(),
    query: hogQLQuerySchema,
    edited_history_id: z.string().nullable(),
    soft_update: z.boolean(),
    sync_frequency: z.string(),
  })
  .partial();
export type SavedQueryBody = z.infer<typeof savedQueryBodySchema>;

export function pageSchema<T extends z.ZodType>(item: T) {
  return z
    .object({ count: z.number().optional(), next: z.string().nullable().optional(), previous: z.string().nullable().optional(), results: z.array(item) })
    .loose();
}
export type Page<T> = { count?: number | undefined; next?: string | null | undefined; results: T[] };

// Warehouse tables and joins (facts-tables-and-joins.md).

export const WAREHOUSE_TABLE_FORMATS = ["CSV", "CSVWithNames", "Parquet", "JSONEachRow", "Delta", "DeltaS3Wrapper"] as const;

export const warehouseColumnSchema = z
  .object({ key: z.string().optional(), name: z.string(), type: z.string().nullable().optional(), schema_valid: z.boolean().nullable().optional() })
  .loose();
export type WarehouseColumn = z.infer<typeof warehouseColumnSchema>;

export const warehouseTableSchema = z
  .object({
    id: z.string(),
    deleted: z.boolean().nullable().optional(),
    name: z.string(),
    hogql_name: nullableString,
    format: z.string(),
    url_pattern: z.string(),
    // Write-only keys: PostHog returns `{id, created_by, created_at}` only, `null` for upload tables.
    credential: z.object({ id: z.string().optional() }).loose().nullable().optional(),
    options: z.record(z.string(), z.unknown()).nullable().optional(),
    columns: z.array(warehouseColumnSchema).nullable().optional(),
    external_data_source: z.unknown().optional(),
    external_schema: z.unknown().optional(),
    created_at: nullableString,
    created_by: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().optional(),
  })
  .loose();
export type WarehouseTable = z.infer<typeof warehouseTableSchema>;

export const warehouseCredentialBodySchema = z.object({ access_key: z.string(), access_secret: z.string() }).partial();

export const warehouseTableBodySchema = z
  .object({
    name: z.string(),
    format: z.enum(WAREHOUSE_TABLE_FORMATS),
    url_pattern: z.string(),
    credential: warehouseCredentialBodySchema,
    options: z.record(z.string(), z.unknown()),
  })
  .partial();
export type WarehouseTableBody = z.infer<typeof warehouseTableBodySchema>;

export const warehouseJoinSchema = z
  .object({
    id: z.string(),
    deleted: z.boolean().nullable().optional(),
    source_table_name: z.string(),
    source_table_key: z.string(),
    joining_table_name: z.string(),
    joining_table_key: z.string(),
    field_name: z.string(),
    configuration: z.record(z.string(), z.unknown()).nullable().optional(),
    created_at: nullableString,
    created_by: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().optional(),
  })
  .loose();
export type WarehouseJoin = z.infer<typeof warehouseJoinSchema>;

export const warehouseJoinBodySchema = z
  .object({
    source_table_name: z.string(),
    source_table_key: z.string(),
    joining_table_name: z.string(),
    joining_table_key: z.string(),
    field_name: z.string(),
    configuration: z.record(z.string(), z.unknown()).nullable(),
  })
  .partial();
export type WarehouseJoinBody = z.infer<typeof warehouseJoinBodySchema>;
