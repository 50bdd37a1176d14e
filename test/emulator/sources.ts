import { randomUUID } from "node:crypto";
import { credentialProblem, SOURCE_CATALOGUE } from "./catalogue";
import { drf, HttpError, message, notFound } from "./http";
import type { EmulatorState, SchemaRowState, SourceState } from "./state";

export interface Ctx {
  state: EmulatorState;
  now: () => number;
  syncDurationMs: number;
  baseUrl: string;
}

function trimStrings(value: unknown): unknown {
  if (typeof value === "string") return value.trim();
  if (Array.isArray(value)) return value.map(trimStrings);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimStrings(v)]));
  return value;
}

function row(ctx: Ctx, name: string, should_sync: boolean, extra: Partial<SchemaRowState> = {}): SchemaRowState {
  return {
    id: randomUUID(),
    name,
    should_sync,
    sync_type: should_sync ? "full_refresh" : null,
    // facts.md: a new table syncs every 6 hours, a CDC table every 5 minutes.
    sync_frequency: extra.sync_type === "cdc" ? "5min" : "6hour",
    status: should_sync ? "Running" : null,
    incremental_field: null,
    incremental_field_type: null,
    last_synced_at: null,
    latest_error: null,
    running_until: ctx.now() + ctx.syncDurationMs,
    ...extra,
  };
}

function settle(ctx: Ctx, r: SchemaRowState): void {
  if (r.status === "Running" && ctx.now() >= r.running_until) {
    r.status = "Completed";
    r.last_synced_at = new Date(r.running_until).toISOString();
  }
}

/** Derived as PostHog derives it from the schemas (facts.md). */
function status(rows: SchemaRowState[]): string | null {
  const s = rows.map((r) => r.status);
  if (s.includes("Failed")) return "Failed";
  if (s.includes("Paused")) return "Paused";
  if (s.includes("Running")) return "Running";
  if (s.includes("Completed")) return "Completed";
  return null;
}

/** Read view: secret fields and unknown keys are removed, not masked (facts.md). */
function redact(type: string, jobInputs: Record<string, unknown>): Record<string, unknown> {
  const cat = SOURCE_CATALOGUE[type];
  if (!cat) return {};
  const copy = structuredClone(jobInputs);
  for (const key of Object.keys(copy)) if (!cat.known.includes(key)) delete copy[key];
  for (const path of cat.secret) {
    let cur: Record<string, unknown> | undefined = copy;
    for (const k of path.slice(0, -1)) cur = (cur?.[k] as Record<string, unknown> | undefined) ?? undefined;
    if (cur && typeof cur === "object") delete cur[path.at(-1)!];
  }
  return copy;
}

export function sourceView(ctx: Ctx, s: SourceState) {
  for (const r of s.schemas) settle(ctx, r);
  const rows = [...s.schemas].sort((a, b) => a.name.localeCompare(b.name));
  return {
    id: s.id,
    created_at: s.created_at,
    created_by: s.created_by,
    status: status(rows),
    source_type: s.source_type,
    latest_error: rows.find((r) => r.latest_error)?.latest_error ?? null,
    prefix: s.prefix,
    description: s.description,
    last_run_at: s.last_run_at,
    schemas: rows.map(({ running_until: _r, ...r }) => ({ ...r, table: null })),
    job_inputs: redact(s.source_type, s.job_inputs),
    revenue_analytics_config: s.revenue_analytics_config,
    user_access_level: "editor",
    access_method: "warehouse",
  };
}

function live(ctx: Ctx, id: string): SourceState {
  const s = ctx.state.sources.find((x) => x.id === id && !x.deleted);
  if (!s) throw notFound();
  return s;
}

function validatePrefix(prefix: unknown): string | null {
  if (prefix === undefined || prefix === null || prefix === "") return null;
  if (typeof prefix !== "string") throw drf(400, "validation_error", "invalid_input", "Not a valid string.", "prefix");
  const stripped = prefix.replace(/^_+|_+$/g, "");
  if (stripped === "") throw drf(400, "validation_error", "invalid_input", "Prefix cannot consist of only underscores", "prefix");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(stripped)) throw drf(400, "validation_error", "invalid_input", "Prefix must contain only letters, numbers, and underscores, and start with a letter or underscore", "prefix");
  if (prefix.length > 100) throw drf(400, "validation_error", "max_length", "Ensure this field has no more than 100 characters.", "prefix");
  return prefix;
}

export function listSources(ctx: Ctx, query: URLSearchParams, path: string) {
  const limit = Math.max(1, Number(query.get("limit") ?? 100));
  const offset = Math.max(0, Number(query.get("offset") ?? 0));
  const search = query.get("search");
  const all = ctx.state.sources.filter((s) => !s.deleted && (!search || s.source_id.includes(search)));
  const link = (o: number) => `${ctx.baseUrl}${path}?limit=${limit}&offset=${o}`;
  return {
    count: all.length,
    next: offset + limit < all.length ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
    results: all.slice(offset, offset + limit).map((s) => sourceView(ctx, s)),
  };
}

export function createSource(ctx: Ctx, body: Record<string, unknown>) {
  const type = body.source_type;
  if (typeof type !== "string" || !SOURCE_CATALOGUE[type]) throw drf(400, "validation_error", "invalid_choice", `"${String(type)}" is not a valid choice.`, "source_type");
  const prefix = validatePrefix(body.prefix);
  const clash = ctx.state.sources.find((s) => !s.deleted && s.source_type === type && (s.prefix ?? null) === prefix);
  if (clash) {
    throw message(prefix === null ? "You already have a source of this type. Add a table prefix to create another." : `Another source of this type already uses the prefix '${prefix}'. Choose a different prefix.`);
  }
  const payload = trimStrings(body.payload ?? {}) as Record<string, unknown>;
  const { schemas, ...jobInputs } = payload;
  const problem = credentialProblem(jobInputs);
  if (problem) throw message(problem);
  const tables = SOURCE_CATALOGUE[type]!.tables;
  if (schemas !== undefined && !Array.isArray(schemas)) throw message("Schemas must be a list");
  const wanted: Array<Record<string, unknown>> = (schemas as Array<Record<string, unknown>> | undefined) ?? tables.map((name) => ({ name, should_sync: true }));
  if (wanted.some((w) => !tables.includes(String(w.name)))) throw message("Schemas given do not exist in source");
  const s: SourceState = {
    id: randomUUID(),
    source_id: randomUUID(),
    source_type: type,
    prefix,
    description: typeof body.description === "string" ? body.description : null,
    job_inputs: jobInputs,
    created_at: new Date(ctx.now()).toISOString(),
    created_by: "emulator@posthog.test",
    deleted: false,
    schemas: [],
    revenue_analytics_config: { enabled: false, include_invoiceless_charges: true },
    upstream_tables: [...tables],
    last_run_at: new Date(ctx.now()).toISOString(),
  };
  for (const name of tables) {
    const w = wanted.find((x) => x.name === name);
    s.schemas.push(row(ctx, name, Boolean(w?.should_sync ?? false), w?.sync_type ? { sync_type: String(w.sync_type) } : {}));
  }
  ctx.state.sources.push(s);
  return { id: s.id };
}

const CONNECTION_HOST_KEYS = ["host", "instance_url", "ssh_tunnel"];

export function patchSource(ctx: Ctx, id: string, body: Record<string, unknown>) {
  const s = live(ctx, id);
  if (body.access_method !== undefined && body.access_method !== "warehouse") throw message("Changing the access method is not supported.");
  // prefix and source_type changes are silently ignored (facts.md).
  if (typeof body.description === "string") s.description = body.description;
  if (body.job_inputs && typeof body.job_inputs === "object") {
    const incoming = trimStrings(body.job_inputs) as Record<string, unknown>;
    const cat = SOURCE_CATALOGUE[s.source_type]!;
    const hostChanged = CONNECTION_HOST_KEYS.some((k) => k in incoming && JSON.stringify(incoming[k]) !== JSON.stringify(s.job_inputs[k]));
    const secretsResent = cat.secret.some((p) => p[0]! in incoming);
    if (hostChanged && cat.secret.length > 0 && !secretsResent) throw message("Changing the connection host requires re-entering your credentials.");
    const merged: Record<string, unknown> = { ...s.job_inputs };
    for (const [k, v] of Object.entries(incoming)) {
      const old = merged[k];
      // Only auth containers (keyed by `selection`) are deep-merged; any other value, e.g. ssh_tunnel, is replaced.
      const selectionOf = (x: unknown) => (x && typeof x === "object" ? (x as { selection?: unknown }).selection : undefined);
      const sameSelection = selectionOf(old) !== undefined && selectionOf(old) === selectionOf(v);
      merged[k] = sameSelection ? { ...(old as object), ...(v as object) } : v;
    }
    const problem = credentialProblem(merged);
    if (problem) throw message(problem);
    s.job_inputs = merged;
  }
  return sourceView(ctx, s);
}

export function deleteSource(ctx: Ctx, id: string) {
  live(ctx, id).deleted = true;
}

export function reload(ctx: Ctx, id: string) {
  const s = live(ctx, id);
  if (ctx.state.billingLimited) throw message("Monthly sync limit reached. Please increase your billing limit to resume syncing.");
  for (const r of s.schemas) if (r.should_sync) Object.assign(r, { status: "Running", running_until: ctx.now() + ctx.syncDurationMs });
  s.last_run_at = new Date(ctx.now()).toISOString();
}

export function refreshSchemas(ctx: Ctx, id: string) {
  const s = live(ctx, id);
  const problem = credentialProblem(s.job_inputs);
  if (problem) throw message(problem);
  let added = 0;
  for (const name of s.upstream_tables) {
    if (!s.schemas.some((r) => r.name === name)) {
      s.schemas.push(row(ctx, name, false));
      added++;
    }
  }
  return { added, deleted: 0, auto_enabled: 0, total_tables_seen: s.upstream_tables.length };
}

const SYNC_FREQUENCIES = ["never", "1min", "5min", "15min", "30min", "1hour", "6hour", "12hour", "24hour", "7day", "30day"];

export function patchSchema(ctx: Ctx, id: string, body: Record<string, unknown>) {
  const s = ctx.state.sources.find((x) => !x.deleted && x.schemas.some((r) => r.id === id));
  const r = s?.schemas.find((x) => x.id === id);
  if (!r) throw notFound();
  if (body.sync_frequency !== undefined && !SYNC_FREQUENCIES.includes(String(body.sync_frequency))) {
    throw drf(400, "validation_error", "invalid_choice", `"${String(body.sync_frequency)}" is not a valid choice.`, "sync_frequency");
  }
  if ((body.sync_type === "incremental" || body.sync_type === "append") && !(body.incremental_field ?? r.incremental_field)) {
    throw drf(400, "validation_error", "invalid_input", "Incremental syncs need an incremental_field.", "incremental_field");
  }
  for (const key of ["should_sync", "sync_type", "incremental_field", "incremental_field_type", "sync_frequency"] as const) {
    if (body[key] !== undefined) (r as unknown as Record<string, unknown>)[key] = body[key];
  }
  if (body.should_sync === true && r.status === null) Object.assign(r, { status: "Running", running_until: ctx.now() + ctx.syncDurationMs });
  const { running_until: _r, ...view } = r;
  return view;
}

export function sourceById(ctx: Ctx, id: string) {
  return sourceView(ctx, live(ctx, id));
}

/** Each type's config definition as PostHog's wizard serves it: fields with type, required and secret flags. */
export function wizard() {
  return Object.fromEntries(Object.entries(SOURCE_CATALOGUE).filter(([, cat]) => cat.definition.fields.length > 0).map(([type, cat]) => [type, structuredClone(cat.definition)]));
}

export function databaseSchema(body: Record<string, unknown>) {
  const { source_type: type, ...config } = body;
  const cat = SOURCE_CATALOGUE[String(type)];
  if (!cat) throw message(`Source type ${String(type)} not supported`);
  const problem = credentialProblem(config);
  if (problem) throw message(problem);
  return cat.tables.map((table) => ({ table, label: table, should_sync: false, incremental_fields: [], incremental_available: false, append_available: false, cdc_available: false, sync_type: null, rows: null, description: null }));
}

/** Whether a prefix is free for a type (choice: PostHog's UI asks before create; we answer what create would say). */
export function sourcePrefix(ctx: Ctx, body: Record<string, unknown>) {
  const prefix = validatePrefix(body.prefix);
  const taken = ctx.state.sources.some((s) => !s.deleted && s.source_type === body.source_type && (s.prefix ?? null) === prefix);
  if (taken) throw message(`Another source of this type already uses the prefix '${String(prefix ?? "")}'.`);
  return {};
}

export function bulkUpdateSchemas(ctx: Ctx, id: string, body: Record<string, unknown>) {
  const s = live(ctx, id);
  const updates = Array.isArray(body.schemas) ? (body.schemas as Array<Record<string, unknown>>) : [];
  const ids = updates.map((u) => String(u.id));
  if (new Set(ids).size !== ids.length) throw message("Duplicate schema ids.");
  if (ids.some((x) => !s.schemas.some((r) => r.id === x))) throw message("Schemas do not belong to this source.");
  for (const u of updates) patchSchema(ctx, String(u.id), u);
  return [...s.schemas].sort((a, b) => a.name.localeCompare(b.name)).map(({ running_until: _r, ...r }) => r);
}

export function listSchemas(ctx: Ctx, query: URLSearchParams) {
  const source = query.get("source");
  const rows = ctx.state.sources.filter((s) => !s.deleted && (!source || s.id === source)).flatMap((s) => s.schemas);
  return { count: rows.length, next: null, previous: null, results: rows.map(({ running_until: _r, ...r }) => r) };
}

export function schemaById(ctx: Ctx, id: string) {
  const r = ctx.state.sources.filter((s) => !s.deleted).flatMap((s) => s.schemas).find((x) => x.id === id);
  if (!r) throw notFound();
  const { running_until: _r, ...view } = r;
  return view;
}

export { HttpError };
