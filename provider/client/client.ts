import type { z } from "zod";
import { ResponseParseError } from "./errors";
import { paginate } from "./pagination";
import { SecretScrubber } from "./redact";
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

/** PostHog's data-warehouse API: every documented endpoint of sources, schemas and saved queries, typed by zod. */
export class PostHogClient {
  private readonly transport: Transport;
  private readonly scoped: string;
  private readonly environment: string;
  private readonly project: string;
  /**
   * Every secret this client holds (its API key) or is told it sends (`secrets.add`): scrubbed from every error text
   * it throws, in any spelling PostHog may echo them.
   */
  readonly secrets: SecretScrubber;
  private readonly scrub = (text: string) => this.secrets.scrub(text);

  constructor(opts: PostHogClientOptions) {
    this.secrets = new SecretScrubber(opts.apiKey);
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
      errorContext: { scrub: this.scrub, apiKey: opts.apiKey, host: opts.host },
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
        this.scrub(response.text).slice(0, 200),
        parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${this.scrub(i.message)}`),
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
      if (!parsed.success) throw new ResponseParseError("POST", path, response.status, this.scrub(response.text).slice(0, 200));
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

  private viewPath(id: string): string {
    return `${this.environment}/warehouse_saved_queries/${encodeURIComponent(id)}/`;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
