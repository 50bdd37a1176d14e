import { keyHint, redactSecrets } from "./redact";

/** Base of every error the client throws. */
export class PostHogError extends Error {
  override name = "PostHogError";
}

const MAY_HAVE_BEEN_APPLIED = "; the request may have been applied by PostHog";

/** What PostHog said, from any of its three error body shapes. */
export interface ApiErrorBody {
  type?: string | undefined;
  code?: string | undefined;
  detail?: string | undefined;
  attr?: string | null | undefined;
}

/**
 * PostHog answered with an error status. The message names the request, the status and PostHog's own words
 * (`detail`, `message` or `error`, whichever body shape the endpoint uses); never the API key.
 */
export class PostHogApiError extends PostHogError {
  override name = "PostHogApiError";
  readonly type: string | undefined;
  readonly code: string | undefined;
  readonly detail: string;
  readonly attr: string | null | undefined;
  /** A gateway (502/504) answered a POST: PostHog may have committed it before the gateway gave up. */
  mayHaveSucceeded = false;
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    body: ApiErrorBody & { text: string },
  ) {
    const human = body.detail ?? body.text;
    const kind = body.type ? ` ${body.type}` : "";
    const attr = body.attr ? ` (attr: ${body.attr})` : "";
    super(`${method} ${path} → ${status}${kind}: ${human}${attr}`);
    this.type = body.type;
    this.code = body.code;
    this.detail = human;
    this.attr = body.attr;
  }

  markMayHaveSucceeded(): void {
    this.mayHaveSucceeded = true;
    this.message += MAY_HAVE_BEEN_APPLIED;
  }
}

export class BadRequestError extends PostHogApiError {
  override name = "BadRequestError";
}
/** 401: PostHog does not accept the key (unknown, revoked, another region's, or a project key). */
export class AuthenticationError extends PostHogApiError {
  override name = "AuthenticationError";
  /** One line saying how to fix it; part of the message. */
  fix = "";
}
/** 403: the key is valid but may not do this; `missingScope` is the scope PostHog named, when it named one. */
export class PermissionDeniedError extends PostHogApiError {
  override name = "PermissionDeniedError";
  missingScope: string | undefined;
  fix = "";
}
export class NotFoundError extends PostHogApiError {
  override name = "NotFoundError";
}
export class ConflictError extends PostHogApiError {
  override name = "ConflictError";
}
export class RateLimitError extends PostHogApiError {
  override name = "RateLimitError";
  retryAfterMs: number | undefined;
}
export class InternalServerError extends PostHogApiError {
  override name = "InternalServerError";
}

/**
 * The request failed on the wire. `mayHaveSucceeded` is true when the request may have reached PostHog (the socket
 * broke or timed out after the body was sent): a create may then exist, and the caller must look for it rather than
 * send it again.
 */
export class PostHogConnectionError extends PostHogError {
  override name = "PostHogConnectionError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly mayHaveSucceeded: boolean,
    override readonly cause: unknown,
    what = "connection failed",
  ) {
    super(
      `${method} ${path}: ${what} (${cause instanceof Error ? cause.message : String(cause)})` +
        (mayHaveSucceeded && method === "POST" ? MAY_HAVE_BEEN_APPLIED : ""),
    );
  }
}

export class PostHogTimeoutError extends PostHogConnectionError {
  override name = "PostHogTimeoutError";
}

/** PostHog answered 2xx but the body is not what the API promises (HTML, truncated JSON, wrong shape). */
export class ResponseParseError extends PostHogError {
  override name = "ResponseParseError";
  /** `excerpt` must come scrubbed (whole text first, then cut): a malformed body may echo what was sent. */
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly excerpt: string,
    readonly issues: string[] = [],
    /** A POST answered 2xx: PostHog did the work even though we cannot read what it made. */
    readonly mayHaveSucceeded = false,
  ) {
    super(
      `${method} ${path} → ${status}: unexpected response body${issues.length ? ` (${issues.join("; ")})` : ""}: ${excerpt}` +
        (mayHaveSucceeded ? MAY_HAVE_BEEN_APPLIED : ""),
    );
  }
}

/** PostHog asked (Retry-After on a 429 or 503) to wait longer than the configured limit: fail now, naming the wait. */
export class RetryWaitTooLongError extends PostHogError {
  override name = "RetryWaitTooLongError";
  readonly status: number;
  constructor(
    override readonly cause: PostHogApiError,
    readonly retryAfterMs: number,
    readonly maxWaitMs: number,
  ) {
    super(
      `${cause.message}; PostHog asked to wait ${Math.ceil(retryAfterMs / 1000)} s before retrying, longer than the ` +
        `${Math.round(maxWaitMs / 1000)} s limit (posthog:maxRetryWaitMs): try again later or raise the limit`,
    );
    this.status = cause.status;
  }
}

/**
 * True when a failed request may still have been applied (lost response, gateway 502/504, unreadable 2xx): the
 * caller must look for its effect before sending it again.
 */
export function mayHaveBeenApplied(err: unknown): err is PostHogConnectionError | PostHogApiError | ResponseParseError {
  return (err instanceof PostHogConnectionError || err instanceof PostHogApiError || err instanceof ResponseParseError) && err.mayHaveSucceeded;
}

/** What error texts may say about the request: who the key is, where it went, and how to scrub what PostHog echoed. */
export interface ErrorContext {
  /** Replaces every secret the client holds or sent (SecretScrubber.scrub); credential-shaped text is masked anyway. */
  scrub?: ((text: string) => string) | undefined;
  apiKey?: string | undefined;
  host?: string | undefined;
}

/** The scopes this package's resources need (`:write` includes `:read`). */
export const REQUIRED_SCOPES = ["external_data_source:write", "warehouse_view:write"] as const;

/** PostHog's APIScopePermission message: "API key missing required scope 'warehouse_view:write'" (posthog/permissions.py). */
const MISSING_SCOPE = /missing required scopes?\s*'?([a-z_]+:(?:read|write))'?/i;

// Refresh and destroy configure the provider from the state (the key of the last up), not from the stack config, so a
// user who set a new key and retried a refresh would get the same error again.
const SET_KEY =
  "`pulumi config set --secret posthog:apiKey <key>` (`pulumi refresh` and `pulumi destroy` use the key recorded by the last `pulumi up`: run `pulumi up` first, or pass --run-program)";

function authFix(err: AuthenticationError | PermissionDeniedError, ctx: ErrorContext): string {
  const key = ctx.apiKey ? ` (${keyHint(ctx.apiKey)})` : "";
  const where = ctx.host ? ` on ${ctx.host}` : "";
  if (err instanceof AuthenticationError) {
    return `Fix: the personal API key${key} is not valid${where}: create one there (Settings → Personal API keys) with scopes ${REQUIRED_SCOPES.join(", ")} and set it with ${SET_KEY}.`;
  }
  if (err.missingScope) {
    return `Fix: the personal API key${key} lacks the scope ${err.missingScope}: create a personal API key with scopes ${[...new Set([err.missingScope, ...REQUIRED_SCOPES])].join(", ")} and set it with ${SET_KEY}.`;
  }
  return `Fix: give the personal API key${key} access to this project and the scopes ${REQUIRED_SCOPES.join(", ")} (Settings → Personal API keys), then set it with ${SET_KEY}.`;
}

/** Reads PostHog's error text from the DRF shape, the `{"message"}` shape or the saved-query actions' `{"error"}` shape. */
export function parseErrorBody(text: string, scrub: (text: string) => string = redactSecrets): ApiErrorBody & { text: string } {
  const safeText = scrub(text).slice(0, 500);
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === "object" && !Array.isArray(json)) {
      const o = json as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === "string" ? scrub(v) : undefined);
      return {
        type: str(o.type),
        code: str(o.code),
        detail: str(o.detail) ?? str(o.message) ?? str(o.error),
        attr: str(o.attr) ?? null,
        text: safeText,
      };
    }
  } catch {
    // not JSON (an HTML error page from a proxy, say): the text excerpt is the message
  }
  return { text: safeText.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() || "(empty body)" };
}

export function apiErrorFor(status: number, method: string, path: string, text: string, retryAfterMs?: number, ctx: ErrorContext = {}): PostHogApiError {
  const body = parseErrorBody(text, ctx.scrub ?? redactSecrets);
  const Class =
    status === 400
      ? BadRequestError
      : status === 401
        ? AuthenticationError
        : status === 403
          ? PermissionDeniedError
          : status === 404
            ? NotFoundError
            : status === 409
              ? ConflictError
              : status === 429
                ? RateLimitError
                : status >= 500
                  ? InternalServerError
                  : PostHogApiError;
  const err = new Class(status, method, path, body);
  if (err instanceof RateLimitError) err.retryAfterMs = retryAfterMs;
  if (err instanceof PermissionDeniedError) err.missingScope = MISSING_SCOPE.exec(err.detail)?.[1]?.toLowerCase();
  if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) {
    err.fix = authFix(err, ctx);
    err.message = `${err.message}. ${err.fix}`.replace(/\.\. Fix:/, ". Fix:");
  }
  return err;
}
