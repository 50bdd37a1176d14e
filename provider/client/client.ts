import type { z } from "zod";
import { ResponseParseError } from "./errors";
import { paginate } from "./pagination";
import { DEFAULT_RETRY } from "./retry";
import * as s from "./schemas";
import { Transport, type ClientEvent } from "./transport";

export interface PostHogClientOptions {
  host: string;
  apiKey: string;
  projectId: string | number;
  /** Sources live under both prefixes; environments is the current one. */
  scope?: "environments" | "projects";
  timeoutMs?: number;
  maxRetries?: number;
  maxConcurrency?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  userAgent?: string;
  onEvent?: (event: ClientEvent) => void;
}

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** PostHog's data-warehouse API: sources, schemas, saved queries, warehouse tables and joins, typed by zod. */
export class PostHogClient {
  private readonly transport: Transport;
  private readonly scoped: string;
  private readonly environment: string;
  private readonly project: string;

  constructor(opts: PostHogClientOptions) {
    const pid = encodeURIComponent(String(opts.projectId));
    this.scoped = `/api/${opts.scope ?? "environments"}/${pid}`;
    this.environment = `/api/environments/${pid}`;
    this.project = `/api/projects/${pid}`;
    this.transport = new Transport({
      baseUrl: opts.host,
      apiKey: opts.apiKey,
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxConcurrency: opts.maxConcurrency ?? 8,
      retry: { maxRetries: opts.maxRetries ?? DEFAULT_RETRY.maxRetries, baseMs: opts.retryBaseMs ?? DEFAULT_RETRY.baseMs, maxMs: opts.retryMaxMs ?? DEFAULT_RETRY.maxMs },
      userAgent: opts.userAgent ?? "pulumi-posthog-warehouse",
      onEvent: opts.onEvent,
    });
  }

  private async call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const response = await this.transport.request(method, path, body);
    const json = this.transport.parseJson(method, path, response);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ResponseParseError(
        method,
        path,
        response.status,
        response.text.slice(0, 200),
        parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
      );
    }
    return parsed.data;
  }

  private async send(method: string, path: string, body?: unknown): Promise<number> {
    return (await this.transport.request(method, path, body)).status;
  }

  private list<T>(path: string, item: z.ZodType<T>, query?: Query): AsyncIterable<T> {
    return paginate(this.transport.origin, withQuery(path, query), (p) => this.call("GET", p, s.pageSchema(item)) as Promise<s.Page<T>>);
  }

  readonly externalDataSources = {
    list: (params: { search?: string; limit?: number } = {}) => this.list(`${this.scoped}/external_data_sources/`, s.externalDataSourceSchema, params),
    create: (body: s.CreateExternalDataSourceBody) => this.call("POST", `${this.scoped}/external_data_sources/`, s.createdIdSchema, body),
    retrieve: (id: string) => this.call("GET", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/`, s.externalDataSourceSchema),
    update: (id: string, body: s.UpdateExternalDataSourceBody) =>
      this.call("PATCH", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/`, s.externalDataSourceSchema, body),
    delete: async (id: string) => void (await this.send("DELETE", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/`)),
    jobs: (id: string) => this.call("GET", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/jobs/`, s.jobSchema.array()),
    reload: async (id: string) => void (await this.send("POST", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/reload/`)),
    // Documented only under /api/projects/ (seed-projects-external-data-sources.txt), whatever the scope.
    refreshSchemas: (id: string) =>
      this.call("POST", `${this.project}/external_data_sources/${encodeURIComponent(id)}/refresh_schemas/`, s.refreshSchemasResultSchema),
    updateRevenueAnalyticsConfig: (id: string, body: z.infer<typeof s.revenueAnalyticsConfigSchema>) =>
      this.call("PATCH", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/revenue_analytics_config/`, s.externalDataSourceSchema, body),
    databaseSchema: (body: Record<string, unknown>) =>
      this.call("POST", `${this.scoped}/external_data_sources/database_schema/`, s.databaseSchemaTableSchema.array(), body),
    sourcePrefix: (body: Record<string, unknown>) =>
      this.call("POST", `${this.scoped}/external_data_sources/source_prefix/`, (s.wizardSchema.or(s.createdIdSchema)).optional(), body),
    wizard: () => this.call("GET", `${this.scoped}/external_data_sources/wizard/`, s.wizardSchema),
    bulkUpdateSchemas: (id: string, schemas: Array<s.UpdateSchemaRowBody & { id: string }>) =>
      this.call("PATCH", `${this.scoped}/external_data_sources/${encodeURIComponent(id)}/bulk_update_schemas/`, s.schemaRowSchema.array(), { schemas }),
  };

  readonly externalDataSchemas = {
    list: (params: { source?: string; limit?: number } = {}) => this.list(`${this.environment}/external_data_schemas/`, s.schemaRowSchema, params),
    retrieve: (id: string) => this.call("GET", `${this.environment}/external_data_schemas/${encodeURIComponent(id)}/`, s.schemaRowSchema),
    update: (id: string, body: s.UpdateSchemaRowBody) =>
      this.call("PATCH", `${this.environment}/external_data_schemas/${encodeURIComponent(id)}/`, s.schemaRowSchema, body),
  };

  readonly savedQueries = {
    list: (params: { search?: string } = {}) => this.list(`${this.environment}/warehouse_saved_queries/`, s.savedQuerySchema, params),
    /** `status` 200 means PostHog's upsert-by-name path updated an existing view of that name (facts.md). */
    create: async (body: s.SavedQueryBody): Promise<{ status: number; view: s.SavedQuery }> => {
      const path = `${this.environment}/warehouse_saved_queries/`;
      const response = await this.transport.request("POST", path, body);
      const parsed = s.savedQuerySchema.safeParse(this.transport.parseJson("POST", path, response));
      if (!parsed.success) throw new ResponseParseError("POST", path, response.status, response.text.slice(0, 200));
      return { status: response.status, view: parsed.data };
    },
    retrieve: (id: string) => this.call("GET", this.viewPath(id), s.savedQuerySchema),
    update: (id: string, body: s.SavedQueryBody) => this.call("PATCH", this.viewPath(id), s.savedQuerySchema, body),
    delete: async (id: string) => void (await this.send("DELETE", this.viewPath(id))),
    activity: (id: string, params: { limit?: number; page?: number } = {}) => this.call("GET", withQuery(`${this.viewPath(id)}activity/`, params), s.activitySchema),
    ancestors: (id: string, level?: number) => this.call("POST", `${this.viewPath(id)}ancestors/`, s.ancestorsSchema, level === undefined ? {} : { level }),
    descendants: (id: string, level?: number) => this.call("POST", `${this.viewPath(id)}descendants/`, s.descendantsSchema, level === undefined ? {} : { level }),
    materialize: async (id: string) => void (await this.send("POST", `${this.viewPath(id)}materialize/`)),
    revertMaterialization: async (id: string) => void (await this.send("POST", `${this.viewPath(id)}revert_materialization/`)),
    run: async (id: string) => void (await this.send("POST", `${this.viewPath(id)}run/`)),
  };

  /** facts-tables-and-joins.md: tables and joins live under /api/projects/ (environments is a deprecated alias). */
  readonly warehouseTables = {
    list: (params: { search?: string; limit?: number; include_columns?: "false" } = {}) => this.list(`${this.project}/warehouse_tables/`, s.warehouseTableSchema, params),
    /**
     * PostHog reads the files synchronously before answering, retrying a failing read for about 15 s: the create
     * gets its own, longer time-out so a slow answer is waited for, not mistaken for a lost one.
     */
    create: async (body: s.WarehouseTableBody, timeoutMs = 120_000) => {
      const path = `${this.project}/warehouse_tables/`;
      const response = await this.transport.request("POST", path, body, { timeoutMs });
      const parsed = s.warehouseTableSchema.safeParse(this.transport.parseJson("POST", path, response));
      if (!parsed.success) throw new ResponseParseError("POST", path, response.status, response.text.slice(0, 200));
      return parsed.data;
    },
    retrieve: (id: string) => this.call("GET", this.tablePath(id), s.warehouseTableSchema),
    update: (id: string, body: s.WarehouseTableBody) => this.call("PATCH", this.tablePath(id), s.warehouseTableSchema, body),
    delete: async (id: string) => void (await this.send("DELETE", this.tablePath(id))),
    /** Re-reads the files' columns; PostHog keeps the old ones after a format or URL change until this runs. */
    refreshSchema: async (id: string) => void (await this.send("POST", `${this.tablePath(id)}refresh_schema/`)),
  };

  readonly warehouseJoins = {
    list: (params: { limit?: number } = {}) => this.list(`${this.project}/warehouse_view_links/`, s.warehouseJoinSchema, params),
    create: (body: s.WarehouseJoinBody) => this.call("POST", `${this.project}/warehouse_view_links/`, s.warehouseJoinSchema, body),
    retrieve: (id: string) => this.call("GET", this.joinPath(id), s.warehouseJoinSchema),
    update: (id: string, body: s.WarehouseJoinBody) => this.call("PATCH", this.joinPath(id), s.warehouseJoinSchema, body),
    delete: async (id: string) => void (await this.send("DELETE", this.joinPath(id))),
  };

  private tablePath(id: string): string {
    return `${this.project}/warehouse_tables/${encodeURIComponent(id)}/`;
  }

  private joinPath(id: string): string {
    return `${this.project}/warehouse_view_links/${encodeURIComponent(id)}/`;
  }

  private viewPath(id: string): string {
    return `${this.environment}/warehouse_saved_queries/${encodeURIComponent(id)}/`;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
