export interface SchemaRowState {
  id: string;
  name: string;
  should_sync: boolean;
  sync_type: string | null;
  sync_frequency: string;
  status: string | null;
  incremental_field: string | null;
  incremental_field_type: string | null;
  last_synced_at: string | null;
  latest_error: string | null;
  running_until: number;
}

export interface SourceState {
  id: string;
  source_id: string;
  source_type: string;
  prefix: string | null;
  description: string | null;
  job_inputs: Record<string, unknown>;
  created_at: string;
  created_by: string;
  deleted: boolean;
  schemas: SchemaRowState[];
  revenue_analytics_config: { enabled: boolean; include_invoiceless_charges: boolean };
  upstream_tables: string[];
  last_run_at: string | null;
}

export interface ViewState {
  id: string;
  name: string;
  deleted: boolean;
  deleted_name: string | null;
  query: { kind: "HogQLQuery"; query: string };
  created_at: string;
  sync_frequency: string | null;
  columns: Array<{ name: string; type: string }>;
  status: string | null;
  is_materialized: boolean;
  managed_viewset_kind: string | null;
  latest_history_id: string;
  seq: number;
}

export interface ActivityEntry {
  id: string;
  scope: "DataWarehouseSavedQuery";
  item_id: string;
  activity: "created" | "updated";
  created_at: string;
}

export interface TableColumnState {
  name: string;
  type: string;
}

export interface TableState {
  id: string;
  name: string;
  format: string;
  url_pattern: string;
  /** The credential row; PostHog never returns its key or secret. */
  credential: { id: string; access_key: string; access_secret: string; created_at: string };
  options: Record<string, unknown>;
  columns: TableColumnState[];
  deleted: boolean;
  deleted_at: string | null;
  created_at: string;
  seq: number;
}

export interface JoinState {
  id: string;
  source_table_name: string;
  source_table_key: string;
  joining_table_name: string;
  joining_table_key: string;
  field_name: string;
  configuration: Record<string, unknown> | null;
  deleted: boolean | null;
  created_at: string;
  seq: number;
}

/** What the emulator's stand-in for ClickHouse's `DESCRIBE TABLE s3(...)` finds at a URL (see tables.ts). */
export type BucketContents = { columns: TableColumnState[] } | { error: string };

export interface EmulatorState {
  sources: SourceState[];
  views: ViewState[];
  tables: TableState[];
  joins: JoinState[];
  /** Bucket read switch: url_pattern → what the read finds. URLs not listed read as DEFAULT_BUCKET (tables.ts). */
  buckets: Record<string, BucketContents>;
  /** DNS switch: when `check` is on, a hostname resolves only to `records[host]`; unlisted → resolution failure. */
  dns: { check: boolean; records: Record<string, string[]> };
  activity: ActivityEntry[];
  nextActivityId: number;
  /** Flip to make reload answer PostHog's billing refusal. */
  billingLimited: boolean;
}

export const emptyState = (): EmulatorState => ({
  sources: [],
  views: [],
  tables: [],
  joins: [],
  buckets: {},
  dns: { check: false, records: {} },
  activity: [],
  nextActivityId: 1,
  billingLimited: false,
});
