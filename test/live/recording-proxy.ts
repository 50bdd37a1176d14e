import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { mask, type RecordedRequest } from "../emulator";
import { readBody } from "../emulator/http";

/**
 * One request and its answer, reduced to what must match between PostHog and the emulator: no ids, no values,
 * no names of this run. Both runs of the live suite (the server under test and the reference emulator) write these;
 * the report diffs them.
 */
export interface ExchangeRecord {
  file: string;
  test: string;
  method: string;
  template: string;
  status: number;
  keys: string[];
  error?: string;
}

const ID = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `/api/environments/:id/warehouse_saved_queries/:id/?page`: ids blanked, query values dropped. */
export function pathTemplate(pathname: string, search: URLSearchParams): string {
  const query = [...new Set(search.keys())].sort();
  return pathname
    .split("/")
    .map((seg) => (ID.test(seg) ? ":id" : seg))
    .join("/")
    .concat(query.length ? `?${query.join("&")}` : "");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const itemKeys = (items: unknown[], at: string) => items.flatMap((i) => (isObject(i) ? Object.keys(i).map((k) => `${at}[].${k}`) : []));

/** Top-level keys of an answer, plus the keys of a list's items (`results[].name`). */
export function bodyKeys(body: unknown): string[] {
  if (Array.isArray(body)) return [...new Set(itemKeys(body, ""))].sort();
  if (!isObject(body)) return [];
  const nested = Array.isArray(body.results) ? itemKeys(body.results, "results") : [];
  return [...new Set([...Object.keys(body), ...nested])].sort();
}

/** PostHog's own message of an error answer (DRF `detail` with its `attr`, or a view's `message`). */
export function errorMessage(status: number, body: unknown): string | undefined {
  if (status < 400 || !isObject(body)) return undefined;
  const text = typeof body.detail === "string" ? body.detail : typeof body.message === "string" ? body.message : JSON.stringify(body);
  return typeof body.attr === "string" ? `${body.attr}: ${text}` : text;
}

export interface RecordingProxy {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  upstream: string;
  /** Which test is running, for the exchange record. */
  label: () => { file: string; test: string };
  /** Strings of this run (its prefix) to blank in error messages, so two runs compare. */
  runPrefix: string;
  onExchange?: (record: ExchangeRecord) => void;
}

/**
 * A pass-through HTTP proxy on 127.0.0.1 in front of the server under test. The provider (in the engine's
 * process) and the tests talk to it, so a live run keeps the same request log the emulator keeps in-process: the
 * tests' assertions on which calls an operation made hold against any server.
 */
export async function startRecordingProxy(opts: RecordingProxyOptions): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://proxy");
      const method = req.method ?? "GET";
      const text = await readBody(req);
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        // Forwarded as is; the server answers the parse error.
      }
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "accept", "user-agent"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      const at = Date.now();
      try {
        const upstream = await request(`${opts.upstream}${url.pathname}${url.search}`, { method: method as "GET", headers, body: text || undefined });
        const answer = await upstream.body.text();
        requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: upstream.statusCode, body: mask(parsed), at, remotePort: req.socket.remotePort ?? 0 });
        let json: unknown;
        try {
          json = answer ? JSON.parse(answer) : undefined;
        } catch {
          json = answer;
        }
        const message = errorMessage(upstream.statusCode, json);
        opts.onExchange?.({
          ...opts.label(),
          method,
          template: pathTemplate(url.pathname, url.searchParams),
          status: upstream.statusCode,
          keys: bodyKeys(json),
          ...(message ? { error: message.split(opts.runPrefix).join("<run>").replace(UUID, ":id") } : {}),
        });
        const out: Record<string, string> = {};
        for (const name of ["content-type", "retry-after"]) {
          const value = upstream.headers[name];
          if (typeof value === "string") out[name] = value;
        }
        res.writeHead(upstream.statusCode, out).end(answer);
      } catch {
        requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, body: mask(parsed), at, remotePort: req.socket.remotePort ?? 0 });
        req.socket.destroy();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    clearRequests: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
