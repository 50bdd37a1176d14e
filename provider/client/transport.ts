import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import type * as Undici from "undici";
import { apiErrorFor, PostHogConnectionError, PostHogTimeoutError, RetryWaitTooLongError, type ErrorContext } from "./errors";
import { backoffMs, isIdempotent, retryAfterMs, shouldRetryNetwork, shouldRetryStatus, type RetryOptions } from "./retry";
import { isLoopbackHost } from "../config";
import { Semaphore } from "./semaphore";

export type ClientEvent =
  | { kind: "retry"; method: string; path: string; attempt: number; delayMs: number; reason: string }
  /** `serverDate`: PostHog's own clock (the `Date` header), which the provider uses to order events it did not see. */
  | { kind: "response"; method: string; path: string; status: number; ms: number; serverDate?: string };

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  /** Per attempt, counted from the moment the request is written to a connection (time queued for a slot is not). */
  timeoutMs: number;
  maxConcurrency: number;
  retry: RetryOptions;
  userAgent: string;
  onEvent?: ((event: ClientEvent) => void) | undefined;
  /** Scrubs error texts of the secrets the client holds and sent, and names the key's prefix in 401/403 errors. */
  errorContext?: ErrorContext | undefined;
}

export interface RawResponse {
  status: number;
  text: string;
}

type Attempt =
  | { response: RawResponse; headers: Record<string, string> }
  | { error: unknown; written: boolean; timedOut: boolean };

/** Statuses whose `Retry-After` says when to come back (RFC 9110 §10.2.3). */
const RETRY_AFTER_STATUS = new Set([429, 503]);
/** A gateway's answer after PostHog may already have committed (it timed out or lost PostHog's answer). */
const GATEWAY_STATUS = new Set([502, 504]);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `localhost` and `*.localhost` are loopback by definition (RFC 6761 §6.3), and the http rule lets the API key go
 * over plain http to them. The system resolver does not know that: a `*.localhost` name missing from /etc/hosts goes
 * to DNS, which may answer any address. So such names resolve as `localhost` and only to loopback addresses, or fail
 * before a byte is sent (ENOTFOUND: nothing was sent, safe to retry).
 */
export function loopbackNameLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name !== "localhost" && !name.endsWith(".localhost")) {
    dnsLookup(hostname, options, callback as (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family: number) => void);
    return;
  }
  dnsLookup("localhost", { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    const loopback = err ? [] : addresses.filter((a) => isLoopbackHost(a.address));
    if (loopback.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`${hostname} does not resolve to a loopback address`);
      error.code = "ENOTFOUND";
      callback(error, options.all ? [] : "");
      return;
    }
    if (options.all) callback(null, loopback);
    else callback(null, loopback[0]!.address, loopback[0]!.family);
  });
}


const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function undici(): typeof Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (Transport.dispatcher)
  return require("undici") as typeof Undici;
}

function headerMap(raw: Buffer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!.toString("latin1").toLowerCase()] ??= raw[i + 1]!.toString("latin1");
  return out;
}

/**
 * HTTP on one keep-alive undici dispatcher: auth, timeouts, bounded concurrency and the retry policy. The dispatcher
 * honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (undici's EnvHttpProxyAgent) for https, so CI behind an egress proxy works.
 */
export class Transport {
  readonly origin: string;
  private agent: Undici.Dispatcher | undefined;
  private readonly semaphore: Semaphore;

  constructor(private readonly opts: TransportOptions) {
    this.origin = new URL(opts.baseUrl).origin;
    this.semaphore = new Semaphore(opts.maxConcurrency);
  }

  /**
   * Made at the first request: undici takes ~80 ms to load, in every program and provider process, and a program or a
   * no-op preview never sends a request.
   */
  private get dispatcher(): Undici.Dispatcher {
    if (!this.agent) {
      const { Agent, EnvHttpProxyAgent } = undici();
      const agentOptions = { keepAliveTimeout: 10_000, connections: this.opts.maxConcurrency, connect: { lookup: loopbackNameLookup } };
      // Plain http is allowed only to this machine (the http rule). Through a proxy it would leave the machine with the
      // API key in clear, so it never takes one; https goes through the proxy inside an encrypted CONNECT tunnel.
      this.agent = this.origin.startsWith("http:") ? new Agent(agentOptions) : new EnvHttpProxyAgent(agentOptions);
    }
    return this.agent;
  }

  async request(method: string, path: string, body?: unknown, timeoutMs: number = this.opts.timeoutMs): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      const outcome = await this.semaphore.run(() => this.once(method, path, payload, timeoutMs));
      const canRetry = attempt < this.opts.retry.maxRetries;
      if ("error" in outcome) {
        const { error, written, timedOut } = outcome;
        const code = (error as { code?: string }).code ?? "";
        if (canRetry && shouldRetryNetwork(method, written)) {
          await this.wait(method, path, attempt, backoffMs(attempt, this.opts.retry), timedOut ? "timed out" : `failed (${code || "network error"})`);
          continue;
        }
        const Err = timedOut ? PostHogTimeoutError : PostHogConnectionError;
        throw new Err(method, path, written, error, timedOut ? `no answer within ${timeoutMs} ms` : written ? "connection failed" : "could not send the request");
      }
      const { response, headers } = outcome;
      const date = headers.date;
      this.opts.onEvent?.({ kind: "response", method, path, status: response.status, ms: Date.now() - started, ...(typeof date === "string" ? { serverDate: date } : {}) });
      if (response.status < 400) return response;
      const asked = RETRY_AFTER_STATUS.has(response.status) ? retryAfterMs(headers["retry-after"], response.text) : undefined;
      if (canRetry && shouldRetryStatus(method, response.status)) {
        if (asked !== undefined && asked > this.opts.retry.maxWaitMs) {
          throw new RetryWaitTooLongError(apiErrorFor(response.status, method, path, response.text, asked, this.opts.errorContext), asked, this.opts.retry.maxWaitMs);
        }
        await this.wait(method, path, attempt, asked ?? backoffMs(attempt, this.opts.retry), `got ${response.status}`);
        continue;
      }
      const err = apiErrorFor(response.status, method, path, response.text, asked, this.opts.errorContext);
      if (GATEWAY_STATUS.has(response.status) && !isIdempotent(method)) err.markMayHaveSucceeded();
      throw err;
    }
  }

  private async wait(method: string, path: string, attempt: number, delayMs: number, reason: string) {
    this.opts.onEvent?.({ kind: "retry", method, path, attempt: attempt + 1, delayMs, reason });
    await sleep(delayMs);
  }

  /**
   * One attempt. The deadline starts in `onConnect`, which undici calls as it writes the request to a connected
   * socket: anything that fails before (no free connection yet, refused, DNS, TLS, proxy) never reached PostHog.
   */
  private once(method: string, path: string, payload: string | undefined, timeoutMs: number): Promise<Attempt> {
    return new Promise((resolve) => {
      let written = false;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      let status = 0;
      let headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      const finish = (attempt: Attempt) => {
        clearTimeout(timer);
        resolve(attempt);
      };
      const dispatch = () => this.dispatcher.dispatch(
        {
          origin: this.origin,
          path,
          method: method as Undici.Dispatcher.HttpMethod,
          headers: {
            authorization: `Bearer ${this.opts.apiKey}`,
            accept: "application/json",
            "user-agent": this.opts.userAgent,
            ...(payload === undefined ? {} : { "content-type": "application/json" }),
          },
          body: payload,
          // undici's own timers are a backstop: they tick once a second, too coarse for short deadlines.
          headersTimeout: timeoutMs + 1_000,
          bodyTimeout: timeoutMs + 1_000,
        },
        {
          onConnect: (abort) => {
            written = true;
            timer = setTimeout(() => {
              timedOut = true;
              abort(new Error(`no answer within ${timeoutMs} ms`));
            }, timeoutMs);
          },
          onHeaders: (statusCode, rawHeaders) => {
            status = statusCode;
            headers = headerMap(rawHeaders);
            return true;
          },
          onData: (chunk) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () => finish({ response: { status, text: Buffer.concat(chunks).toString("utf8") }, headers }),
          onError: (error) =>
            finish({ error, written, timedOut: timedOut || error instanceof undici().errors.HeadersTimeoutError || error instanceof undici().errors.BodyTimeoutError }),
        },
      );
      try {
        dispatch();
      } catch (error) {
        // Refused before anything was sent (a closed client, an invalid request).
        finish({ error, written: false, timedOut: false });
      }
    });
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}
