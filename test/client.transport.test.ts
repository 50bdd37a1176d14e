import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AuthenticationError,
  BadRequestError,
  mayHaveBeenApplied,
  RetryWaitTooLongError,
  type ClientEvent,
  NotFoundError,
  PostHogClient,
  PostHogConnectionError,
  PostHogTimeoutError,
  RateLimitError,
  ResponseParseError,
} from "../provider/client";
import { backoffMs, retryAfterMs } from "../provider/client/retry";
import { ownOriginPath } from "../provider/client/pagination";

/*
 * Transport-level behaviour against a scripted loopback server: each route answers from a queue, so a test says
 * exactly what the wire does (a 503 then a 200, a reset, an HTML page) and counts what the client sent.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const script = new Map<string, Handler[]>();
const hits = new Map<string, number>();
const authSeen: string[] = [];
let server: Server;
let host: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const key = `${req.method} ${req.url}`;
      hits.set(key, (hits.get(key) ?? 0) + 1);
      authSeen.push(String(req.headers.authorization));
      const next = script.get(key)?.shift();
      if (!next) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ type: "invalid_request", code: "not_found", detail: "Not found.", attr: null }));
        return;
      }
      next(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Handler => (_q, res) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
const reset: Handler = (req) => req.socket.destroy();
const open: PostHogClient[] = [];
const client = (extra: Partial<ConstructorParameters<typeof PostHogClient>[0]> = {}) => {
  const c = new PostHogClient({ host, apiKey: "phx_transport_key", projectId: 1, retryBaseMs: 5, retryMaxMs: 20, ...extra });
  open.push(c);
  return c;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
const SRC = "/api/environments/1/external_data_sources/";
const source = (id: string) => ({ id, source_type: "Stripe", prefix: null, schemas: [], job_inputs: {} });

describe("client transport", () => {
  it("sends the bearer key and parses the source", async () => {
    script.set(`GET ${SRC}a/`, [json(200, source("a"))]);
    const got = await client().externalDataSources.retrieve("a");
    expect(got.id).toBe("a");
    expect(authSeen.at(-1)).toBe("Bearer phx_transport_key");
  });

  it("retries a GET after 503 and a connection reset", async () => {
    script.set(`GET ${SRC}b/`, [json(503, { detail: "busy" }), reset, json(200, source("b"))]);
    expect((await client().externalDataSources.retrieve("b")).id).toBe("b");
    expect(hits.get(`GET ${SRC}b/`)).toBe(3);
  });

  it("never re-sends a POST whose connection broke after sending, and says it may have been applied", async () => {
    script.set(`POST ${SRC}`, [reset, json(201, { id: "dup" })]);
    const err = await client().externalDataSources.create({ source_type: "Stripe", payload: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogConnectionError);
    expect((err as PostHogConnectionError).mayHaveSucceeded).toBe(true);
    expect((err as Error).message).toMatch(/may have been applied/);
    expect(hits.get(`POST ${SRC}`)).toBe(1);
  });

  it("never re-sends a POST answered 502 or 504 by a gateway, and calls it ambiguous: PostHog may have committed it", async () => {
    for (const status of [502, 504]) {
      const path = `${SRC}c${status}/reload/`;
      script.set(`POST ${path}`, [json(status, { detail: "bad gateway" }), json(200, {})]);
      const err = await client().externalDataSources.reload(`c${status}`).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(new RegExp(`${status}.*may have been applied`));
      expect(mayHaveBeenApplied(err)).toBe(true);
      expect(hits.get(`POST ${path}`)).toBe(1);
    }
    // A 500 is PostHog's own refusal: nothing to look for.
    script.set(`POST ${SRC}c500/reload/`, [json(500, { detail: "boom" })]);
    expect(mayHaveBeenApplied(await client().externalDataSources.reload("c500").catch((e: unknown) => e))).toBe(false);
  });

  it("calls an unreadable 2xx answer to a POST ambiguous, and to a GET a plain parse error", async () => {
    script.set(`POST ${SRC}`, [(_q, res) => res.writeHead(201, { "content-type": "text/html" }).end("<html>created</html>")]);
    const post = await client().externalDataSources.create({ source_type: "Stripe", payload: {} }).catch((e: unknown) => e);
    expect(post).toBeInstanceOf(ResponseParseError);
    expect(mayHaveBeenApplied(post)).toBe(true);
    script.set(`GET ${SRC}pp/`, [(_q, res) => res.writeHead(200).end("<html>")]);
    expect(mayHaveBeenApplied(await client().externalDataSources.retrieve("pp").catch((e: unknown) => e))).toBe(false);
  });

  it("re-sends a POST that never left this machine (connection refused), and does not call it ambiguous", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const events: ClientEvent[] = [];
    const c = client({ host: `http://127.0.0.1:${port}`, maxRetries: 2, onEvent: (e) => events.push(e) });
    const err = await c.externalDataSources.create({ source_type: "Stripe", payload: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogConnectionError);
    expect(mayHaveBeenApplied(err)).toBe(false);
    expect((err as Error).message).toMatch(/could not send the request/);
    expect(events.filter((e) => e.kind === "retry")).toHaveLength(2);
  });

  it("does not count time queued for a connection slot against the deadline", async () => {
    // 4 POSTs through 1 slot, each answered after 150 ms, with a 400 ms time-out: queued, the last one waits 450 ms.
    const slow: Handler = (_q, res) => setTimeout(() => res.writeHead(200).end(), 150);
    for (let i = 0; i < 4; i++) script.set(`POST ${SRC}q${i}/reload/`, [slow]);
    const c = client({ maxConcurrency: 1, requestTimeoutMs: 400, maxRetries: 0 });
    const outcomes = await Promise.all([0, 1, 2, 3].map((i) => c.externalDataSources.reload(`q${i}`).then(() => "ok", (e: Error) => e.message)));
    expect(outcomes).toEqual(["ok", "ok", "ok", "ok"]);
  });

  it("honours Retry-After on 429 (also for a POST: PostHog did nothing) and on 503", async () => {
    const events: ClientEvent[] = [];
    script.set(`POST ${SRC}d/reload/`, [json(429, { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 1 second.", attr: null }, { "retry-after": "1" }), (_q, res) => res.writeHead(200).end()]);
    script.set(`GET ${SRC}d/`, [json(503, { detail: "maintenance" }, { "retry-after": "1" }), json(200, source("d"))]);
    const c = client({ onEvent: (e) => events.push(e) });
    await c.externalDataSources.reload("d");
    await c.externalDataSources.retrieve("d");
    expect(hits.get(`POST ${SRC}d/reload/`)).toBe(2);
    expect(hits.get(`GET ${SRC}d/`)).toBe(2);
    expect(events.filter((e) => e.kind === "retry").map((e) => [e.method, e.delayMs])).toEqual([["POST", 1000], ["GET", 1000]]);
  });

  it("fails at once, naming the wait, when Retry-After is past the cap", async () => {
    script.set(`GET ${SRC}wait/`, [json(429, { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 3600 seconds.", attr: null }, { "retry-after": "3600" })]);
    script.set(`GET ${SRC}wait503/`, [json(503, { detail: "maintenance" }, { "retry-after": "120" })]);
    const events: ClientEvent[] = [];
    const err = await client({ onEvent: (e) => events.push(e) }).externalDataSources.retrieve("wait").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryWaitTooLongError);
    expect((err as Error).message).toMatch(/429 throttled_error: .*PostHog asked to wait 3600 s before retrying, longer than the 60 s limit \(posthog:maxRetryWaitMs\)/);
    expect(hits.get(`GET ${SRC}wait/`)).toBe(1);
    expect(events.filter((e) => e.kind === "retry")).toEqual([]);
    // The cap is configurable: 120 s past a 90 s cap.
    await expect(client({ maxRetryWaitMs: 90_000 }).externalDataSources.retrieve("wait503")).rejects.toThrow(/wait 120 s .* 90 s limit/);
  });

  it("gives up on 429 after the retry budget with a RateLimitError carrying the wait", async () => {
    const throttled = json(429, { type: "throttled_error", code: "throttled", detail: "Request was throttled. Expected available in 0 seconds.", attr: null });
    script.set(`GET ${SRC}e/`, [throttled, throttled]);
    const err = await client({ maxRetries: 1 }).externalDataSources.retrieve("e").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(0);
  });

  it("maps each status to its error class with PostHog's own words, from all three body shapes", async () => {
    script.set(`GET ${SRC}f/`, [json(401, { type: "authentication_error", code: "authentication_failed", detail: "Invalid personal API key.", attr: null })]);
    script.set(`POST ${SRC}`, [json(400, { message: "Another source of this type already uses the prefix 'x'." })]);
    script.set(`POST /api/environments/1/warehouse_saved_queries/g/materialize/`, [json(400, { error: "Cannot materialize a view of a managed viewset." })]);
    const c = client();
    const auth = await c.externalDataSources.retrieve("f").catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(AuthenticationError);
    expect((auth as Error).message).toMatch(new RegExp(`^GET ${SRC}f/ → 401 authentication_error: Invalid personal API key\\. Fix: `));
    expect((auth as Error).message).not.toContain("phx_transport_key");
    await expect(c.externalDataSources.create({ source_type: "Stripe", payload: {} })).rejects.toThrow(/400: Another source of this type already uses the prefix 'x'/);
    const bad = await c.savedQueries.materialize("g").catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).detail).toBe("Cannot materialize a view of a managed viewset.");
    await expect(c.externalDataSources.retrieve("missing")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("redacts secrets an error body echoes", async () => {
    script.set(`PATCH ${SRC}h/`, [json(400, { message: 'Invalid source config: {"password": "hunter2-canary"}' })]);
    script.set(`GET ${SRC}i/`, [(_q, res) => res.writeHead(400).end('{"password":"hunter2-canary","x":1}')]);
    const a = await client().externalDataSources.update("h", { job_inputs: { password: "hunter2-canary" } }).catch((e: unknown) => e);
    const b = await client().externalDataSources.retrieve("i").catch((e: unknown) => e);
    expect(String(a)).not.toContain("hunter2-canary");
    expect(String(b)).not.toContain("hunter2-canary");
  });

  it("turns an HTML page or a truncated body into a ResponseParseError", async () => {
    script.set(`GET ${SRC}j/`, [(_q, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Welcome</body></html>")]);
    script.set(`GET ${SRC}k/`, [(_q, res) => res.writeHead(200).end('{"id": "k", "source_ty')]);
    script.set(`GET ${SRC}l/`, [json(200, { id: 5 })]);
    await expect(client().externalDataSources.retrieve("j")).rejects.toBeInstanceOf(ResponseParseError);
    await expect(client().externalDataSources.retrieve("k")).rejects.toBeInstanceOf(ResponseParseError);
    await expect(client().externalDataSources.retrieve("l")).rejects.toThrow(/id: .*string/);
  });

  it("times out a slow answer and retries the GET, then reports a timeout", async () => {
    const slow: Handler = (_q, res) => setTimeout(() => res.writeHead(200).end("{}"), 400);
    script.set(`GET ${SRC}m/`, [slow, slow]);
    const err = await client({ requestTimeoutMs: 100, maxRetries: 1 }).externalDataSources.retrieve("m").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogTimeoutError);
    expect(hits.get(`GET ${SRC}m/`)).toBe(2);
  });

  it("gives source creates their own, longer time-out", async () => {
    script.set(`POST ${SRC}`, [(_q, res) => setTimeout(() => res.writeHead(201, { "content-type": "application/json" }).end('{"id":"slow"}'), 300)]);
    script.set(`POST ${SRC}t/reload/`, [(_q, res) => setTimeout(() => res.writeHead(200).end(), 300)]);
    const c = client({ requestTimeoutMs: 150, maxRetries: 0 });
    expect((await c.externalDataSources.create({ source_type: "Stripe", payload: {} })).id).toBe("slow");
    const err = await c.externalDataSources.reload("t").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogTimeoutError);
    expect(mayHaveBeenApplied(err)).toBe(true);
  });

  it("pages through limit/offset and page lists, following next by path and query on our own host", async () => {
    for (let i = 0; i < 3; i++) {
      const path = i === 0 ? `${SRC}?limit=2` : `${SRC}?limit=2&offset=${i * 2}`;
      const next = i < 2 ? `${host}${SRC}?limit=2&offset=${(i + 1) * 2}` : null;
      script.set(`GET ${path}`, [json(200, { count: 6, next, results: [source(`s${i * 2}`), source(`s${i * 2 + 1}`)] })]);
    }
    const ids: string[] = [];
    for await (const s of client().externalDataSources.list({ limit: 2 })) ids.push(s.id);
    expect(ids).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);

    const V = "/api/environments/1/warehouse_saved_queries/";
    script.set(`GET ${V}`, [json(200, { next: `${host}${V}?page=2`, results: [{ id: "v1", name: "a" }] })]);
    script.set(`GET ${V}?page=2`, [json(200, { next: `${host}${V}?page=3`, results: [{ id: "v2", name: "b" }] })]);
    // A self-hosted PostHog behind a proxy names its internal host: the path is followed here, the key stays here.
    script.set(`GET ${V}?page=3`, [json(200, { next: `http://posthog-web.internal:8000${V}?page=4`, results: [{ id: "v3", name: "c" }] })]);
    script.set(`GET ${V}?page=4`, [json(200, { next: null, results: [{ id: "v4", name: "d" }] })]);
    const names: string[] = [];
    for await (const v of client().savedQueries.list()) names.push(v.name);
    expect(names).toEqual(["a", "b", "c", "d"]);
  });

  it("ends a list at a page that links to itself, at a page repeating the last one, and at an empty page", async () => {
    const L = "/api/environments/1/warehouse_saved_queries/";
    script.set(`GET ${L}?search=self`, [json(200, { next: `${host}${L}?search=self`, results: [{ id: "s1", name: "self" }] })]);
    const self: string[] = [];
    for await (const v of client().savedQueries.list({ search: "self" })) self.push(v.id);
    expect(self).toEqual(["s1"]);
    expect(hits.get(`GET ${L}?search=self`)).toBe(1);

    // A server that ignores the page number answers the same page under every link.
    const same = { results: [{ id: "r1", name: "r" }] };
    script.set(`GET ${L}?search=rep`, [json(200, { ...same, next: `${host}${L}?search=rep&page=2` })]);
    script.set(`GET ${L}?search=rep&page=2`, [json(200, { ...same, next: `${host}${L}?search=rep&page=3` })]);
    const repeated: string[] = [];
    for await (const v of client().savedQueries.list({ search: "rep" })) repeated.push(v.id);
    expect(repeated).toEqual(["r1"]);
    expect(hits.get(`GET ${L}?search=rep&page=3`)).toBeUndefined();

    script.set(`GET ${L}?search=empty`, [json(200, { next: `${host}${L}?search=empty&page=2`, results: [] })]);
    const empty: string[] = [];
    for await (const v of client().savedQueries.list({ search: "empty" })) empty.push(v.id);
    expect(empty).toEqual([]);
    expect(hits.get(`GET ${L}?search=empty&page=2`)).toBeUndefined();
  });

  it("posts refresh_schemas under /api/projects/ where PostHog documents it", async () => {
    script.set(`POST /api/projects/1/external_data_sources/n/refresh_schemas/`, [json(200, { added: 1, deleted: 0, auto_enabled: 0, total_tables_seen: 9 })]);
    expect(await client().externalDataSources.refreshSchemas("n")).toMatchObject({ added: 1, total_tables_seen: 9 });
  });
});

describe("retry arithmetic", () => {
  it("reads Retry-After as seconds, as an HTTP date, or from DRF's detail", () => {
    expect(retryAfterMs("3", "")).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), "", 4_000)).toBe(6000);
    expect(retryAfterMs(undefined, "Request was throttled. Expected available in 12 seconds.")).toBe(12000);
    expect(retryAfterMs(undefined, "")).toBeUndefined();
  });
  it("backs off exponentially under a cap, with jitter", () => {
    const opts = { maxRetries: 5, baseMs: 100, maxMs: 1000 };
    expect(backoffMs(0, opts, () => 1)).toBe(100);
    expect(backoffMs(3, opts, () => 1)).toBe(800);
    expect(backoffMs(9, opts, () => 1)).toBe(1000);
    expect(backoffMs(9, opts, () => 0)).toBe(0);
  });
  it("takes only the path and query of a pagination link", () => {
    expect(ownOriginPath("http://127.0.0.1:1", "http://127.0.0.1:1/a?page=2")).toBe("/a?page=2");
    expect(ownOriginPath("http://127.0.0.1:1", "https://elsewhere.example:8443/a?offset=100&limit=100")).toBe("/a?offset=100&limit=100");
    expect(ownOriginPath("http://127.0.0.1:1", "/b/?page=3")).toBe("/b/?page=3");
  });
});
