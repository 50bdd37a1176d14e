import { Agent, errors as undiciErrors } from "undici";
import { apiErrorFor, PostHogConnectionError, PostHogTimeoutError, ResponseParseError, type ErrorContext } from "./errors";
import { backoffMs, DEFAULT_RETRY, retryAfterMs, shouldRetryNetwork, shouldRetryStatus, type RetryOptions } from "./retry";
import { redactSecrets } from "./redact";
import { Semaphore } from "./semaphore";

export type ClientEvent =
  | { kind: "retry"; method: string; path: string; attempt: number; delayMs: number; reason: string }
  | { kind: "response"; method: string; path: string; status: number; ms: number };

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
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

/** Failures that happen before any byte of the request left this machine: safe to send again, even a POST. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/** HTTP on one keep-alive undici Agent: auth, timeouts, bounded concurrency and the retry policy. */
export class Transport {
  readonly origin: string;
  private readonly agent: Agent;
  private readonly semaphore: Semaphore;

  constructor(private readonly opts: TransportOptions) {
    this.origin = new URL(opts.baseUrl).origin;
    this.agent = new Agent({ keepAliveTimeout: 10_000, connections: opts.maxConcurrency });
    this.semaphore = new Semaphore(opts.maxConcurrency);
  }

  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      let outcome: { response: RawResponse; headers: Record<string, string | string[] | undefined> } | { error: unknown };
      // One deadline for headers and body together; undici's own timers are too coarse below a second.
      const deadline = AbortSignal.timeout(this.opts.timeoutMs);
      try {
        outcome = await this.semaphore.run(() => this.once(method, path, payload, signal ? AbortSignal.any([signal, deadline]) : deadline));
      } catch (error) {
        outcome = { error };
      }
      if ("error" in outcome) {
        const err = outcome.error;
        if (signal?.aborted) throw err;
        const code = (err as { code?: string }).code ?? "";
        const sent = !NOT_SENT_CODES.has(code);
        const timedOut = deadline.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
        if (attempt < this.opts.retry.maxRetries && shouldRetryNetwork(method, sent)) {
          await this.wait(method, path, attempt, backoffMs(attempt, this.opts.retry), timedOut ? "timed out" : `failed (${code || "network error"})`, signal);
          continue;
        }
        const Err = timedOut ? PostHogTimeoutError : PostHogConnectionError;
        throw new Err(method, path, sent, err, timedOut ? `no answer within ${this.opts.timeoutMs} ms` : "connection failed");
      }
      const { response, headers } = outcome;
      this.opts.onEvent?.({ kind: "response", method, path, status: response.status, ms: Date.now() - started });
      if (response.status < 400) return response;
      const wait = response.status === 429 ? retryAfterMs(headers["retry-after"], response.text) : undefined;
      if (attempt < this.opts.retry.maxRetries && shouldRetryStatus(method, response.status)) {
        const delay = wait ?? backoffMs(attempt, this.opts.retry);
        await this.wait(method, path, attempt, delay, `got ${response.status}`, signal);
        continue;
      }
      throw apiErrorFor(response.status, method, path, response.text, wait, this.opts.errorContext);
    }
  }

  private async wait(method: string, path: string, attempt: number, delayMs: number, reason: string, signal?: AbortSignal) {
    this.opts.onEvent?.({ kind: "retry", method, path, attempt: attempt + 1, delayMs, reason });
    await sleep(delayMs, signal);
  }

  private async once(method: string, path: string, payload: string | undefined, signal?: AbortSignal) {
    const res = await this.agent.request({
      origin: this.origin,
      path,
      method: method as "GET",
      headers: {
        authorization: `Bearer ${this.opts.apiKey}`,
        accept: "application/json",
        "user-agent": this.opts.userAgent,
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
      },
      body: payload,
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs,
      signal,
    });
    const text = await res.body.text();
    return { response: { status: res.statusCode, text }, headers: res.headers };
  }

  /** Parses a JSON body; an HTML page or a truncated body becomes a clear ResponseParseError, not a crash. */
  parseJson(method: string, path: string, response: RawResponse): unknown {
    if (response.text === "") return undefined;
    try {
      return JSON.parse(response.text);
    } catch {
      throw new ResponseParseError(method, path, response.status, this.scrub(response.text).slice(0, 200));
    }
  }

  /** Scrubbed before it is cut, so no excerpt ends in half a secret. */
  private scrub(text: string): string {
    return (this.opts.errorContext?.scrub ?? redactSecrets)(text);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
