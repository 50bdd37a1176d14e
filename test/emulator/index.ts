import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { drf, HttpError, notFound, readBody, send } from "./http";
import * as joins from "./joins";
import * as sq from "./saved-queries";
import { requiredScopes, scopeRefusal } from "./scopes";
import * as src from "./sources";
import * as tables from "./tables";
import { emptyState, type EmulatorState } from "./state";

export type { EmulatorState } from "./state";

export interface EmulatorOptions {
  port?: number;
  /** The default key: not scope-checked at all (as PostHog treats session auth), so every endpoint answers. */
  apiKey?: string;
  /** More personal API keys and their scopes, e.g. `{ phx_readonly: ["warehouse_view:read"] }` (scopes.ts). */
  apiKeys?: Record<string, string[]>;
  projectId?: number;
  rateLimit?: { perMinute: number; perHour: number } | false;
  syncDurationMs?: number;
  latencyMs?: number;
  viewPageSize?: number;
  persistPath?: string;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
  /** How long a failing bucket read takes before the 400 (PostHog: five attempts, ≥15 s). Default 15 000. */
  bucketFailureMs?: number;
  /** How long a successful bucket read takes. Default 0. */
  bucketReadMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  body: unknown;
  at: number;
  /** The client side's port of the connection: tells which connections (e.g. a proxy's) carried the request. */
  remotePort: number | undefined;
}

/**
 * `status` answers with that status instead of PostHog's answer: before the handler runs (PostHog refused, nothing
 * changed) or, with `afterCommit`, after it ran (a gateway that timed out or lost PostHog's answer: the change stands).
 * `interleave` runs `run` (e.g. a colleague's write) just before the request is handled, then handles it normally.
 */
export type Fault =
  | {
      kind: "status";
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
      /** sent as is instead of `body` as JSON: a truncated or HTML body (a gateway's own page) */
      text?: string;
      afterCommit?: boolean;
    }
  | { kind: "delay"; ms: number }
  | { kind: "reset" }
  | { kind: "commit-then-drop" }
  | { kind: "interleave"; run: () => Promise<unknown>; then?: "commit-then-drop" };
export interface FaultRule {
  method?: string;
  path: string | RegExp;
  times?: number;
  fault: Fault;
}

export interface Emulator {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly projectId: number;
  readonly requests: readonly RecordedRequest[];
  readonly state: EmulatorState;
  clearRequests(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  addUpstreamTable(sourceId: string, table: string): void;
  /** Makes `key` a valid personal API key with these scopes (replacing any it had); `[]` scopes refuse everything. */
  addApiKey(key: string, scopes: string[]): void;
  /** Revokes a key (the default one too): PostHog then answers 401. */
  revokeApiKey(key: string): void;
  /** Counts `count` requests made `agoMs` ago against the rate limit: other work sharing the key's budget. */
  spendRateBudget(count: number, agoMs: number): void;
  close(): Promise<void>;
}

const SECRET = /(password|secret|token|private_key|passphrase|api_key|access_key)/i;
/** Request bodies as the request log keeps them: every secret-looking scalar replaced by `***`. */
export function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET.test(k) && typeof v !== "object" ? "***" : mask(v)]));
  return value;
}

/**
 * An in-memory PostHog warehouse API on 127.0.0.1 that behaves as PostHog's server does (facts.md): the default
 * backend of every test and of the demo. Faults are injected per route; every API request is recorded.
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const apiKey = opts.apiKey ?? "phx_emulator_key";
  // null: no scope check. Keys with scopes go through APIScopePermission's rules (scopes.ts).
  const keys = new Map<string, string[] | null>([[apiKey, null], ...Object.entries(opts.apiKeys ?? {})]);
  const projectId = opts.projectId ?? 1;
  const state: EmulatorState = opts.persistPath && existsSync(opts.persistPath) ? ({ ...emptyState(), ...(JSON.parse(readFileSync(opts.persistPath, "utf8")) as Partial<EmulatorState>) }) : emptyState();
  const requests: RecordedRequest[] = [];
  let faults: Array<FaultRule & { left: number }> = [];
  const hits: number[] = [];
  let baseUrl = "";
  const ctx = (): tables.TablesCtx => ({
    state,
    now: Date.now,
    syncDurationMs: opts.syncDurationMs ?? 50,
    baseUrl,
    bucketFailureMs: opts.bucketFailureMs ?? 15_000,
    bucketReadMs: opts.bucketReadMs ?? 0,
  });

  async function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>, keyScopes: readonly string[] | null): Promise<{ status: number; body?: unknown }> {
    const m = /^\/api\/(environments|projects)\/(\d+)\/(external_data_sources|external_data_schemas|warehouse_saved_queries|warehouse_tables|warehouse_view_links|warehouse_view_link)\/(?:([^/]+)\/)?(?:([a-z_]+)\/)?$/.exec(path.endsWith("/") ? path : `${path}/`);
    if (!m) throw notFound();
    const [, scope, pid, collection, id, action] = m;
    // APIScopePermission runs before the project membership check (TeamAndOrgViewSetMixin's permission order).
    const refusal = keyScopes && scopeRefusal(keyScopes, requiredScopes(method, collection!, id, action));
    if (refusal) throw drf(403, "authentication_error", "permission_denied", refusal);
    if (Number(pid) !== projectId) throw drf(403, "authentication_error", "permission_denied", "You don't have access to the project.");
    const c = ctx();
    const base = path.split("?")[0]!;
    if (collection === "external_data_sources") {
      if (id === "wizard" && !action && method === "GET") return { status: 200, body: src.wizard() };
      if (id === "database_schema" && !action && method === "POST") return { status: 200, body: src.databaseSchema(body) };
      if (id === "source_prefix" && !action && method === "POST") return { status: 200, body: src.sourcePrefix(c, body) };
      if (id && action === "bulk_update_schemas" && method === "PATCH") return { status: 200, body: src.bulkUpdateSchemas(c, id, body) };
      if (!id) {
        if (method === "GET") return { status: 200, body: src.listSources(c, query, base) };
        if (method === "POST") return { status: 201, body: src.createSource(c, body) };
      } else if (!action) {
        if (method === "GET") return { status: 200, body: src.sourceById(c, id) };
        if (method === "PATCH") return { status: 200, body: src.patchSource(c, id, body) };
        if (method === "DELETE") return (src.deleteSource(c, id), { status: 204 });
      } else if (action === "reload" && method === "POST") return (src.reload(c, id), { status: 200 });
      else if (action === "refresh_schemas" && method === "POST") return { status: 200, body: src.refreshSchemas(c, id) };
      else if (action === "jobs" && method === "GET") return { status: 200, body: [] };
      else if (action === "revenue_analytics_config" && method === "PATCH") {
        const s = state.sources.find((x) => x.id === id && !x.deleted);
        if (!s) throw notFound();
        Object.assign(s.revenue_analytics_config, body);
        return { status: 200, body: src.sourceById(c, id) };
      }
    } else if (collection === "external_data_schemas" && scope === "environments") {
      if (!id && method === "GET") return { status: 200, body: src.listSchemas(c, query) };
      if (id && !action && method === "GET") return { status: 200, body: src.schemaById(c, id) };
      if (id && !action && method === "PATCH") return { status: 200, body: src.patchSchema(c, id, body) };
    } else if (collection === "warehouse_saved_queries" && scope === "environments") {
      if (!id) {
        if (method === "GET") return { status: 200, body: sq.listViews(c, query, base, opts.viewPageSize ?? 1000) };
        if (method === "POST") return sq.createView(c, body);
      } else if (!action) {
        if (method === "GET") return { status: 200, body: sq.viewById(c, id) };
        if (method === "PATCH") return { status: 200, body: sq.patchView(c, id, body) };
        if (method === "DELETE") return (sq.deleteView(c, id), { status: 204 });
      } else if (action === "activity" && method === "GET") return { status: 200, body: sq.activity(c, id, query) };
      else if ((action === "ancestors" || action === "descendants") && method === "POST") return { status: 200, body: sq.lineage(c, id, action) };
      else if ((action === "materialize" || action === "revert_materialization") && method === "POST") return (sq.materialize(c, id, action === "materialize"), { status: 200, body: {} });
      else if (action === "run" && method === "POST") return { status: 200, body: {} };
    } else if (collection === "warehouse_tables") {
      // Served under both scopes (facts-tables-and-joins.md: environments is the deprecated alias).
      if (!id) {
        if (method === "GET") return { status: 200, body: tables.listTables(c, query, base) };
        if (method === "POST") return { status: 201, body: await tables.createTable(c, body) };
      } else if (!action) {
        if (method === "GET") return { status: 200, body: tables.tableById(c, id, query) };
        if (method === "PATCH" || method === "PUT") return { status: 200, body: tables.updateTable(c, id, body, method === "PATCH") };
        if (method === "DELETE") return (tables.deleteTable(c, id), { status: 204 });
      } else if (action === "refresh_schema" && method === "POST") return (await tables.refreshSchema(c, id), { status: 200 });
    } else if (collection === "warehouse_view_links" || collection === "warehouse_view_link") {
      if (!id) {
        if (method === "GET") return { status: 200, body: joins.listJoins(c, query, base) };
        if (method === "POST") return { status: 201, body: joins.createJoin(c, body) };
      } else if (!action) {
        if (method === "GET") return { status: 200, body: joins.joinById(c, id) };
        if (method === "PATCH" || method === "PUT") return { status: 200, body: joins.updateJoin(c, id, body, method === "PATCH") };
        if (method === "DELETE") return (joins.deleteJoin(c, id), { status: 204 });
      }
    }
    throw drf(405, "invalid_request", "method_not_allowed", `Method "${method}" not allowed.`);
  }

  function throttled(): number | undefined {
    if (!opts.rateLimit) return undefined;
    const now = Date.now();
    while (hits.length && hits[0]! < now - 3_600_000) hits.shift();
    const lastMinute = hits.filter((t) => t > now - 60_000);
    if (lastMinute.length >= opts.rateLimit.perMinute) return Math.ceil((lastMinute[0]! + 60_000 - now) / 1000);
    if (hits.length >= opts.rateLimit.perHour) return Math.ceil((hits[0]! + 3_600_000 - now) / 1000);
    hits.push(now);
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", baseUrl);
    const method = req.method ?? "GET";
    const text = await readBody(req);
    const record = (status: number, body: unknown) =>
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status, body: mask(body), at: Date.now(), remotePort: req.socket.remotePort });
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      record(400, text);
      return send(res, 400, { type: "validation_error", code: "parse_error", detail: "JSON parse error", attr: null });
    }
    const rule = faults.find((f) => (!f.method || f.method === method) && (typeof f.path === "string" ? url.pathname.includes(f.path) : f.path.test(url.pathname)) && f.left > 0);
    if (rule) rule.left--;
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (rule?.fault.kind === "reset") {
      record(0, parsed);
      req.socket.destroy();
      return;
    }
    const injected = rule?.fault.kind === "status" ? rule.fault : undefined;
    const answerInjected = () => {
      record(injected!.status, parsed);
      if (injected!.text !== undefined) return void res.writeHead(injected!.status, { "content-type": "text/html", ...injected!.headers }).end(injected!.text);
      send(res, injected!.status, injected!.body ?? { type: "server_error", code: "error", detail: "Injected fault.", attr: null }, injected!.headers);
    };
    if (injected && !injected.afterCommit) return answerInjected();
    if (rule?.fault.kind === "delay") await new Promise((r) => setTimeout(r, (rule.fault as { ms: number }).ms));
    if (rule?.fault.kind === "interleave") await rule.fault.run();
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const keyScopes = bearer === undefined ? undefined : keys.get(bearer);
    if (keyScopes === undefined) {
      record(401, parsed);
      // PersonalAPIKeyAuthentication's own words (posthog/auth.py).
      return send(res, 401, { type: "authentication_error", code: bearer !== undefined ? "authentication_failed" : "not_authenticated", detail: bearer !== undefined ? "Personal API key found in request Authorization header is invalid." : "Authentication credentials were not provided.", attr: null });
    }
    const wait = throttled();
    if (wait !== undefined) {
      record(429, parsed);
      return send(res, 429, { type: "throttled_error", code: "throttled", detail: `Request was throttled. Expected available in ${wait} seconds.`, attr: null }, { "retry-after": String(wait) });
    }
    let out: { status: number; body?: unknown };
    try {
      out = await route(method, url.pathname, url.searchParams, parsed, keyScopes);
      if (opts.persistPath && method !== "GET") writeFileSync(opts.persistPath, JSON.stringify(state));
    } catch (err) {
      out = err instanceof HttpError ? { status: err.status, body: err.body } : { status: 500, body: { type: "server_error", code: "error", detail: String(err), attr: null } };
    }
    if (injected) return answerInjected();
    record(out.status, parsed);
    if (rule?.fault.kind === "commit-then-drop" || (rule?.fault.kind === "interleave" && rule.fault.then === "commit-then-drop")) {
      req.socket.destroy();
      return;
    }
    send(res, out.status, out.body);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    port,
    apiKey,
    projectId,
    requests,
    get state() {
      return state;
    },
    clearRequests: () => void requests.splice(0),
    addFault: (rule) => faults.push({ ...rule, left: rule.times ?? 1 }),
    clearFaults: () => void (faults = []),
    addUpstreamTable: (sourceId, table) => state.sources.find((s) => s.id === sourceId)?.upstream_tables.push(table),
    addApiKey: (key, scopes) => void keys.set(key, [...scopes]),
    revokeApiKey: (key) => void keys.delete(key),
    spendRateBudget: (count, agoMs) => {
      const at = Date.now() - agoMs;
      hits.push(...Array.from({ length: count }, () => at));
      hits.sort((a, b) => a - b);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
