/** Retry policy: which failures are worth another try, and how long to wait before it. */
export interface RetryOptions {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  /** The longest `Retry-After` we wait out; PostHog asking for more fails the request at once, saying how long. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 4, baseMs: 250, maxMs: 8_000, maxWaitMs: 60_000 };

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many clients apart. */
export function backoffMs(attempt: number, opts: Pick<RetryOptions, "baseMs" | "maxMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/**
 * How long PostHog asked us to wait: the `Retry-After` header (seconds or an HTTP date) when present, else the
 * seconds in DRF's "Expected available in N seconds." (facts.md: PostHog's handler may drop DRF's header).
 */
export function retryAfterMs(header: string | string[] | undefined, bodyText: string, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value.trim() !== "") {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const match = /available in (\d+(?:\.\d+)?) seconds?/i.exec(bodyText);
  return match ? Number(match[1]) * 1000 : undefined;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/**
 * A POST may create something, so it is only retried when PostHog certainly did nothing: a 429 (throttled before
 * the view ran) or a request that never left this machine.
 */
export function shouldRetryStatus(method: string, status: number): boolean {
  if (status === 429) return true;
  return IDEMPOTENT.has(method) && RETRYABLE_STATUS.has(status);
}

export function shouldRetryNetwork(method: string, requestWritten: boolean): boolean {
  return IDEMPOTENT.has(method) || !requestWritten;
}
