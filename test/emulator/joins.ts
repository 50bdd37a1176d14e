import { randomUUID } from "node:crypto";
import { drf, notFound } from "./http";
import type { Ctx } from "./sources";
import type { JoinState } from "./state";
import { hogqlTableNames, page, sourceTables } from "./tables";

/*
 * Joins (warehouse_view_links, facts-tables-and-joins.md §2): create validates tables, keys and the field name;
 * update validates nothing; delete is hard. Table names come back in their printed HogQL form.
 */
const invalid = (detail: string) => drf(400, "validation_error", "invalid_input", detail, null);
const fieldError = (code: string, detail: string, attr: string) => drf(400, "validation_error", code, detail, attr);

/** Fields PostHog's own tables have, for the "already exists on table" check (join fields are added from state). */
const BUILT_IN_FIELDS: Record<string, string[]> = {
  events: ["uuid", "event", "properties", "timestamp", "distinct_id", "elements_chain", "created_at", "person_id", "person", "pdi", "poe", "goe_0", "session", "$session_id", "$window_id", "$group_0", "override"],
  persons: ["id", "created_at", "team_id", "properties", "is_identified", "pdi", "is_deleted", "version", "$virt_initial_channel_type"],
  groups: ["index", "team_id", "key", "created_at", "updated_at", "properties"],
  sessions: ["id", "session_id", "distinct_id", "$start_timestamp", "$end_timestamp", "$entry_current_url", "$pageview_count"],
};

const IDENT = "[A-Za-z_$][A-Za-z0-9_$]*|`[^`]+`";
const FIELD_PATH = new RegExp(`^(?:${IDENT})(?:\\.(?:${IDENT}))*$`);

/**
 * PostHog parses the key as a HogQL expression and wants a field in it: `id`, `properties.email`, `upper(uuid)`.
 * Not a parser: a field path, a function call around one, or a literal (no field); anything else is a syntax error.
 */
function validateKey(key: string): void {
  const text = key.trim();
  const call = /^[A-Za-z_][A-Za-z0-9_]*\((.*)\)$/.exec(text);
  const inner = call ? call[1]!.split(",").map((a) => a.trim()) : [text];
  if (inner.some((part) => FIELD_PATH.test(part))) return;
  if (inner.every((part) => /^(-?\d+(\.\d+)?|'[^']*'|true|false|null)$/i.test(part))) throw invalid(`Join key ${key} must be a table field`);
  const bad = /\s+(\S+)/.exec(text)?.[1] ?? text;
  throw invalid(`Syntax error at line 1, column ${Math.max(0, text.indexOf(bad))}: mismatched input '${bad}' expecting <EOF>`);
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (value === undefined) throw fieldError("required", "This field is required.", key);
  if (value === null) throw fieldError("null", "This field may not be null.", key);
  const text = String(value);
  if (text.trim() === "") throw fieldError("blank", "This field may not be blank.", key);
  if (text.length > 400) throw fieldError("max_length", "Ensure this field has no more than 400 characters.", key);
  return text;
}

function knownTable(ctx: Ctx, name: string): boolean {
  return hogqlTableNames(ctx).has(name) || /^system\.[A-Za-z_]+$/.test(name);
}

/** Fields of the source table a new join field may not shadow: its columns and its live joins' fields. */
function fieldsOf(ctx: Ctx, table: string): string[] {
  const own = ctx.state.tables.find((t) => !t.deleted && t.name === table)?.columns.map((c) => c.name) ?? BUILT_IN_FIELDS[table] ?? [];
  const same = new Set([table, printedName(ctx, table)]);
  const joined = ctx.state.joins.filter((j) => !j.deleted && (same.has(j.source_table_name) || same.has(printedName(ctx, j.source_table_name)))).map((j) => j.field_name);
  return [...own, ...joined];
}

/** Stored `stripe_customer` prints as `stripe.customer`; PostHog's and self-managed names print unchanged. */
export function printedName(ctx: Ctx, stored: string): string {
  return sourceTables(ctx).find((t) => t.name === stored)?.hogql_name ?? stored;
}

function joinBody(ctx: Ctx, j: JoinState) {
  return {
    id: j.id,
    deleted: j.deleted,
    created_by: { id: 1, uuid: "00000000-0000-0000-0000-000000000001", distinct_id: "emulator", first_name: "Emulator", last_name: "", email: "emulator@posthog.test" },
    created_at: j.created_at,
    source_table_name: printedName(ctx, j.source_table_name),
    source_table_key: j.source_table_key,
    joining_table_name: printedName(ctx, j.joining_table_name),
    joining_table_key: j.joining_table_key,
    field_name: j.field_name,
    configuration: j.configuration,
  };
}

function joinRow(ctx: Ctx, id: string): JoinState {
  // Retrieve, update and delete see soft-deleted joins too (facts: only the list hides them).
  const j = ctx.state.joins.find((x) => x.id === id);
  if (!j) throw notFound();
  return j;
}

function configuration(value: unknown): Record<string, unknown> | null {
  if (value === undefined) return {};
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw fieldError("invalid", "Value must be valid JSON.", "configuration");
  return value as Record<string, unknown>;
}

export function createJoin(ctx: Ctx, body: Record<string, unknown>) {
  const fields = Object.fromEntries(["source_table_name", "source_table_key", "joining_table_name", "joining_table_key", "field_name"].map((k) => [k, requiredString(body, k)])) as Record<
    "source_table_name" | "source_table_key" | "joining_table_name" | "joining_table_key" | "field_name",
    string
  >;
  const config = configuration(body.configuration);
  for (const [table, key] of [
    [fields.source_table_name, fields.source_table_key],
    [fields.joining_table_name, fields.joining_table_key],
  ] as const) {
    if (!knownTable(ctx, table)) throw invalid(`Invalid table: ${table}`);
    validateKey(key);
  }
  if (fields.field_name.includes(".")) throw invalid("Field name must not contain a period: '.'");
  if (fieldsOf(ctx, fields.source_table_name).includes(fields.field_name)) throw invalid(`Field name "${fields.field_name}" already exists on table "${fields.source_table_name}"`);
  const j: JoinState = { id: randomUUID(), ...fields, configuration: config, deleted: false, created_at: new Date(ctx.now()).toISOString(), seq: ctx.state.joins.length };
  ctx.state.joins.push(j);
  return joinBody(ctx, j);
}

/** ModelSerializer.update: whatever is sent is stored, unchecked beyond the field types (facts). */
export function updateJoin(ctx: Ctx, id: string, body: Record<string, unknown>, partial: boolean) {
  const j = joinRow(ctx, id);
  const next = { ...j };
  for (const key of ["source_table_name", "source_table_key", "joining_table_name", "joining_table_key", "field_name"] as const) {
    if (!partial || body[key] !== undefined) next[key] = requiredString(body, key);
  }
  if (body.configuration !== undefined) next.configuration = configuration(body.configuration);
  if (body.deleted !== undefined) next.deleted = body.deleted === null ? null : Boolean(body.deleted);
  Object.assign(j, next);
  return joinBody(ctx, j);
}

export function deleteJoin(ctx: Ctx, id: string): void {
  joinRow(ctx, id);
  ctx.state.joins = ctx.state.joins.filter((j) => j.id !== id);
}

export function listJoins(ctx: Ctx, query: URLSearchParams, path: string) {
  // facts: `?search=` filters on a `name` field the model does not have; PostHog fails, most likely with a 500.
  if (query.has("search")) throw drf(500, "server_error", "error", "A server error occurred.");
  const limit = Math.min(Math.max(1, Number(query.get("limit") ?? 100)), 100);
  const offset = Math.max(0, Number(query.get("offset") ?? 0));
  const all = ctx.state.joins.filter((j) => !j.deleted).sort((a, b) => b.seq - a.seq).map((j) => joinBody(ctx, j));
  return page(ctx, all, limit, offset, path, query);
}

export function joinById(ctx: Ctx, id: string) {
  return joinBody(ctx, joinRow(ctx, id));
}
