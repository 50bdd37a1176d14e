import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { drf, message, notFound } from "./http";
import type { Ctx } from "./sources";
import type { BucketContents, TableColumnState, TableState } from "./state";

/*
 * Warehouse tables over files (facts-tables-and-joins.md §1). The bucket read PostHog does on create
 * (`DESCRIBE TABLE s3(...)`) is a switch: `state.buckets[url_pattern]` says what the files hold or which read error
 * PostHog maps; a URL not listed reads as DEFAULT_BUCKET. A failing read answers only after `bucketFailureMs`
 * (PostHog's five ClickHouse attempts with 1+2+4+8 s backoff).
 */
export interface TablesCtx extends Ctx {
  bucketFailureMs: number;
  bucketReadMs: number;
}

export const FORMATS = ["CSV", "CSVWithNames", "Parquet", "JSONEachRow", "Delta", "DeltaS3Wrapper"];
/** Names PostHog's HogQL database always has (facts.md); a table may not take them. */
export const BUILT_IN_TABLES = ["events", "persons", "sessions", "groups", "person_distinct_ids", "numbers"];
/** Stand-in for settings.DATAWAREHOUSE_BUCKET_DOMAIN, whose value facts-tables-and-joins.md does not give. */
export const POSTHOG_BUCKET_DOMAIN = "data-warehouse.posthog.com";
export const DEFAULT_BUCKET: BucketContents = { columns: [{ name: "id", type: "String" }, { name: "value", type: "Int64" }] };

const invalid = (detail: string, attr: string | null = null) => drf(400, "validation_error", "invalid_input", detail, attr);
const fieldError = (code: string, detail: string, attr: string) => drf(400, "validation_error", code, detail, attr);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ClickHouse types as PostHog's HogQL reports them in `columns[].type`. */
function hogqlType(clickhouse: string): string {
  if (/^(U?Int|Int)/i.test(clickhouse)) return "integer";
  if (/^Float|^Decimal/i.test(clickhouse)) return "float";
  if (/^DateTime|^Date/i.test(clickhouse)) return "datetime";
  if (/^Bool/i.test(clickhouse)) return "boolean";
  if (/^(Map|Tuple|JSON|Array)/i.test(clickhouse)) return "json";
  return "string";
}

/** A synced source table: its stored name (`<prefix><type>_<table>`) and its printed HogQL name. */
export interface SourceTable {
  id: string;
  name: string;
  hogql_name: string;
  source_id: string;
}

export function sourceTables(ctx: Ctx): SourceTable[] {
  return ctx.state.sources
    .filter((s) => !s.deleted)
    .flatMap((s) =>
      s.schemas.map((r) => {
        const type = s.source_type.toLowerCase();
        const table = r.name.toLowerCase();
        const prefix = (s.prefix ?? "").replace(/^_+|_+$/g, "");
        return { id: r.id, name: `${s.prefix ?? ""}${type}_${table}`, hogql_name: prefix ? `${type}.${prefix}.${table}` : `${type}.${table}`, source_id: s.id };
      }),
    );
}

/** Every name the team's HogQL database knows: PostHog's tables, synced tables (both forms), live tables and views. */
export function hogqlTableNames(ctx: Ctx, exceptTableId?: string): Set<string> {
  const names = new Set(BUILT_IN_TABLES);
  for (const t of sourceTables(ctx)) names.add(t.name).add(t.hogql_name);
  for (const t of ctx.state.tables) if (!t.deleted && t.id !== exceptTableId) names.add(t.name);
  for (const v of ctx.state.views) if (!v.deleted) names.add(v.name);
  return names;
}

export function liveTable(ctx: Ctx, id: string): TableState {
  const t = ctx.state.tables.find((x) => x.id === id && !x.deleted);
  if (!t) throw notFound();
  return t;
}

function requiredString(body: Record<string, unknown>, key: string, max: number, attr = key): string {
  const value = body[key];
  if (value === undefined) throw fieldError("required", "This field is required.", attr);
  if (value === null) throw fieldError("null", "This field may not be null.", attr);
  if (typeof value !== "string" && typeof value !== "number") throw fieldError("invalid", "Not a valid string.", attr);
  const text = String(value);
  if (text.trim() === "") throw fieldError("blank", "This field may not be blank.", attr);
  if (text.length > max) throw fieldError("max_length", `Ensure this field has no more than ${max} characters.`, attr);
  return text;
}

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^0\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^2(2[4-9]|[3-5]\d)\./];
function internalAddress(ip: string): boolean {
  const v4 = ip.replace(/^::ffff:/i, "");
  if (isIP(v4) === 4) return PRIVATE_V4.some((r) => r.test(v4));
  const v6 = ip.toLowerCase();
  return v6 === "::1" || v6 === "::" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith("2002:");
}

/** PostHog's URL checks, in its order (facts-tables-and-joins.md §1 `url_pattern`). */
function validateUrl(ctx: Ctx, value: unknown): string {
  const text = requiredString({ url_pattern: value }, "url_pattern", 500);
  if (text.includes(POSTHOG_BUCKET_DOMAIN)) throw invalid("Cant use this bucket", "url_pattern");
  if (!/^https:\/\//i.test(text)) throw invalid("URL pattern must use https.", "url_pattern");
  let host = "";
  try {
    host = new URL(text.replace(/\*/g, "x")).hostname.replace(/^\[|\]$/g, "");
  } catch {
    host = "";
  }
  if (!host) throw invalid("URL pattern must include a valid hostname.", "url_pattern");
  if (host.toLowerCase() === "localhost") throw invalid("URL pattern hostname is not allowed.", "url_pattern");
  const internal = "URL pattern hostname must not resolve to internal IP ranges.";
  if (isIP(host)) {
    if (internalAddress(host)) throw invalid(internal, "url_pattern");
  } else if (ctx.state.dns.check) {
    const answers = ctx.state.dns.records[host.toLowerCase()];
    if (!answers || answers.length === 0) throw invalid("URL pattern hostname could not be resolved.", "url_pattern");
    if (answers.some(internalAddress)) throw invalid(internal, "url_pattern");
  }
  return text;
}

function validateFormat(value: unknown): string {
  if (value === undefined) throw fieldError("required", "This field is required.", "format");
  if (typeof value !== "string" || !FORMATS.includes(value)) throw fieldError("invalid_choice", `"${String(value)}" is not a valid choice.`, "format");
  return value;
}

function validateName(ctx: Ctx, value: unknown, current?: TableState): string {
  const name = requiredString({ name: value }, "name", 128);
  if (current?.name !== name && hogqlTableNames(ctx, current?.id).has(name)) throw invalid("A table with this name already exists.", "name");
  return name;
}

function validateOptions(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw fieldError("not_a_dict", `Expected a dictionary of items but got type "${Array.isArray(value) ? "list" : typeof value === "string" ? "str" : typeof value}".`, "options");
  return value as Record<string, unknown>;
}

/** Sent credential keys: both required on create, each non-blank when present (`{}` on PATCH changes nothing). */
function validateCredential(value: unknown, creating: boolean): { access_key?: string; access_secret?: string } {
  if (value === undefined && creating) throw fieldError("required", "This field is required.", "credential");
  if (value === null) throw fieldError("null", "This field may not be null.", "credential");
  if (value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw fieldError("invalid", "Invalid data. Expected a dictionary, but got str.", "credential");
  const body = value as Record<string, unknown>;
  const out: { access_key?: string; access_secret?: string } = {};
  for (const key of ["access_key", "access_secret"] as const) {
    if (body[key] === undefined && !creating) continue;
    out[key] = requiredString(body, key, 500, `credential__${key}`);
  }
  return out;
}

/** The bucket read of create and refresh_schema: columns, or PostHog's mapped error after its retries. */
async function readBucket(ctx: TablesCtx, url: string, format: string, credential: { access_key: string }): Promise<TableColumnState[]> {
  const contents: BucketContents = /^(wrong|bad_)/.test(credential.access_key) ? { error: "The Access Key you provided does not exist" } : (ctx.state.buckets[url] ?? DEFAULT_BUCKET);
  if ("error" in contents) {
    await sleep(ctx.bucketFailureMs);
    throw invalid(contents.error);
  }
  if (ctx.bucketReadMs > 0) await sleep(ctx.bucketReadMs);
  if (format === "Parquet" && /\.csv$/i.test(url)) throw invalid("The provided file is not in Parquet format");
  return contents.columns;
}

function columnsBody(ctx: Ctx, t: TableState) {
  const joins = ctx.state.joins.filter((j) => !j.deleted && j.source_table_name === t.name);
  return [
    ...t.columns.map((c) => ({ key: c.name, name: c.name, type: hogqlType(c.type), schema_valid: true, fields: null, table: null, chain: null })),
    ...joins.map((j) => ({ key: j.field_name, name: j.field_name, type: "lazy_table", schema_valid: true, fields: null, table: j.joining_table_name, chain: null })),
  ];
}

export function tableBody(ctx: Ctx, t: TableState, includeColumns = true) {
  return {
    id: t.id,
    deleted: t.deleted,
    name: t.name,
    hogql_name: t.name,
    format: t.format,
    created_by: { id: 1, uuid: "00000000-0000-0000-0000-000000000001", distinct_id: "emulator", first_name: "Emulator", last_name: "", email: "emulator@posthog.test" },
    created_at: t.created_at,
    url_pattern: t.url_pattern,
    credential: { id: t.credential.id, created_by: null, created_at: t.credential.created_at },
    columns: includeColumns ? columnsBody(ctx, t) : [],
    external_data_source: null,
    external_schema: null,
    options: t.options,
    user_access_level: "editor",
  };
}

/** A synced source table as the list shows it (facts: the list includes tables synced by external sources). */
function sourceTableBody(t: SourceTable) {
  return {
    id: t.id,
    deleted: false,
    name: t.name,
    hogql_name: t.hogql_name,
    format: "DeltaS3Wrapper",
    created_by: null,
    created_at: null,
    url_pattern: `https://warehouse-bucket.s3.amazonaws.com/${t.name}`,
    credential: null,
    columns: [],
    external_data_source: { id: t.source_id },
    external_schema: { name: t.name },
    options: {},
    user_access_level: "editor",
  };
}

export async function createTable(ctx: TablesCtx, body: Record<string, unknown>) {
  const name = validateName(ctx, body.name);
  const format = validateFormat(body.format);
  const url = validateUrl(ctx, body.url_pattern);
  const credential = validateCredential(body.credential, true) as { access_key: string; access_secret: string };
  const options = validateOptions(body.options);
  const columns = await readBucket(ctx, url, format, credential);
  const now = new Date(ctx.now()).toISOString();
  const t: TableState = {
    id: randomUUID(),
    name,
    format,
    url_pattern: url,
    credential: { id: randomUUID(), ...credential, created_at: now },
    options,
    columns,
    deleted: false,
    deleted_at: null,
    created_at: now,
    seq: ctx.state.tables.length,
  };
  ctx.state.tables.push(t);
  return tableBody(ctx, t);
}

/** PATCH (partial) and PUT: set what is sent; the URL is re-checked, the columns are not re-read (facts). */
export function updateTable(ctx: Ctx, id: string, body: Record<string, unknown>, partial: boolean) {
  if (sourceTables(ctx).some((s) => s.id === id)) throw invalid("Can't update a sourced table");
  const t = liveTable(ctx, id);
  const next = { ...t };
  if (!partial || body.name !== undefined) next.name = validateName(ctx, body.name, t);
  if (!partial || body.format !== undefined) next.format = validateFormat(body.format);
  if (!partial || body.url_pattern !== undefined) next.url_pattern = validateUrl(ctx, body.url_pattern);
  const credential = validateCredential(body.credential, !partial);
  if (!partial || body.options !== undefined) next.options = validateOptions(body.options);
  if (body.deleted === true) next.deleted = true;
  Object.assign(t, next);
  Object.assign(t.credential, credential);
  return tableBody(ctx, t);
}

export async function refreshSchema(ctx: TablesCtx, id: string): Promise<void> {
  const t = liveTable(ctx, id);
  t.columns = await readBucket(ctx, t.url_pattern, t.format, t.credential);
}

/** Soft delete; live joins naming the table are soft-deleted with it; the credential row stays. */
export function deleteTable(ctx: Ctx, id: string): void {
  if (sourceTables(ctx).some((s) => s.id === id)) throw message("Can't delete a sourced table");
  const t = liveTable(ctx, id);
  t.deleted = true;
  t.deleted_at = new Date(ctx.now()).toISOString();
  for (const j of ctx.state.joins) if (!j.deleted && (j.source_table_name === t.name || j.joining_table_name === t.name)) j.deleted = true;
}

export function listTables(ctx: Ctx, query: URLSearchParams, path: string) {
  const limit = Math.min(Math.max(1, Number(query.get("limit") ?? 100)), 100);
  const offset = Math.max(0, Number(query.get("offset") ?? 0));
  const search = query.get("search")?.toLowerCase();
  const includeColumns = query.get("include_columns") !== "false";
  const own = ctx.state.tables.filter((t) => !t.deleted).sort((a, b) => b.seq - a.seq).map((t) => tableBody(ctx, t, includeColumns));
  const all = [...own, ...sourceTables(ctx).map(sourceTableBody)].filter((t) => !search || t.name.toLowerCase().includes(search));
  return page(ctx, all, limit, offset, path, query);
}

export function tableById(ctx: Ctx, id: string, query: URLSearchParams) {
  const source = sourceTables(ctx).find((s) => s.id === id);
  if (source) return sourceTableBody(source);
  return tableBody(ctx, liveTable(ctx, id), query.get("include_columns") !== "false");
}

/** DRF's LimitOffsetPagination: absolute `next`/`previous` links carrying the other query parameters. */
export function page<T>(ctx: Ctx, all: T[], limit: number, offset: number, path: string, query: URLSearchParams) {
  const link = (at: number) => {
    const q = new URLSearchParams(query);
    q.set("limit", String(limit));
    if (at > 0) q.set("offset", String(at));
    else q.delete("offset");
    return `${ctx.baseUrl}${path}?${q.toString()}`;
  };
  return {
    count: all.length,
    next: offset + limit < all.length ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
    results: all.slice(offset, offset + limit),
  };
}
