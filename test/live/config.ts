/**
 * What a live run is pointed at, read from the environment: the PostHog server (the same variables the provider
 * falls back to) and, optionally, credentials of a test database / Stripe test account for the source tests.
 */
export const SERVER_VARS = ["POSTHOG_HOST", "POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_ID"] as const;
export const STRIPE_VAR = "POSTHOG_TEST_STRIPE_SECRET_KEY";
export const STRIPE_ACCOUNT_VAR = "POSTHOG_TEST_STRIPE_ACCOUNT_ID";
export const POSTGRES_VAR = "POSTHOG_TEST_POSTGRES_URL";

/**
 * Every object a live run creates starts with this, followed by the run's own id: a view name, a source prefix (and
 * so its tables' names). The sweep at the start of a run removes objects of earlier crashed runs by this prefix;
 * nothing else is ever deleted.
 */
export const LIVE_PREFIX = "phwlive_";

export interface LiveServer {
  host: string;
  apiKey: string;
  projectId: number;
}

export interface StripeCredentials {
  secretKey: string;
  accountId: string;
}

export interface PostgresCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  schema: string;
}

export function missingServerVars(env: NodeJS.ProcessEnv = process.env): string[] {
  return SERVER_VARS.filter((v) => !env[v]);
}

export function liveServer(env: NodeJS.ProcessEnv = process.env): LiveServer {
  const missing = missingServerVars(env);
  if (missing.length > 0) throw new Error(`live tests need ${missing.join(", ")}`);
  return { host: env.POSTHOG_HOST!.replace(/\/+$/, ""), apiKey: env.POSTHOG_PERSONAL_API_KEY!, projectId: Number(env.POSTHOG_PROJECT_ID) };
}

/** A fresh run prefix: `phwlive_<time><random>_`, valid as a view name start and as a source prefix. */
export function newRunPrefix(): string {
  return `${LIVE_PREFIX}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}_`;
}

export function stripeFromEnv(env: NodeJS.ProcessEnv = process.env): StripeCredentials | undefined {
  const secretKey = env[STRIPE_VAR];
  return secretKey ? { secretKey, accountId: env[STRIPE_ACCOUNT_VAR] ?? "" } : undefined;
}

/** `postgres://user:password@host:port/database?schema=public` */
export function postgresFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresCredentials | undefined {
  const raw = env[POSTGRES_VAR];
  if (!raw) return undefined;
  const url = new URL(raw);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    schema: url.searchParams.get("schema") ?? "public",
  };
}
