import { randomUUID } from "node:crypto";
import { drf, HttpError, notFound } from "./http";
import type { Ctx } from "./sources";
import { referencedTables } from "./hogql-tables";
import type { ViewState } from "./state";

const BUILT_IN = ["events", "persons", "sessions", "groups", "person_distinct_ids", "numbers"];
const FREQUENCIES = ["never", "1min", "5min", "15min", "30min", "1hour", "6hour", "12hour", "24hour", "7day", "30day"];
const invalid = (detail: string, attr: string | null = null) => drf(400, "validation_error", "invalid_input", detail, attr);

/** Tables a HogQL query may name: PostHog's own, synced source tables (`<prefix><type>_<table>`), and live views. */
function knownTables(ctx: Ctx, except?: string): Set<string> {
  const names = new Set(BUILT_IN);
  for (const s of ctx.state.sources) {
    if (s.deleted) continue;
    for (const r of s.schemas) names.add(`${s.prefix ?? ""}${s.source_type.toLowerCase()}_${r.name.toLowerCase()}`);
  }
  for (const v of ctx.state.views) if (!v.deleted && v.id !== except) names.add(v.name);
  for (const t of ctx.state.tables) if (!t.deleted) names.add(t.name);
  return names;
}

function inferColumns(query: string): Array<{ name: string; type: string }> {
  const m = /^\s*select\s+([\s\S]+?)\s+from\s/i.exec(query);
  if (!m) return [];
  return m[1]!.split(",").map((part) => {
    const alias = /\bas\s+([A-Za-z_][A-Za-z0-9_]*)\s*$/i.exec(part.trim());
    const name = alias ? alias[1]! : part.trim().split(/[.\s]/).pop()!;
    return { name, type: /count|sum|\d/.test(part) ? "Integer" : "String" };
  });
}

function validateQuery(ctx: Ctx, query: unknown, viewId?: string): { kind: "HogQLQuery"; query: string } {
  if (!query || typeof query !== "object" || (query as { kind?: unknown }).kind !== "HogQLQuery" || typeof (query as { query?: unknown }).query !== "string") {
    throw invalid("Query must be a HogQLQuery.", "query");
  }
  const text = (query as { query: string }).query;
  if (text.trim() === "" || !/^\s*(select|with)\b/i.test(text)) throw invalid("Invalid query: expected a SELECT query", "query");
  if (/\{[^}]*\}/.test(text.replace(/'(?:[^'\\]|\\.)*'/g, "''"))) throw invalid("Variables like {variable} are not allowed in views.", "query");
  const known = knownTables(ctx, viewId);
  for (const table of referencedTables(text)) {
    if (!known.has(table)) throw invalid(`Invalid query: Unknown table \`${table}\`.`, "query");
  }
  return { kind: "HogQLQuery", query: text };
}

function validateName(ctx: Ctx, name: unknown, current?: ViewState): string {
  if (typeof name !== "string" || name.length > 128 || !/^[A-Za-z_$][A-Za-z0-9_.$]*$/.test(name)) {
    throw invalid(`${String(name)} is not a valid view name. View names can only contain letters, numbers, '_', '.', or '$'`, "name");
  }
  if (BUILT_IN.includes(name.toLowerCase())) throw invalid(`${name} is not a valid view name. View names cannot overlap with PostHog table names.`, "name");
  if (current?.name !== name && knownTables(ctx, current?.id).has(name)) throw invalid("A table with this name already exists.", "name");
  return name;
}

function logActivity(ctx: Ctx, v: ViewState, activity: "created" | "updated"): void {
  const id = String(ctx.state.nextActivityId++);
  ctx.state.activity.push({ id, scope: "DataWarehouseSavedQuery", item_id: v.id, activity, created_at: new Date(ctx.now()).toISOString() });
  v.latest_history_id = id;
}

export function viewBody(v: ViewState, withQuery = true) {
  return {
    id: v.id,
    deleted: v.deleted,
    name: v.name,
    ...(withQuery ? { query: v.query } : {}),
    created_by: { id: 1, uuid: "00000000-0000-0000-0000-000000000001", email: "emulator@posthog.test", first_name: "Emulator" },
    created_at: v.created_at,
    sync_frequency: v.sync_frequency,
    columns: v.columns,
    status: v.status,
    last_run_at: null,
    managed_viewset_kind: v.managed_viewset_kind,
    latest_error: null,
    latest_history_id: v.latest_history_id,
    is_materialized: v.is_materialized,
    origin: "data_warehouse",
  };
}

function liveView(ctx: Ctx, id: string): ViewState {
  const v = ctx.state.views.find((x) => x.id === id && !x.deleted);
  if (!v) throw notFound();
  return v;
}

/** A write that carries the query must carry the current history id, unless it is a soft update (facts.md). */
function applyUpdate(ctx: Ctx, v: ViewState, body: Record<string, unknown>): void {
  if (v.managed_viewset_kind) throw invalid("Cannot update a view that belongs to a managed viewset.");
  if (body.query !== undefined && body.soft_update !== true && String(body.edited_history_id ?? "") !== v.latest_history_id) {
    throw invalid("The query was modified by someone else.");
  }
  if (body.name !== undefined) v.name = validateName(ctx, body.name, v);
  if (body.query !== undefined) {
    v.query = validateQuery(ctx, body.query, v.id);
    v.columns = inferColumns(v.query.query);
    v.status = "Modified";
  }
  if (body.sync_frequency !== undefined) {
    if (!FREQUENCIES.includes(String(body.sync_frequency))) throw drf(400, "validation_error", "invalid_choice", `"${String(body.sync_frequency)}" is not a valid choice.`, "sync_frequency");
    v.sync_frequency = String(body.sync_frequency);
  }
  logActivity(ctx, v, "updated");
}

export function createView(ctx: Ctx, body: Record<string, unknown>): { status: number; body: unknown } {
  const existing = ctx.state.views.find((v) => !v.deleted && v.name === body.name);
  if (existing) {
    // Upsert by name: the update path, answered 200 (facts.md).
    applyUpdate(ctx, existing, body);
    return { status: 200, body: viewBody(existing) };
  }
  const name = validateName(ctx, body.name);
  const query = validateQuery(ctx, body.query);
  const v: ViewState = {
    id: randomUUID(),
    name,
    deleted: false,
    deleted_name: null,
    query,
    created_at: new Date(ctx.now()).toISOString(),
    sync_frequency: null,
    columns: body.soft_update === true ? [] : inferColumns(query.query),
    status: null,
    is_materialized: false,
    managed_viewset_kind: null,
    latest_history_id: "",
    seq: ctx.state.views.length,
  };
  logActivity(ctx, v, "created");
  ctx.state.views.push(v);
  return { status: 201, body: viewBody(v) };
}

export function patchView(ctx: Ctx, id: string, body: Record<string, unknown>) {
  const v = liveView(ctx, id);
  applyUpdate(ctx, v, body);
  return viewBody(v);
}

export function deleteView(ctx: Ctx, id: string): void {
  const v = liveView(ctx, id);
  if (v.managed_viewset_kind) throw invalid("Cannot delete a view that belongs to a managed viewset.");
  // Soft delete renames the row so the name is free again (facts.md).
  v.deleted = true;
  v.deleted_name = v.name;
  v.name = `POSTHOG_DELETED_${randomUUID()}`;
  v.is_materialized = false;
}

export function listViews(ctx: Ctx, query: URLSearchParams, path: string, pageSize: number) {
  const page = Math.max(1, Number(query.get("page") ?? 1));
  const search = query.get("search");
  const all = ctx.state.views.filter((v) => !v.deleted && (!search || v.name.includes(search))).sort((a, b) => b.seq - a.seq);
  const link = (p: number) => `${ctx.baseUrl}${path}?page=${p}${search ? `&search=${encodeURIComponent(search)}` : ""}`;
  return {
    count: all.length,
    next: page * pageSize < all.length ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results: all.slice((page - 1) * pageSize, page * pageSize).map((v) => viewBody(v, false)),
  };
}

export function viewById(ctx: Ctx, id: string) {
  return viewBody(liveView(ctx, id));
}

export function activity(ctx: Ctx, id: string, query: URLSearchParams) {
  liveView(ctx, id);
  const limit = Number(query.get("limit") ?? 10);
  const page = Number(query.get("page") ?? 1);
  const all = ctx.state.activity.filter((a) => a.item_id === id).reverse();
  return { count: all.length, next: page * limit < all.length ? "more" : null, previous: null, results: all.slice((page - 1) * limit, page * limit) };
}

export function lineage(ctx: Ctx, id: string, direction: "ancestors" | "descendants") {
  const v = liveView(ctx, id);
  const live = ctx.state.views.filter((x) => !x.deleted);
  const ids =
    direction === "ancestors"
      ? live.filter((x) => referencedTables(v.query.query).includes(x.name)).map((x) => x.id)
      : live.filter((x) => referencedTables(x.query.query).includes(v.name)).map((x) => x.id);
  return { [direction]: ids };
}

export function materialize(ctx: Ctx, id: string, on: boolean): void {
  const v = liveView(ctx, id);
  if (v.managed_viewset_kind) throw new HttpError(400, { error: "Cannot materialize a view of a managed viewset." });
  v.is_materialized = on;
  v.sync_frequency = on ? "24hour" : null;
}
