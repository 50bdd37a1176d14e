import type { z } from "zod";
import { ResponseParseError } from "./errors";
import { paginate } from "./pagination";
import { SecretScrubber } from "./redact";
import { DEFAULT_RETRY, isIdempotent } from "./retry";
import * as s from "./schemas";
import { Transport, type ClientEvent } from "./transport";

export interface PostHogClientOptions {
  host: string;
  apiKey: string;
  projectId: string | number;
  /** Per request, from the moment it is written (default 30 s). */
  requestTimeoutMs?: number | undefined;
  /** Source creates check credentials and discover tables on PostHog's side (default 4 × requestTimeoutMs). */
  sourceCreateTimeoutMs?: number;
  /** The longest `Retry-After` waited out (default 60 s); a longer one fails at once. */
  maxRetryWaitMs?: number | undefined;
  maxRetries?: number;
  maxConcurrency?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  onEvent?: (event: ClientEvent) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

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
  private readonly environment: string;
  private readonly project: string;
  private readonly sourceCreateTimeoutMs: number;
  /**
   * Every secret this client holds (its API key) or is told it sends (`secrets.add`): scrubbed from every error text
   * it throws, in any spelling PostHog may echo them.
   */
  readonly secrets: SecretScrubber;
  private readonly scrub = (text: string) => this.secrets.scrub(text);

  constructor(opts: PostHogClientOptions) {
    this.secrets = new SecretScrubber(opts.apiKey);
    const pid = encodeURIComponent(String(opts.projectId));
    this.environment = `/api/environments/${pid}`;
    this.project = `/api/projects/${pid}`;
    const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sourceCreateTimeoutMs = opts.sourceCreateTimeoutMs ?? timeoutMs * 4;
    this.transport = new Transport({
      baseUrl: opts.host,
      apiKey: opts.apiKey,
      timeoutMs,
      maxConcurrency: opts.maxConcurrency ?? 8,
      retry: {
        maxRetries: opts.maxRetries ?? DEFAULT_RETRY.maxRetries,
        baseMs: opts.retryBaseMs ?? DEFAULT_RETRY.baseMs,
        maxMs: opts.retryMaxMs ?? DEFAULT_RETRY.maxMs,
        maxWaitMs: opts.maxRetryWaitMs ?? DEFAULT_RETRY.maxWaitMs,
      },
      userAgent: "pulumi-posthog-warehouse",
      onEvent: opts.onEvent,
      errorContext: { scrub: this.scrub, apiKey: opts.apiKey, host: opts.host },
    });
  }

  /** One request whose answer is parsed by `schema`; what does not parse names the zod issues. */
  private async call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown, timeoutMs?: number): Promise<{ status: number; data: T }> {
    const response = await this.transport.request(method, path, body, timeoutMs);
    const bad = (issues: string[]) =>
      // A POST answered 2xx did its work even though we cannot read the answer: the caller must look for it.
      // Scrubbed whole before it is cut, so no excerpt ends in half a secret.
      new ResponseParseError(method, path, response.status, this.scrub(response.text).slice(0, 200), issues, !isIdempotent(method));
    let json: unknown;
    try {
      json = response.text === "" ? undefined : JSON.parse(response.text);
    } catch {
      throw bad([]);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw bad(parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${this.scrub(i.message)}`));
    return { status: response.status, data: parsed.data };
  }

  private async parsed<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown, timeoutMs?: number): Promise<T> {
    return (await this.call(method, path, schema, body, timeoutMs)).data;
  }

  private async send(method: string, path: string): Promise<void> {
    await this.transport.request(method, path);
  }

  private list<T>(path: string, item: z.ZodType<T>, query?: Query): AsyncIterable<T> {
    return paginate(this.transport.origin, withQuery(path, query), (p) => this.parsed("GET", p, s.pageSchema(item)) as Promise<s.Page<T>>);
  }

  /** Only what the provider and the CLI call; PostHog has more (wizard, jobs, lineage) that nothing here needs. */
  readonly externalDataSources = {
    list: (params: { limit?: number } = {}) => this.list(`${this.environment}/external_data_sources/`, s.externalDataSourceSchema, params),
    create: async (body: s.CreateExternalDataSourceBody) =>
      this.parsed("POST", `${this.environment}/external_data_sources/`, s.createdIdSchema, body, this.sourceCreateTimeoutMs),
    retrieve: (id: string) => this.parsed("GET", this.sourcePath(id), s.externalDataSourceSchema),
    update: (id: string, body: s.UpdateExternalDataSourceBody) => this.parsed("PATCH", this.sourcePath(id), s.externalDataSourceSchema, body),
    delete: async (id: string) => void (await this.send("DELETE", this.sourcePath(id))),
    reload: async (id: string) => void (await this.send("POST", `${this.sourcePath(id)}reload/`)),
    // Documented only under /api/projects/ (seed-projects-external-data-sources.txt), whatever the scope.
    refreshSchemas: (id: string) =>
      this.parsed("POST", `${this.project}/external_data_sources/${encodeURIComponent(id)}/refresh_schemas/`, s.refreshSchemasResultSchema),
    updateRevenueAnalyticsConfig: (id: string, body: z.infer<typeof s.revenueAnalyticsConfigSchema>) =>
      this.parsed("PATCH", `${this.sourcePath(id)}revenue_analytics_config/`, s.externalDataSourceSchema, body),
    bulkUpdateSchemas: (id: string, schemas: Array<s.UpdateSchemaRowBody & { id: string }>) =>
      this.parsed("PATCH", `${this.sourcePath(id)}bulk_update_schemas/`, s.schemaRowSchema.array(), { schemas }),
  };

  readonly externalDataSchemas = {
    update: (id: string, body: s.UpdateSchemaRowBody) =>
      this.parsed("PATCH", `${this.environment}/external_data_schemas/${encodeURIComponent(id)}/`, s.schemaRowSchema, body),
  };

  readonly savedQueries = {
    list: (params: { search?: string } = {}) => this.list(`${this.environment}/warehouse_saved_queries/`, s.savedQuerySchema, params),
    /** `status` 200 means PostHog's upsert-by-name path updated an existing view of that name (facts.md). */
    create: async (body: s.SavedQueryBody): Promise<{ status: number; view: s.SavedQuery }> => {
      const { status, data } = await this.call("POST", `${this.environment}/warehouse_saved_queries/`, s.savedQuerySchema, body);
      return { status, view: data };
    },
    retrieve: (id: string) => this.parsed("GET", this.viewPath(id), s.savedQuerySchema),
    update: (id: string, body: s.SavedQueryBody) => this.parsed("PATCH", this.viewPath(id), s.savedQuerySchema, body),
    delete: async (id: string) => void (await this.send("DELETE", this.viewPath(id))),
    materialize: async (id: string) => void (await this.send("POST", `${this.viewPath(id)}materialize/`)),
    revertMaterialization: async (id: string) => void (await this.send("POST", `${this.viewPath(id)}revert_materialization/`)),
  };

  private sourcePath(id: string): string {
    return `${this.environment}/external_data_sources/${encodeURIComponent(id)}/`;
  }

  /** facts-tables-and-joins.md: tables and joins live under /api/projects/ (environments is a deprecated alias). */
  readonly warehouseTables = {
    list: (params: { search?: string; limit?: number; include_columns?: "false" } = {}) => this.list(`${this.project}/warehouse_tables/`, s.warehouseTableSchema, params),
    /**
     * PostHog reads the files synchronously before answering, retrying a failing read for about 15 s: the create
     * gets its own, longer time-out so a slow answer is waited for, not mistaken for a lost one.
     */
    create: (body: s.WarehouseTableBody, timeoutMs = 120_000) => this.parsed("POST", `${this.project}/warehouse_tables/`, s.warehouseTableSchema, body, timeoutMs),
    retrieve: (id: string) => this.parsed("GET", this.tablePath(id), s.warehouseTableSchema),
    update: (id: string, body: s.WarehouseTableBody) => this.parsed("PATCH", this.tablePath(id), s.warehouseTableSchema, body),
    delete: async (id: string) => void (await this.send("DELETE", this.tablePath(id))),
    /** Re-reads the files' columns; PostHog keeps the old ones after a format or URL change until this runs. */
    refreshSchema: async (id: string) => void (await this.send("POST", `${this.tablePath(id)}refresh_schema/`)),
  };

  readonly warehouseJoins = {
    list: (params: { limit?: number } = {}) => this.list(`${this.project}/warehouse_view_links/`, s.warehouseJoinSchema, params),
    create: (body: s.WarehouseJoinBody) => this.parsed("POST", `${this.project}/warehouse_view_links/`, s.warehouseJoinSchema, body),
    retrieve: (id: string) => this.parsed("GET", this.joinPath(id), s.warehouseJoinSchema),
    update: (id: string, body: s.WarehouseJoinBody) => this.parsed("PATCH", this.joinPath(id), s.warehouseJoinSchema, body),
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
